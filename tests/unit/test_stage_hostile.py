"""Hostile input through the real ingest handler on the stage, with the broker misbehaving.

Random batches of random bytes (empty, huge, invalid UTF-8, deeply nested JSON, JSON that is not an
object, valid manifests, manifests too large to forward) on a few partitions, with transient send
failures, records the broker refuses (too large, corrupt) and failed commits, in both delivery
modes. Whatever happens, the stage must not raise, and every input must end committed, either
dead-lettered once with its bytes intact or with its normalised manifest published once, with the
counters agreeing.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

import orjson
import pytest
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st

from services.ingest.app import manifest_key
from services.ingest.errors import REJECTION_REASONS
from services.ingest.validation import MAX_MESSAGE_BYTES
from services.shared.models import ManifestAdapter
from services.shared.stage import InputRecord, MemoryTransport, Output, Stage, StageConfig
from services.shared.stage.memory import RecordTooLarge
from services.shared.stage.runner import DEAD_LETTER_EXCERPT_BYTES
from tests.fakes import (
    DLQ,
    SOURCE,
    assert_accounted,
    dead_letter_position,
    fast_backoff_context,
    headers_of,
    ingest_handler,
    reason_of,
    unique_service,
)

VALID = "manifests.valid"
FEED = "hostile-feed"
#: The producer's record size limit: inputs of 70 to 250 kB, and manifests forwarding a 100 to 200 kB name,
#: give dead letters and outputs over it.
MAX_RECORD_BYTES = 100_000
#: Every reason ingest and the stage may give; a handler crash (processing_error) would be a bug.
REASONS = {*REJECTION_REASONS, "output_too_large", "output_rejected"}


class KafkaTimeoutError(Exception):
    """Named like aiokafka's: transient."""


class CorruptRecordException(Exception):
    """Named like Kafka's: refused for good."""


@dataclass(frozen=True)
class Made:
    """Bytes made from a short recipe, so that a failing example prints in a line, not in megabytes.

    A manifest is made once its position in the batch gives it a unique id (`party` or `size` A's
    name its consignee)."""

    recipe: str
    size: int = 0
    party: str = ""

    def bytes(self, index: int) -> bytes:
        if self.recipe == "nested lists":
            return b"[" * self.size + b"]" * self.size
        if self.recipe == "nested objects":
            return b'{"a":' * self.size + b"1" + b"}" * self.size
        if self.recipe == "long JSON string":
            return b'"' + b"a" * self.size + b'"'
        if self.recipe == "over the ingest limit":
            return bytes(b"{" * (MAX_MESSAGE_BYTES + self.size))
        assert self.recipe == "manifest"
        return orjson.dumps({
            "kind": "shipment", "manifest_id": f"M-{index}", "feed": FEED, "reported_at": "2026-11-20T08:00:00Z",
            "bill_of_lading": f"B-{index}", "port_of_loading": "cobun", "port_of_discharge": "MXZLO",
            "parties": [{"role": "consignee", "name": self.party or "A" * self.size, "country": "mx"}],
        })


json_scalars = st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.floats(allow_nan=False) | st.text(
    max_size=20)
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)
shipment_fields = st.sampled_from(["manifest_id", "parties", "port_of_loading", "reported_at", "x"])
shipment_with = st.dictionaries(shipment_fields, json_values, max_size=3).map(
    lambda fields: orjson.dumps({"kind": "shipment", **fields}))
party_names = st.text(min_size=1, max_size=30).filter(str.strip) | st.sampled_from(
    ["ACME TRADING", "Inversiones El Dorado S.A.", "Жуков", "東京海運"])
payloads = st.one_of(
    st.just(b""),
    st.binary(max_size=200),
    st.binary(min_size=1, max_size=40).map(lambda raw: b'{"kind": "shipment", "feed": "' + raw + b'\xff\xfe"}'),
    (json_scalars | st.lists(json_values, max_size=4)).map(orjson.dumps),
    st.dictionaries(st.text(max_size=8), json_values, max_size=5).map(orjson.dumps),
    shipment_with,
    st.builds(Made, st.sampled_from(["nested lists", "nested objects"]), st.integers(1, 2000)),
    st.builds(Made, st.just("long JSON string"), st.integers(70_000, 250_000)),
    st.builds(Made, st.just("over the ingest limit"), st.integers(1, 50)),
    st.builds(Made, st.just("manifest"), party=party_names),
    st.builds(Made, st.just("manifest"), party=st.just("Zultania International Trading Corp")),
    st.builds(Made, st.just("manifest"), st.integers(MAX_RECORD_BYTES, 2 * MAX_RECORD_BYTES)),
)
inputs = st.lists(st.tuples(st.integers(0, 2), st.none() | st.binary(max_size=24), payloads), min_size=1, max_size=12)


