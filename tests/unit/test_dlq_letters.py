"""Dead letters as `interdict dlq` reads them: header parsing (garbage included), filters, --since,
what can be replayed and with which headers, and what is printed of a hostile letter."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st
from kafka import KafkaProducer
from rich.console import Console

from services.dlq.cli import _table, letter_json
from services.dlq.letters import DeadLetter, Header, Selection, parse_letter, parse_since, unreadable_letter
from services.dlq.replay import (
    FOREIGN_SOURCE,
    INCOMPLETE,
    NO_SOURCE,
    TRUNCATED,
    UNREADABLE,
    Notice,
    Replayer,
    replay_headers,
    skip_reason,
)
from services.shared.dead_letter import dead_letter_headers
from services.shared.settings import Settings

DLQ = "manifests.dlq"
AT_MS = 1_795_000_000_000  # 2026-11-18T...
SETTINGS = Settings(topic_prefix="")
TARGETS = frozenset({"manifests.raw", "manifests.valid", "matches"})


@dataclass(frozen=True)
class Source:
    topic: str = "manifests.raw"
    partition: int = 3
    offset: int = 42


def stage_headers(
    value: bytes, own: list[Header] | None = None, reason: str = "schema_violation", source: Source | None = None
) -> list[Header]:
    """Headers as the stage writes them (services/shared/stage/runner.py, _dead_letter)."""
    errors = dead_letter_headers(source or Source(), "ValidationError", "port_of_loading: bad", "ingest", reason)
    return [*(own or []), *errors.items(), ("interdict.errors.original-bytes", str(len(value)).encode())]


def letter(
    headers: Sequence[Header] | None,
    value: bytes | None = b'{"kind": "shipment"}',
    key: bytes | None = b"acme:M-1",
    timestamp_ms: int | None = AT_MS,
    offset: int = 7,
) -> DeadLetter:
    return parse_letter(DLQ, 1, offset, timestamp_ms, key, value, headers)


def whole(value: bytes = b'{"kind": "shipment"}', **kwargs: Any) -> DeadLetter:
    own: list[Header] = [("interdict.format", b"jsonl"), ("interdict.published-at-ms", b"123")]
    return letter(stage_headers(value, own, **kwargs), value=value)


# -- parsing -----------------------------------------------------------------------------------


def test_a_stage_dead_letter_is_read_in_full() -> None:
    parsed = whole()
    assert (parsed.topic, parsed.partition, parsed.offset, parsed.position) == (DLQ, 1, 7, "manifests.dlq:1:7")
    assert parsed.dead_lettered_at == datetime.fromtimestamp(AT_MS / 1000, UTC)
    assert parsed.reason == "schema_violation" and parsed.service == "ingest"
    assert parsed.error_class == "ValidationError" and parsed.message == "port_of_loading: bad"
    assert (parsed.source_topic, parsed.source_partition, parsed.source_offset) == ("manifests.raw", 3, 42)
    assert parsed.source_position == "manifests.raw:3:42"
    assert parsed.feed == "acme"  # no interdict.feed header: the key's feed part
    assert parsed.format == "jsonl"
    assert parsed.original_bytes == parsed.size == len(parsed.value)
    assert not parsed.truncated and parsed.original_sha256 is None
    # the input's own headers, in order, and none of the error headers
    assert parsed.headers == (("interdict.format", b"jsonl"), ("interdict.published-at-ms", b"123"))
    assert parsed.problems == () and parsed.incomplete() is None


def test_feed_header_wins_over_the_key_and_format_may_be_absent() -> None:
    value = b"x"
    parsed = letter(stage_headers(value, [("interdict.feed", b"port-authority")]), value=value, key=b"acme:1")
    assert parsed.feed == "port-authority" and parsed.format is None


@pytest.mark.parametrize(
    ("key", "feed"),
    [(b"acme:M-1:v2", "acme"), (b"no-colon", None), (b":M-1", None), (None, None), (b"\xff\xfe:M-1", None)],
)
def test_feed_from_the_key(key: bytes | None, feed: str | None) -> None:
    assert letter(stage_headers(b"x"), value=b"x", key=key).feed == feed


def test_excerpt_of_an_input_too_large() -> None:
    original = b"x" * 300_000
    excerpt = original[:1000]
    headers = [
        *dead_letter_headers(Source(), "OutputTooLarge", "too large", "ingest", "output_too_large").items(),
        ("interdict.errors.original-bytes", str(len(original)).encode()),
        ("interdict.errors.truncated", b"true"),
        ("interdict.errors.original-sha256", hashlib.sha256(original).hexdigest().encode()),
    ]
    parsed = letter(headers, value=excerpt)
    assert parsed.truncated and parsed.size == len(original) and len(parsed.value) == 1000
    assert parsed.original_sha256 == hashlib.sha256(original).hexdigest()
    assert "truncated excerpt (1000 of 300000 bytes)" in (parsed.incomplete() or "")
    skip = skip_reason(parsed, TARGETS)
    assert skip is not None and skip.why == TRUNCATED


def test_garbage_headers_leave_fields_empty_and_say_why() -> None:
    headers: list[Header] = [
        ("__connect.errors.topic", b"manifests.raw"),
        ("__connect.errors.partition", b"+3"),  # int() would take it
        ("__connect.errors.offset", "٤٢".encode()),  # Arabic-Indic digits: int() would take these too
        ("interdict.errors.original-bytes", b"99999999999999999999999"),
        ("interdict.errors.reason", b"\xff\xfebad"),
        ("interdict.errors.service", None),
        ("interdict.errors.truncated", b"yes"),
        ("interdict.errors.original-sha256", b"not-a-digest"),
    ]
    parsed = letter(headers, value=None, timestamp_ms=-1)
    assert parsed.source_topic == "manifests.raw"
    assert parsed.source_partition is None and parsed.source_offset is None and parsed.original_bytes is None
    assert parsed.source_position == "manifests.raw:?:?"
    assert parsed.reason == "\ufffd\ufffdbad"  # shown, with replacement characters
    assert parsed.service == ""
    assert parsed.truncated  # not a clear "false": never replayed as if whole
    assert parsed.value == b"" and parsed.dead_lettered_at is None
    problems = "\n".join(parsed.problems)
    for expected in (
        "__connect.errors.partition is not a position",
        "__connect.errors.offset is not a position",
        "original-bytes is not a position or size",
        "interdict.errors.reason is not UTF-8",
        "interdict.errors.service has a null value",
        "interdict.errors.truncated is 'yes', taken as true",
        "original-sha256 is not a SHA-256 digest",
        "no value (null)",
        "no timestamp",
    ):
        assert expected in problems


def test_no_headers_at_all() -> None:
    parsed = letter(None, key=None)
    assert parsed.reason is None and parsed.source_topic is None and parsed.feed is None
    assert {"no interdict.errors.reason header", "no __connect.errors.topic header"} <= set(parsed.problems)
    skip = skip_reason(parsed, TARGETS)
    assert skip is not None and skip.why == NO_SOURCE


def test_repeated_headers_the_stages_own_are_used() -> None:
    """A hostile feed may send its own error headers; the stage appends its own after them."""
    value = b"{}"
    forged: list[Header] = [("interdict.errors.reason", b"forged"), ("__connect.errors.topic", b"elsewhere")]
    own: list[Header] = [("interdict.feed", b"first"), ("interdict.feed", b"second")]
    parsed = letter([*forged, *stage_headers(value, own)], value=value)
    assert parsed.reason == "schema_violation" and parsed.source_topic == "manifests.raw"
    assert parsed.feed == "first"  # as the services read the input's headers: the first one
    assert any("appears 2 times; the last is used" in problem for problem in parsed.problems)


@pytest.mark.parametrize("timestamp_ms", [2**63 - 1, 10**17])
def test_timestamps_no_datetime_can_hold(timestamp_ms: int) -> None:
    parsed = letter(stage_headers(b"x"), value=b"x", timestamp_ms=timestamp_ms)
    assert parsed.dead_lettered_at is None
    assert any("not a representable time" in problem for problem in parsed.problems)


@given(
    headers=st.lists(
        st.tuples(
            st.one_of(
                st.sampled_from(
                    [
                        "__connect.errors.topic",
                        "__connect.errors.partition",
                        "__connect.errors.offset",
                        "interdict.errors.reason",
                        "interdict.errors.truncated",
                        "interdict.errors.original-bytes",
                        "interdict.errors.original-sha256",
                        "interdict.errors.original-key-sha256",
                        "interdict.feed",
                        "interdict.replayed-from",
                    ]
                ),
                st.text(max_size=20),
            ),
            st.one_of(st.none(), st.binary(max_size=40)),
        ),
        max_size=12,
    ),
    key=st.one_of(st.none(), st.binary(max_size=20)),
    value=st.one_of(st.none(), st.binary(max_size=40)),
    timestamp_ms=st.one_of(st.none(), st.integers(min_value=-(2**63), max_value=2**63 - 1)),
)
def test_any_record_parses_and_prints(
    headers: list[Header], key: bytes | None, value: bytes | None, timestamp_ms: int | None
) -> None:
    parsed = letter(headers, value=value, key=key, timestamp_ms=timestamp_ms)
    orjson.dumps(letter_json(parsed))
    Console(file=io.StringIO(), width=160).print(_table([parsed], header=True))
    skip = skip_reason(parsed, TARGETS)
    if skip is None:  # only a letter that says it is whole and names one of our topics goes back
        assert parsed.source_topic in TARGETS and not parsed.truncated and parsed.unreadable is None


# -- what is replayable ------------------------------------------------------------------------


def test_whole_letter_from_one_of_our_topics_is_replayable() -> None:
    assert skip_reason(whole(), TARGETS) is None
    assert skip_reason(whole(source=Source("matches")), TARGETS) is None


def test_letters_not_whole_or_from_elsewhere_are_skipped() -> None:
    value = b"0123456789"
    short = letter([*stage_headers(value)[:-1], ("interdict.errors.original-bytes", b"20")], value=value)
    digest = letter([*stage_headers(value), ("interdict.errors.original-sha256", b"0" * 64)], value=value)
    key_cut = letter([*stage_headers(value), ("interdict.errors.original-key-sha256", b"a" * 64)], value=value)
    cases = {
        INCOMPLETE: [short, digest],
        TRUNCATED: [key_cut],
        FOREIGN_SOURCE: [whole(source=Source("other-prefix.manifests.raw")), whole(source=Source(DLQ))],
        UNREADABLE: [unreadable_letter(DLQ, 0, 5, ValueError("bad header name"))],
    }
    for why, letters in cases.items():
        for each in letters:
            skip = skip_reason(each, TARGETS)
            assert skip is not None and skip.why == why, (each, skip)


def test_replay_headers_carry_the_inputs_own_and_say_where_from() -> None:
    earlier: list[Header] = [("interdict.replayed-from", b"manifests.dlq:0:1"), ("interdict.replayed-at", b"x")]
    parsed = letter(stage_headers(b"v", [("interdict.format", b"jsonl"), *earlier]), value=b"v")
    assert parsed.replayed_from == "manifests.dlq:0:1"
    now = datetime(2026, 11, 20, 8, 15, tzinfo=UTC)
    assert replay_headers(parsed, now) == [
        ("interdict.format", b"jsonl"),
        ("interdict.replayed-from", b"manifests.dlq:1:7"),
        ("interdict.replayed-at", b"2026-11-20T08:15:00.000+00:00"),
    ]


class FakeFuture:
    def __init__(self, error: Exception | None) -> None:
        self.error = error

    def get(self, timeout: float | None = None) -> None:
        if self.error is not None:
            raise self.error


class FakeProducer:
    """Refuses the values it is told to, at send or at acknowledgement."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes | None, bytes]] = []
        self.closed = False

    def send(self, topic: str, key: bytes | None, value: bytes, headers: list[Header]) -> FakeFuture:
        if value == b"refused at send":
            raise RuntimeError("no metadata")
        self.sent.append((topic, key, value))
        return FakeFuture(RuntimeError("RecordTooLarge") if value == b"refused by broker" else None)

    def close(self, timeout: float | None = None) -> None:
        self.closed = True


