"""WatchlistReader and WatchlistWriter on an in-memory Redis: what a writer does, a reader sees."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.shared.models.common import EntityKind
from services.shared.models.watchlist import EntryName, WatchlistEntry
from services.watchlist import reader as reader_module
from services.watchlist.events import ChangeOp
from services.watchlist.reader import ReaderPipeline, WatchlistReader, run_transaction
from services.watchlist.writer import WatchlistWriter
from tests.fakes import MemoryRedis

PREFIX = "unit"


@pytest.fixture
def memory() -> MemoryRedis:
    return MemoryRedis()


@pytest.fixture
def writer(memory: MemoryRedis) -> WatchlistWriter:
    return WatchlistWriter(memory, PREFIX)


@pytest.fixture
def reader(memory: MemoryRedis) -> WatchlistReader:
    """A reader of its own on the same data, as a matcher is beside an administrator."""
    return WatchlistReader(memory, PREFIX)


def entry(number: int, remarks: str = "v1", **changes: object) -> WatchlistEntry:
    fields: dict[str, object] = {
        "entry_id": f"demo:{number}",
        "list_id": "demo",
        "kind": EntityKind.PERSON,
        "names": [EntryName(name=f"PERSON {number}")],
        "owner_country": "CO",
        "remarks": remarks,
    }
    fields.update(changes)
    return WatchlistEntry.model_validate(fields)


def import_demo(writer: WatchlistWriter, count: int = 3) -> None:
    writer.import_list("demo", [entry(n) for n in range(count)], owner_country="CO", actor="alice")


def test_an_import_is_the_next_snapshot(writer: WatchlistWriter, reader: WatchlistReader) -> None:
    report = writer.import_list("demo", [entry(n) for n in range(3)], owner_country="CO", actor="alice")

    snapshot = reader.snapshot()
    assert report.added == ["demo:0", "demo:1", "demo:2"] and report.version == 1
    assert snapshot.entries == [entry(0), entry(1), entry(2)]
    assert snapshot.versions == {"demo": 1}
    events, cursor = reader.read_changes("0-0", 0, 100)
    assert [event.op for event in events] == [ChangeOp.UPSERT] * 3
    assert snapshot.cursor == cursor == events[-1].stream_id


def test_the_position_is_the_snapshots(writer: WatchlistWriter, reader: WatchlistReader) -> None:
    assert reader.position().cursor == "0-0"
    import_demo(writer)
    snapshot, position = reader.snapshot(), reader.position()
    assert (position.versions, position.cursor) == (snapshot.versions, snapshot.cursor)


def test_an_edit_appears_on_the_change_feed(writer: WatchlistWriter, reader: WatchlistReader) -> None:
    import_demo(writer)
    cursor = reader.snapshot().cursor

    version = writer.update(entry(1, remarks="v2"), actor="bob")

    events, next_cursor = reader.read_changes(cursor, 0, 100)
    assert version == 2
    assert [(event.op, event.version, event.entry) for event in events] == [(ChangeOp.UPSERT, 2, entry(1, "v2"))]
    assert reader.read_changes(next_cursor, 0, 100) == ([], next_cursor)
    assert reader.get("demo:1").remarks == "v2"


def test_a_removal_and_a_disabled_list_leave_the_snapshot(writer: WatchlistWriter, reader: WatchlistReader) -> None:
    import_demo(writer)
    cursor = reader.snapshot().cursor

    writer.remove("demo:0", actor="bob")
    writer.disable_list("demo", actor="bob")

    events, _ = reader.read_changes(cursor, 0, 100)
    assert [(event.op, event.entry_ids) for event in events] == [
        (ChangeOp.REMOVE, ["demo:0"]),
        (ChangeOp.LIST_DISABLED, ["demo:1", "demo:2"]),
    ]
    assert reader.snapshot().entries == []
    assert [stored.entry_id for stored in reader.entries("demo")] == ["demo:1", "demo:2"]


def test_every_write_is_audited(writer: WatchlistWriter) -> None:
    import_demo(writer, count=2)
    writer.update(entry(1, remarks="v2"), actor="bob")

    records = writer.history(list_id="demo")
    assert [(record.operation, record.actor, record.entry_id) for record in records] == [
        ("import", "alice", None),
        ("import:add", "alice", "demo:0"),
        ("import:add", "alice", "demo:1"),
        ("update", "bob", "demo:1"),
    ]
    assert records[0].details == {"added": 2, "changed": 0, "removed": 0, "unchanged": 0}
    (update,) = writer.history(entry_id="demo:1", actor="bob")
    assert (update.before, update.after, update.version) == (entry(1), entry(1, "v2"), 2)


def test_the_sweep_removes_an_expired_entry_and_says_so_on_the_feed(
    writer: WatchlistWriter, reader: WatchlistReader, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_demo(writer)
    expiry = datetime.now(UTC) + timedelta(hours=1)
    writer.expire("demo:0", expiry, actor="alice")
    cursor = reader.snapshot().cursor
    after_expiry = expiry + timedelta(seconds=1)

    assert writer.sweep_expired() == []
    assert writer.sweep_expired(now=after_expiry) == ["demo:0"]
    assert writer.sweep_expired(now=after_expiry) == []  # announced once

    events, _ = reader.read_changes(cursor, 0, 100)
    assert [(event.op, event.entry_ids, event.version) for event in events] == [(ChangeOp.REMOVE, ["demo:0"], 2)]
    (expired,) = writer.history(entry_id="demo:0", actor="system:expiry")
    assert expired.operation == "expired"
    monkeypatch.setattr(reader_module, "utc_now", lambda: after_expiry)
    assert [kept.entry_id for kept in reader.snapshot().entries] == ["demo:1", "demo:2"]


def test_a_transaction_is_retried_when_another_client_writes_what_it_watches(memory: MemoryRedis) -> None:
    other = WatchlistWriter(memory, PREFIX)
    attempts: list[int] = []

    def body(pipe: ReaderPipeline) -> int:
        attempts.append(len(attempts) + 1)
        if len(attempts) == 1:
            other.create_list("other", owner_country="CO", actor="carol")  # writes the watched lists hash
        pipe.multi()
        return len(attempts)

    assert run_transaction(memory, body, watch=(f"{PREFIX}:wl:lists",)) == 2
    assert attempts == [1, 2]
