"""The three services' handlers: ingest (validate), matcher (screen), notifier (route, once per desk).

The matcher runs a real small MatchingEngine behind a stub replica; the notifier's delivery ledger
runs on FakeRedis. The notifier is also run on the stage, where Redis failing and batches redone
after a failed commit must neither lose an alert nor send one twice.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import cast

import orjson
import pytest
import redis.exceptions

from services.ingest.validation import MAX_MESSAGE_BYTES, parse_manifest
from services.matcher.app import MatchHandler
from services.matcher.engine import EntryMatch, MatchingEngine, ScreeningQuery
from services.matcher.replica import WatchlistReplica
from services.notifier.book import ALERT_TTL_SECONDS, AlertBook
from services.notifier.handler import Grouping, NotifyHandler
from services.notifier.rulefile import load_rules
from services.shared.models import (
    Alert,
    EntityKind,
    EntryName,
    EntrySummary,
    Evidence,
    Identifier,
    ManifestAdapter,
    ManifestRef,
    Match,
    Sharing,
    SharingScope,
    WatchlistEntry,
)
from services.shared.models.alert import alert_id_for, match_id_for
from services.shared.settings import PARTNER_COUNTRIES, Settings
from services.shared.stage import InputRecord, MemoryTransport, Outcome, Stage, StageConfig
from tests.fakes import (
    DLQ,
    FakeRedis,
    fast_backoff,
    headers_of,
    ingest_handler,
    reason_of,
    sample,
    total,
    unique_service,
)

VALID, MATCHES = "manifests.valid", "matches"
DESK_TOPICS = {country: f"alerts.{country.lower()}" for country in PARTNER_COUNTRIES}


def record(value: bytes, offset: int = 0, key: bytes | None = b"key", topic: str = "in") -> InputRecord:
    return InputRecord(topic, 0, offset, key, value, timestamp_ms=1_000)


def shipment(manifest_id: str = "BOL-1", parties: Sequence[tuple[str, str]] = (("consignee", "ACME"),),
             **overrides: object) -> dict[str, object]:
    document: dict[str, object] = {
        "kind": "shipment",
        "manifest_id": manifest_id,
        "feed": "port-test",
        "reported_at": "2026-11-20T08:00:00Z",
        "bill_of_lading": "B1",
        "port_of_loading": "cobun",
        "transshipment_ports": ["PABLB"],
        "port_of_discharge": "MXZLO",
        "parties": [{"role": role, "name": name, "country": "mx"} for role, name in parties],
    }
    document.update(overrides)
    return document


# -- ingest -------------------------------------------------------------------------------------


async def test_ingest_publishes_a_valid_manifest_normalised_and_keyed_by_feed_and_id() -> None:
    raw = orjson.dumps(shipment(containers=[{"number": "mscu4719030"}]))
    [outcome] = await ingest_handler(VALID).handle([record(raw, key=b"whatever the feed used")])
    [output] = outcome.outputs
    assert outcome.rejection is None
    assert (output.topic, output.key) == (VALID, b"port-test:BOL-1")
    published = orjson.loads(output.value)
    assert published | {"ingest": None} == orjson.loads(parse_manifest(raw).model_dump_json())
    assert published["ingest"]["version"] == 1 and published["ingest"]["format"] == "json"
    assert published["port_of_loading"] == "COBUN" and published["containers"][0]["number"] == "MSCU4719030"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"{not json", "invalid_json"),
        (b"\xff\xfe{}", "unrecognised_format"),
        (b"", "empty_message"),
        (b"  \n", "empty_message"),
        (b"[" * 2000 + b"]" * 2000, "invalid_json"),
        (b'[{"kind": "shipment"}]', "not_an_object"),
        (b'"shipment"', "unrecognised_format"),
        (orjson.dumps({"kind": "aircraft"}), "unknown_kind"),
        (orjson.dumps(shipment(parties=[])), "schema_violation"),
        (orjson.dumps(shipment(surprise=1)), "schema_violation"),
        (b"{" + b" " * MAX_MESSAGE_BYTES, "too_large"),
    ],
)
async def test_ingest_rejects_each_kind_of_invalid_message_with_its_reason(raw: bytes, reason: str) -> None:
    [outcome] = await ingest_handler(VALID).handle([record(raw)])
    assert outcome.outputs == []
    assert outcome.rejection is not None and outcome.rejection.reason == reason
    assert outcome.rejection.message


async def test_ingest_keeps_the_order_of_a_mixed_batch() -> None:
    values = [b"{not json", orjson.dumps(shipment("A")), orjson.dumps({"kind": "x"}), orjson.dumps(shipment("B"))]
    outcomes = await ingest_handler(VALID).handle([record(value, offset) for offset, value in enumerate(values)])
    assert [outcome.rejection.reason if outcome.rejection else outcome.outputs[0].key for outcome in outcomes] == [
        "invalid_json", b"port-test:A", "unknown_kind", b"port-test:B"]


# -- matcher ------------------------------------------------------------------------------------


class CountingEngine:
    """The real engine, counting its lookups and the changes applied to it (a wrapper, not a
    subclass: the engine's class is compiled, see services/matcher/engine/compilation.py)."""

    def __init__(self) -> None:
        self.engine = MatchingEngine()
        self.lookups: list[str] = []
        self.changes = 0

    def screen(self, query: ScreeningQuery, limit: int = 10, among: Collection[str] | None = None) -> list[EntryMatch]:
        self.lookups.append(query.name or "")
        return self.engine.screen(query, limit=limit, among=among)

    def validate_identifiers(self, identifiers: list[Identifier]) -> list[str]:
        return self.engine.validate_identifiers(identifiers)

    def load(self, entries: list[WatchlistEntry]) -> None:
        self.engine.load(entries)

    def upsert(self, entry: WatchlistEntry) -> None:
        self.changes += 1
        self.engine.upsert(entry)


@dataclass
class StubReplica:
    """What MatchHandler reads of a WatchlistReplica: the engine, the list versions, and a generation
    that changes whenever a watchlist change is applied (as the replica's does)."""

    engine: CountingEngine
    versions: dict[str, int] = field(default_factory=lambda: {"test": 7})

    @property
    def generation(self) -> tuple[int, int]:
        return id(self.engine), self.engine.changes


def listed(number: int, kind: EntityKind, name: str, owner: str = "MX") -> WatchlistEntry:
    return WatchlistEntry(entry_id=f"test:{number}", list_id="test", kind=kind, names=[EntryName(name=name)],
                          owner_country=owner)


@pytest.fixture
def engine() -> CountingEngine:
    engine = CountingEngine()
    engine.load([
        listed(1, EntityKind.ORGANIZATION, "INVERSIONES EL DORADO S.A. DE C.V."),
        listed(2, EntityKind.PERSON, "ABREGO GARCIA, Juan Carlos", owner="CO"),
        listed(3, EntityKind.VESSEL, "OCEAN STAR", owner="PA"),
    ])
    return engine


def matcher(engine: CountingEngine) -> MatchHandler:
    return MatchHandler(cast(WatchlistReplica, StubReplica(engine)), MATCHES)


def manifest_bytes(document: dict[str, object]) -> bytes:
    """As ingest publishes it."""
    return ManifestAdapter.validate_python(document).model_dump_json().encode()


async def test_a_manifest_naming_a_listed_party_gives_a_match(engine: CountingEngine) -> None:
    before = sample("interdict_matches_total", list_id="test")
    raw = manifest_bytes(shipment(parties=[("consignee", "Inversiones El Dorado SA de CV")]))
    [outcome] = await matcher(engine).handle([record(raw, key=b"port-test:BOL-1")])
    [output] = outcome.outputs
    assert (output.topic, output.key) == (MATCHES, b"port-test:BOL-1")
    match = Match.model_validate_json(output.value)
    assert match.match_id == match_id_for("port-test", "BOL-1", "test:1")
    assert match.entry is not None and (match.subject_id, match.entry.list_version) == ("test:1", 7)
    assert match.manifest.route_countries == ["CO", "PA", "MX"]
    assert [item.where for item in match.evidence] == ["parties[0] (consignee)"]
    assert sample("interdict_matches_total", list_id="test") == before + 1


async def test_a_vessel_match_carries_the_voyage_a_desk_plans_on(engine: CountingEngine) -> None:
    document: dict[str, object] = {
        "kind": "vessel", "manifest_id": "V-1", "feed": "ais-test", "reported_at": "2026-11-20T08:00:00Z",
        "vessel": {"name": "OCEAN STAR", "mmsi": "352001234", "flag": "PA"},
        "voyage": {"voyage_number": "V7", "last_port": "COCTG", "next_port": "PABLB", "eta": "2026-11-22T06:00:00Z"},
    }
    [outcome] = await matcher(engine).handle([record(manifest_bytes(document))])
    reference = Match.model_validate_json(outcome.outputs[0].value).manifest
    assert (reference.voyage_number, reference.last_port, reference.next_port) == ("V7", "COCTG", "PABLB")
    assert reference.eta is not None and reference.eta.isoformat() == "2026-11-22T06:00:00+00:00"
    assert reference.vessel_mmsi == "352001234"


async def test_a_manifest_naming_nobody_listed_gives_no_output(engine: CountingEngine) -> None:
    [outcome] = await matcher(engine).handle([record(manifest_bytes(shipment()))])
    assert outcome.outputs == [] and outcome.rejection is None


async def test_the_batch_screener_screens_a_repeated_query_once_and_places_each_use(engine: CountingEngine) -> None:
    dorado = ("consignee", "Inversiones El Dorado SA de CV")
    documents = [shipment("A", [dorado]), shipment("B", [("shipper", "ACME"), dorado]), shipment("C", [dorado])]
    outcomes = await matcher(engine).handle([record(manifest_bytes(document)) for document in documents])
    assert sorted(engine.lookups) == ["ACME", "Inversiones El Dorado SA de CV"]  # 4 uses, 2 lookups
    wheres = [[item.where for item in Match.model_validate_json(outcome.outputs[0].value).evidence]
              for outcome in outcomes]
    assert wheres == [["parties[0] (consignee)"], ["parties[1] (consignee)"], ["parties[0] (consignee)"]]


async def test_a_query_of_an_earlier_batch_is_not_looked_up_again_while_the_lists_are_unchanged(
    engine: CountingEngine,
) -> None:
    handler = matcher(engine)
    raw = manifest_bytes(shipment(parties=[("consignee", "Inversiones El Dorado SA de CV")]))
    first, second = [await handler.handle([record(raw)]) for _ in range(2)]
    assert engine.lookups == ["Inversiones El Dorado SA de CV"]
    assert first[0].outputs == second[0].outputs


async def test_a_watchlist_change_applies_from_the_next_batch(engine: CountingEngine) -> None:
    handler = matcher(engine)
    raw = manifest_bytes(shipment(parties=[("consignee", "Zultania International Trading Corp")]))
    [before] = await handler.handle([record(raw)])
    engine.upsert(listed(4, EntityKind.ORGANIZATION, "ZULTANIA INTERNATIONAL TRADING CORP"))
    [after] = await handler.handle([record(raw)])
    assert before.outputs == []
    assert [Match.model_validate_json(output.value).subject_id for output in after.outputs] == ["test:4"]


@pytest.mark.parametrize("raw", [b"{not json", orjson.dumps({"kind": "shipment"}), orjson.dumps([1])])
async def test_an_undecodable_manifest_is_rejected_as_bad_manifest(engine: CountingEngine, raw: bytes) -> None:
    [outcome] = await matcher(engine).handle([record(raw)])
    assert outcome.rejection is not None
    assert (outcome.rejection.reason, outcome.rejection.error_class) == ("bad_manifest", "pydantic.ValidationError")


# -- notifier -----------------------------------------------------------------------------------


def a_match(entry_id: str = "test:1", owner: str = "CO", sharing: Sharing | None = None,
            route: Sequence[str] = ("CO", "PA", "MX")) -> Match:
    return Match(
        match_id=match_id_for("port-test", "BOL-1", entry_id),
        manifest=ManifestRef(manifest_id="BOL-1", kind="shipment", feed="port-test",
                             reported_at=datetime(2026, 11, 20, tzinfo=UTC), route_countries=list(route)),
        entry=EntrySummary(entry_id=entry_id, list_id="test", list_version=3, kind=EntityKind.PERSON,
                           primary_name="DOE, John", owner_country=owner, sharing=sharing or Sharing()),
        score=0.9,
        evidence=[Evidence(where="parties[0] (consignee)", method="name:fuzzy", query_value="John Doe",
                           matched_value="DOE, John", contribution=0.9, explanation="names match")],
        explanation="names match",
    )


def match_record(match: Match, offset: int = 0) -> InputRecord:
    return record(match.model_dump_json().encode(), offset, key=b"port-test:BOL-1", topic=MATCHES)


RULES = load_rules(Settings().severity_rules_file)


def notifier(redis: FakeRedis) -> NotifyHandler:
    grouping = Grouping(timedelta(days=1), Settings().desk_language)
    return NotifyHandler(AlertBook(redis, "test"), DESK_TOPICS, lambda: RULES, grouping)


def desks(outcome: Outcome) -> list[str]:
    return [Alert.model_validate_json(output.value).desk_country for output in outcome.outputs]


async def test_alerts_go_to_every_permitted_desk_owner_first() -> None:
    [outcome] = await notifier(FakeRedis()).handle([match_record(a_match(owner="MX"))])
    assert desks(outcome) == ["MX", "CO", "PA"]
    assert [output.topic for output in outcome.outputs] == ["alerts.mx", "alerts.co", "alerts.pa"]
    alert_id = alert_id_for("port-test", "BOL-1")
    assert all(output.key == alert_id.encode() for output in outcome.outputs)


async def test_a_desk_the_sharing_scope_excludes_gets_nothing_and_is_counted_as_withheld() -> None:
    before = {desk: sample("interdict_alerts_withheld_total", desk=desk) for desk in ("CO", "PA", "MX")}
    owner_only = a_match(owner="CO", sharing=Sharing(scope=SharingScope.OWNER_ONLY))
    [outcome] = await notifier(FakeRedis()).handle([match_record(owner_only)])
    assert desks(outcome) == ["CO"]
    after = {desk: sample("interdict_alerts_withheld_total", desk=desk) for desk in ("CO", "PA", "MX")}
    assert {desk: after[desk] - before[desk] for desk in after} == {"CO": 0, "PA": 1, "MX": 1}


async def test_a_copy_of_a_match_from_another_record_gives_no_second_alert() -> None:
    handler = notifier(FakeRedis())
    before = sample("interdict_alerts_repeated_total", desk="PA")
    [first] = await handler.handle([match_record(a_match(), offset=0)])
    [copy] = await handler.handle([match_record(a_match(), offset=1)])
    assert desks(first) == ["CO", "PA", "MX"]
    assert copy.outputs == [] and copy.rejection is None
    assert sample("interdict_alerts_repeated_total", desk="PA") == before + 1


async def test_the_same_record_delivered_again_gives_its_alerts_again() -> None:
    handler = notifier(FakeRedis())
    [first] = await handler.handle([match_record(a_match(), offset=5)])
    [again] = await handler.handle([match_record(a_match(), offset=5)])  # never committed: the desk never saw it
    assert desks(first) == desks(again) == ["CO", "PA", "MX"]


async def test_two_copies_in_one_batch_give_one_alert_per_desk_produced_by_the_first() -> None:
    fake = FakeRedis()
    first, copy = await notifier(fake).handle([match_record(a_match(), 0), match_record(a_match(), 1)])
    assert desks(first) == ["CO", "PA", "MX"] and copy.outputs == []
    key = AlertBook(fake, "test").alert_key(("PA", alert_id_for("port-test", "BOL-1")))
    assert orjson.loads(fake.values[key])["produced_by"] == "matches:0:0"
    assert set(fake.ttls.values()) == {ALERT_TTL_SECONDS}


async def test_a_redis_failure_raises_and_records_nothing() -> None:
    fake = FakeRedis()
    fake.down = True
    with pytest.raises(redis.exceptions.ConnectionError):
        await notifier(fake).handle([match_record(a_match())])
    assert fake.values == {}


async def test_an_invalid_match_is_rejected_as_bad_match_and_the_others_still_alert() -> None:
    bad, good = await notifier(FakeRedis()).handle([record(b'{"match_id": "m"}', 0), match_record(a_match(), 1)])
    assert bad.rejection is not None and bad.rejection.reason == "bad_match"
    assert desks(good) == ["CO", "PA", "MX"]


# -- the notifier on the stage ------------------------------------------------------------------


@pytest.fixture
def service(monkeypatch: pytest.MonkeyPatch) -> str:
    fast_backoff(monkeypatch)
    return unique_service()


def notifier_stage(service: str, fake: FakeRedis, transport: MemoryTransport) -> Stage:
    return Stage(StageConfig(service=service, dead_letter_topic=DLQ), transport, notifier(fake))


def alerts_by_desk(transport: MemoryTransport) -> dict[str, list[str]]:
    return {topic: [Alert.model_validate_json(output.value).alert_id for output in outputs]
            for topic, outputs in transport.topics.items() if topic.startswith("alerts.") and outputs}


async def test_the_stage_retries_the_notifier_while_redis_is_away(service: str) -> None:
    fake = FakeRedis()
    fake.fail_next(2)
    transport = MemoryTransport(transactional=True)
    transport.add_input(MATCHES, 0, None, a_match().model_dump_json().encode())
    await notifier_stage(service, fake, transport).run_once()
    alert_id = alert_id_for("port-test", "BOL-1")
    assert alerts_by_desk(transport) == {"alerts.co": [alert_id], "alerts.pa": [alert_id], "alerts.mx": [alert_id]}
    assert sample("interdict_dependency_retries_total", service=service, dependency="redis") == 2
    assert transport.topics[DLQ] == [] and transport.remaining() == 0


async def test_a_batch_redone_after_a_failed_commit_alerts_each_desk_exactly_once(service: str) -> None:
    fake = FakeRedis()
    transport = MemoryTransport(transactional=True, commit_faults=[RuntimeError("producer fenced")])
    for _ in range(2):  # a match and a copy of it
        transport.add_input(MATCHES, 0, None, a_match().model_dump_json().encode())
    transport.add_input(MATCHES, 0, None, b"not a match")
    stage = notifier_stage(service, fake, transport)
    await stage.run_once()
    assert alerts_by_desk(transport) == {}  # the aborted transaction left nothing, but the book has the alerts
    await stage.run_once()
    alert_id = alert_id_for("port-test", "BOL-1")
    assert alerts_by_desk(transport) == {"alerts.co": [alert_id], "alerts.pa": [alert_id], "alerts.mx": [alert_id]}
    assert [reason_of(letter) for letter in transport.topics[DLQ]] == ["bad_match"]
    assert headers_of(transport.topics[DLQ][0])["__connect.errors.offset"] == b"2"
    assert total("interdict_messages_in_total", service) == 3
    assert total("interdict_messages_processed_total", service) == 2
    assert total("interdict_messages_rejected_total", service) == 1


@pytest.mark.parametrize("error", [redis.exceptions.ReadOnlyError, redis.exceptions.OutOfMemoryError])
async def test_a_redis_failover_stalls_the_notifier_rather_than_dead_lettering(
    service: str, error: type[redis.exceptions.RedisError]
) -> None:
    fake = FakeRedis()
    fake.error = error
    fake.fail_next(3)  # a few seconds of failover
    transport = MemoryTransport(transactional=True)
    for entry_id in ("test:1", "test:2"):
        transport.add_input(MATCHES, 0, None, a_match(entry_id).model_dump_json().encode())
    await notifier_stage(service, fake, transport).run_once()
    assert transport.topics[DLQ] == []
    [alert] = [Alert.model_validate_json(output.value) for output in transport.topics["alerts.co"]]
    assert [match.subject_id for match in alert.matches] == ["test:1", "test:2"]  # one alert for the manifest