def test_replayer_counts_every_letter_and_names_failures() -> None:
    notices: list[Notice] = []
    producer = FakeProducer()
    replayer = Replayer(SETTINGS, notices.append, producer=cast(KafkaProducer, producer), window=1)
    letters = [
        whole(b"fine"),
        whole(b"refused at send"),
        whole(b"refused by broker"),
        whole(b"also fine", source=Source("matches")),
        unreadable_letter(DLQ, 0, 9, ValueError("bad")),
    ]
    for each in letters:
        replayer.offer(each)
    report = replayer.finish()
    assert report.replayed == 2 and dict(report.by_topic) == {"manifests.raw": 1, "matches": 1}
    assert report.failed == 2 and not report.ok
    assert dict(report.skipped) == {UNREADABLE: 1}
    assert [value for _, _, value in producer.sent] == [b"fine", b"refused by broker", b"also fine"]
    assert [notice.kind for notice in notices].count("failed") == 2
    assert all("manifests.dlq:1:7: RuntimeError" in failure for failure in report.failures)
    assert not producer.closed  # not ours to close


def test_dry_run_sends_nothing() -> None:
    notices: list[Notice] = []
    replayer = Replayer(SETTINGS, notices.append, dry_run=True)
    replayer.offer(whole())
    assert replayer.finish().replayed == 1 and [notice.kind for notice in notices] == ["would replay"]


