"""WatchlistWriter against the dev Redis, each test under its own key prefix."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import redis

from services.shared.models.common import EntityKind
from services.shared.models.watchlist import EntryName, WatchlistEntry
from services.shared.settings import Settings
from services.watchlist.errors import ChangeFeedGap, EntryConflict, WatchlistNotFound
from services.watchlist.events import ChangeOp, WatchlistChange
from services.watchlist.writer import WatchlistWriter

pytestmark = pytest.mark.integration


@pytest.fixture
def client() -> Iterator[redis.Redis]:
    connection = redis.Redis.from_url(Settings().redis_url)
    yield connection
    connection.close()


@pytest.fixture
def store(client: redis.Redis) -> Iterator[WatchlistWriter]:
    settings = Settings(redis_key_prefix=f"test-{uuid.uuid4().hex}")
    store = WatchlistWriter(client, settings.redis_key_prefix)
    yield store
    store.delete_everything()
    assert not list(client.scan_iter(match=f"{settings.redis_key_prefix}:*"))


def entry(number: int, list_id: str = "demo", remarks: str = "v1", **changes: object) -> WatchlistEntry:
    fields: dict[str, object] = {
        "entry_id": f"{list_id}:{number}",
        "list_id": list_id,
        "kind": EntityKind.PERSON,
        "names": [EntryName(name=f"PERSON {number}")],
        "owner_country": "CO",
        "remarks": remarks,
    }
    fields.update(changes)
    return WatchlistEntry.model_validate(fields)


def apply(changes: list[WatchlistChange], state: dict[str, WatchlistEntry]) -> None:
    """What a matcher does with the feed."""
    for change in changes:
        if change.entry is not None:
            state[change.entry.entry_id] = change.entry
        for entry_id in change.removed_entry_ids():
            state.pop(entry_id, None)


def test_import_twice_is_idempotent(store: WatchlistWriter) -> None:
    entries = [entry(n) for n in range(5)]
    first = store.import_list("demo", entries, owner_country="CO", actor="alice")
    assert (first.version, first.previous_version, len(first.added)) == (1, 0, 5)
    _, cursor = store.read_changes("0-0", 0, 100)

    second = store.import_list("demo", list(reversed(entries)), owner_country="CO", actor="alice")
    assert second.is_unchanged and second.version == 1 and len(second.unchanged) == 5
    assert store.read_changes(cursor, 0, 100) == ([], cursor)
    assert store.info("demo").version == 1 and store.info("demo").entry_count == 5
    assert [record.operation for record in store.history(list_id="demo") if record.entry_id is None] == ["import"]


def test_import_of_changed_list_reports_and_publishes_the_difference(store: WatchlistWriter) -> None:
    store.import_list("demo", [entry(n) for n in range(4)], owner_country="CO", actor="alice")
    cursor = store.snapshot().cursor
    report = store.import_list(
        "demo", [entry(0), entry(1, remarks="v2"), entry(4)], owner_country="CO", actor="bob"
    )
    assert report.version == 2
    assert (report.added, report.changed, report.removed, report.unchanged) == (
        ["demo:4"], ["demo:1"], ["demo:2", "demo:3"], ["demo:0"]
    )
    changes, _ = store.read_changes(cursor, 0, 100)
    assert {(change.op, change.entry.entry_id if change.entry else change.entry_ids[0]) for change in changes} == {
        (ChangeOp.UPSERT, "demo:4"),
        (ChangeOp.UPSERT, "demo:1"),
        (ChangeOp.REMOVE, "demo:2"),
        (ChangeOp.REMOVE, "demo:3"),
    }
    assert all(change.version == 2 and change.list_id == "demo" for change in changes)
    assert [e.entry_id for e in store.entries("demo")] == ["demo:0", "demo:1", "demo:4"]
    with pytest.raises(WatchlistNotFound):
        store.get("demo:2")
    [changed] = store.history(entry_id="demo:1", actor="bob")
    assert changed.before is not None and changed.before.remarks == "v1"
    assert changed.after is not None and changed.after.remarks == "v2"


def test_snapshot_then_feed_reproduces_the_store(store: WatchlistWriter) -> None:
    store.import_list("demo", [entry(n) for n in range(3)], owner_country="CO", actor="alice")
    snapshot = store.snapshot()
    assert snapshot.versions == {"demo": 1} and len(snapshot.entries) == 3

    assert store.add(entry(10), actor="carol") == 2
    assert store.update(entry(0, remarks="edited"), actor="carol") == 3
    assert store.remove("demo:1", actor="carol") == 4
    assert store.expire("demo:2", datetime.now(UTC) - timedelta(seconds=1), actor="carol") == 5

    state = {e.entry_id: e for e in snapshot.entries}
    changes, cursor = store.read_changes(snapshot.cursor, 0, 100)
    assert [change.version for change in changes] == [2, 3, 4, 5]
    apply(changes, state)
    assert state == {e.entry_id: e for e in store.snapshot().entries}
    assert sorted(state) == ["demo:0", "demo:10"]
    # Replaying an overlap (the matcher restarting from an older cursor) changes nothing.
    apply(changes, state)
    assert sorted(state) == ["demo:0", "demo:10"]
    assert store.read_changes(cursor, 0, 100) == ([], cursor)
    assert [r.operation for r in store.history(actor="carol")] == ["add", "update", "remove", "expire"]


def test_single_entry_errors(store: WatchlistWriter) -> None:
    store.import_list("demo", [entry(1)], owner_country="CO", actor="alice")
    store.import_list("other", [entry(1, list_id="other")], owner_country="MX", actor="alice")
    with pytest.raises(EntryConflict):
        store.add(entry(1), actor="alice")
    with pytest.raises(WatchlistNotFound):
        store.update(entry(2), actor="alice")
    with pytest.raises(WatchlistNotFound):
        store.add(entry(1, list_id="nolist"), actor="alice")
    with pytest.raises(WatchlistNotFound):
        store.remove("demo:99", actor="alice")
    with pytest.raises(EntryConflict, match="used by another list"):
        store.add(entry(5, list_id="other", entry_id="demo:1"), actor="alice")
    assert store.info("demo").version == 1 and store.info("other").version == 1


def test_disable_and_enable_list(store: WatchlistWriter) -> None:
    store.import_list("demo", [entry(n) for n in range(3)], owner_country="CO", actor="alice")
    store.import_list("keep", [entry(1, list_id="keep")], owner_country="MX", actor="alice")
    state = {e.entry_id: e for e in store.snapshot().entries}
    cursor = store.snapshot().cursor

    assert store.disable_list("demo", actor="alice") == 2
    assert [e.entry_id for e in store.snapshot().entries] == ["keep:1"]
    changes, cursor = store.read_changes(cursor, 0, 100)
    assert [change.op for change in changes] == [ChangeOp.LIST_DISABLED]
    apply(changes, state)
    assert sorted(state) == ["keep:1"]

    store.update(entry(0, remarks="while disabled"), actor="alice")  # no event: readers do not hold the list
    assert store.read_changes(cursor, 0, 100)[0] == []
    assert store.enable_list("demo", actor="alice") == 4
    changes, cursor = store.read_changes(cursor, 0, 100)
    assert changes[0].op is ChangeOp.LIST_ENABLED and len(changes) == 4
    apply(changes, state)
    assert state == {e.entry_id: e for e in store.snapshot().entries}
    assert state["demo:0"].remarks == "while disabled"


def test_readers_during_an_import_never_see_a_mixed_version(store: WatchlistWriter) -> None:
    size = 3000
    store.import_list("demo", [entry(n, remarks="v1") for n in range(size)], owner_country="CO", actor="alice")
    seen: list[tuple[int, set[str | None], int]] = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            snapshot = store.snapshot()
            seen.append((snapshot.versions["demo"], {e.remarks for e in snapshot.entries}, len(snapshot.entries)))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for version in range(2, 5):
            remarks = f"v{version}"
            store.import_list(
                "demo", [entry(n, remarks=remarks) for n in range(size)], owner_country="CO", actor="alice"
            )
    finally:
        stop.set()
        reader.join()
    assert len(seen) >= 2
    for version, seen_remarks, count in seen:
        assert seen_remarks == {f"v{version}"} and count == size


def test_failed_import_leaves_the_current_version(
    store: WatchlistWriter, client: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.import_list("demo", [entry(n) for n in range(3)], owner_country="CO", actor="alice")
    before = store.snapshot()

    with pytest.raises(EntryConflict, match="list_id"):
        store.import_list(
            "demo", [entry(0, remarks="new"), entry(1, list_id="other")], owner_country="CO", actor="alice"
        )
    with pytest.raises(EntryConflict, match="twice"):
        store.import_list("demo", [entry(0), entry(0)], owner_country="CO", actor="alice")

    real_write = store._write_staging

    def write_then_fail(staging: str, payload: dict[str, bytes]) -> None:
        real_write(staging, payload)
        raise ConnectionError("network lost mid-import")

    monkeypatch.setattr(store, "_write_staging", write_then_fail)
    with pytest.raises(ConnectionError):
        store.import_list("demo", [entry(n, remarks="new") for n in range(5)], owner_country="CO", actor="alice")

    after = store.snapshot()
    assert after == before
    assert store.info("demo").version == 1
    assert not list(client.scan_iter(match=f"{store._keys.prefix}:staging:*"))


def test_sweep_announces_expiry_once(store: WatchlistWriter) -> None:
    store.import_list("demo", [entry(n) for n in range(2)], owner_country="CO", actor="alice")
    soon = datetime.now(UTC) + timedelta(hours=1)
    store.expire("demo:0", soon, actor="alice")
    cursor = store.snapshot().cursor
    assert store.sweep_expired() == []
    assert store.sweep_expired(now=soon + timedelta(seconds=1)) == ["demo:0"]
    assert store.sweep_expired(now=soon + timedelta(seconds=2)) == []
    changes, _ = store.read_changes(cursor, 0, 100)
    assert [(change.op, change.entry_ids) for change in changes] == [(ChangeOp.REMOVE, ["demo:0"])]


def test_trimmed_feed_asks_for_a_new_snapshot(store: WatchlistWriter, client: redis.Redis) -> None:
    store.import_list("demo", [entry(n) for n in range(5)], owner_country="CO", actor="alice")
    all_changes, cursor = store.read_changes("0-0", 0, 100)
    assert store.trim_changes(2) == 3
    with pytest.raises(ChangeFeedGap):
        store.read_changes("0-0", 0, 100)
    with pytest.raises(ChangeFeedGap):
        store.read_changes(all_changes[1].stream_id, 0, 100)
    # A reader that had seen every dropped event has no gap.
    assert store.read_changes(all_changes[2].stream_id, 0, 100)[0] == all_changes[3:]
    assert store.read_changes(cursor, 0, 100)[0] == []


def test_read_changes_blocks_until_an_event(store: WatchlistWriter) -> None:
    store.import_list("demo", [entry(1)], owner_country="CO", actor="alice")
    cursor = store.snapshot().cursor
    timer = threading.Timer(0.2, lambda: store.add(entry(2), actor="alice"))
    timer.start()
    changes, _ = store.read_changes(cursor, 5000, 10)
    timer.join()
    assert [change.entry.entry_id for change in changes if change.entry] == ["demo:2"]