FAULTS = ["none", "none", "connection error", "kafka timeout", "too large", "corrupt"]


@dataclass
class Faults:
    """Send failures in the order drawn, one per send (then none): transient ones, which the stage
    retries, and refusals that are final. Only so many are drawn, so every run ends."""

    script: list[str]

    def __call__(self, output: Output) -> BaseException | None:
        fault = self.script.pop(0) if self.script else "none"
        excerpt = "interdict.errors.truncated" in headers_of(output)
        if fault in ("connection error", "kafka timeout"):
            event("send fault: transient")
            return ConnectionError("broker away") if fault == "connection error" else KafkaTimeoutError("no ack")
        if fault == "too large" and not excerpt:  # an excerpt refused waits for an operator by design
            event(f"send fault: too large, to {output.topic}")
            return RecordTooLarge("over the broker's limit")
        if fault == "corrupt" and output.topic == VALID:
            event("send fault: corrupt")
            return CorruptRecordException("CRC mismatch")
        return None


@pytest.fixture(autouse=True, scope="module")
def _fast_retries() -> Iterator[None]:
    yield from fast_backoff_context()


async def drain(stage: Stage, transport: MemoryTransport) -> None:
    for _ in range(200):
        if transport.remaining() == 0:
            return
        await stage.run_once()
    raise AssertionError(f"{transport.remaining()} inputs still uncommitted")


# No shrinking: with batches of up to a dozen inputs, some of hundreds of kilobytes, hypothesis spends its
# five-minute shrinking budget before it reports. A failure prints the example as drawn (payloads of more
# than a few hundred bytes print as their recipe) and the seed to run it again.
@settings(max_examples=50, deadline=None, database=None, report_multiple_bugs=False,
          phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(batch=inputs, transactional=st.booleans(), max_batch=st.integers(1, 8), commit_failures=st.integers(0, 2),
       faults=st.lists(st.sampled_from(FAULTS), max_size=40))
def test_hostile_input_never_breaks_the_stage_nor_loses_a_record(
    batch: list[tuple[int, bytes | None, bytes | Made]], transactional: bool, max_batch: int, commit_failures: int,
    faults: list[str],
) -> None:
    service = unique_service()
    transport = MemoryTransport(max_record_bytes=MAX_RECORD_BYTES, transactional=transactional,
                                commit_faults=[RuntimeError("rebalance")] * commit_failures)
    transport.send_fault = Faults(list(faults))
    by_output_key: dict[bytes, str] = {}
    for index, (partition, key, payload) in enumerate(batch):
        value = payload.bytes(index) if isinstance(payload, Made) else payload
        record = transport.add_input(SOURCE, partition, key, value)
        by_output_key[manifest_key(FEED, f"M-{index}")] = record.position
    stage = Stage(StageConfig(service=service, dead_letter_topic=DLQ, max_batch=max_batch), transport,
                  ingest_handler(VALID))

    asyncio.run(asyncio.wait_for(drain(stage, transport), timeout=30))

    assert_accounted(transport, service, position_of=lambda output: by_output_key[output.key or b""])
    records = {record.position: record for records in transport.inputs.values() for record in records}
    for letter in transport.topics[DLQ]:
        assert_is_dead_letter_of(letter, records[dead_letter_position(letter)])
        excerpt = " (excerpt)" if "interdict.errors.truncated" in headers_of(letter) else ""
        event(f"dead letter: {reason_of(letter)}{excerpt}")
    for output in transport.topics[VALID]:
        event("manifest published")
        manifest = ManifestAdapter.validate_json(output.value)
        assert output.key == manifest_key(manifest.feed, manifest.manifest_id)


def assert_is_dead_letter_of(letter: Output, record: InputRecord) -> None:
    headers = headers_of(letter)
    original = record.value or b""
    assert reason_of(letter) in REASONS
    assert letter.key == record.key
    assert headers["interdict.errors.original-bytes"] == str(len(original)).encode()
    if "interdict.errors.truncated" in headers:
        assert len(letter.value) <= DEAD_LETTER_EXCERPT_BYTES and letter.value == original[:len(letter.value)]
        assert letter.value or not original
        assert headers["interdict.errors.original-sha256"] == hashlib.sha256(original).hexdigest().encode()
    else:
        assert letter.value == original
    assert letter.size <= MAX_RECORD_BYTES