# -- filters -----------------------------------------------------------------------------------


def test_selection_by_reason_feed_and_time() -> None:
    now = datetime.fromtimestamp(AT_MS / 1000, UTC)
    schema = whole()
    json_error = letter(stage_headers(b"{", reason="invalid_json"), value=b"{", key=b"other:1")
    no_time = letter(stage_headers(b"x"), value=b"x", timestamp_ms=None)
    assert Selection().matches(schema) and Selection().matches(no_time)
    assert Selection(frozenset({"schema_violation", "invalid_json"})).matches(json_error)
    assert not Selection(frozenset({"schema_violation"})).matches(json_error)
    assert Selection(feed="acme").matches(schema) and not Selection(feed="acme").matches(json_error)
    assert Selection(since=now).matches(schema)  # at the very time: included
    assert not Selection(since=now + timedelta(milliseconds=1)).matches(schema)
    assert not Selection(since=now - timedelta(days=1)).matches(no_time)
    unreadable = unreadable_letter(DLQ, 0, 1, ValueError("x"))
    assert Selection().matches(unreadable) and not Selection(frozenset({"schema_violation"})).matches(unreadable)


NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", NOW - timedelta(minutes=30)),
        ("2h", NOW - timedelta(hours=2)),
        (" 7d ", NOW - timedelta(days=7)),
        ("1w", NOW - timedelta(weeks=1)),
        ("1h30m", NOW - timedelta(minutes=90)),
        ("45s", NOW - timedelta(seconds=45)),
        ("0m", NOW),
        ("2026-11-20T08:15:00Z", datetime(2026, 11, 20, 8, 15, tzinfo=UTC)),
        ("2026-11-20T08:15:00+02:00", datetime(2026, 11, 20, 6, 15, tzinfo=UTC)),
        ("2026-11-20T08:15", datetime(2026, 11, 20, 8, 15, tzinfo=UTC)),  # no zone: UTC
        ("2026-11-20", datetime(2026, 11, 20, tzinfo=UTC)),
    ],
)
def test_since(text: str, expected: datetime) -> None:
    parsed = parse_since(text, NOW)
    assert parsed == expected and parsed.tzinfo is not None


@pytest.mark.parametrize("text", ["", "yesterday", "30", "m30", "-2h", "2 h", "2y", "2026-13-01", "99999999999w"])
def test_since_refuses_what_it_cannot_read(text: str) -> None:
    with pytest.raises(ValueError, match=r"duration|date"):
        parse_since(text, NOW)


# -- printing ----------------------------------------------------------------------------------


def test_json_gives_bytes_as_text_or_base64() -> None:
    value = b"\x00\xffbinary"
    parsed = letter([*stage_headers(value), ("interdict.feed", b"\xfe")], value=value, key=b"acme:\xff")
    document = letter_json(parsed)
    assert document["value_encoding"] == "base64" and document["value"] == "AP9iaW5hcnk="
    assert document["key_encoding"] == "base64"
    assert {"name": "interdict.feed", "value": "/g==", "encoding": "base64"} in document["headers"]
    assert whole().value.decode() == letter_json(whole())["value"]
    assert letter_json(whole())["value_encoding"] == "utf-8"


def test_table_prints_hostile_text_inert() -> None:
    value = b"x"
    hostile = "[bold red]markup[/] \x1b[2J\x1b]0;title\x07 \u202eevil"
    headers = [*stage_headers(value), ("__connect.errors.exception.message", hostile.encode())]
    output = io.StringIO()
    Console(file=output, width=200, force_terminal=False).print(_table([letter(headers, value=value)], header=True))
    printed = output.getvalue()
    assert "[bold red]markup[/]" in printed  # shown as written, not styled
    assert "\x1b" not in printed and "\u202e" not in printed
    assert "\\u001b[2J" in printed and "\\u202e" in printed
