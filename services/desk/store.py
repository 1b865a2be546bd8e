"""A desk's alerts and their states, materialised from its topics into SQLite, for fast queries.

Why SQLite: a desk's alerts are a few hundred thousand rows a year, read by a handful of officers;
the store must answer by state, severity, programme, time, vessel and entry with indexes, survive
restarts, and be rebuilt from the topics (the record) at will. SQLite does all of it in the
standard library, in one file per desk, with no server to run or secure: WAL lets the desk store
service write while the CLI (and later the web console) read, and a write transaction holds both
the records applied and the topic offsets they end at, so a restart resumes exactly where the
last transaction ended, a record is never applied twice, and a deleted file is rebuilt from the
beginning of the topics. One file per desk also keeps each desk's data apart by construction.

Tables: alerts (the latest version, with a column per query dimension), alert_versions (every
version), alert_subjects and alert_programmes (one row per entry and programme, for "by entry" and
"by programme"), lifecycle (each alert's status), actions (every event, with what it did),
dismissals (false positives remembered), offsets (where each topic partition was read to).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError

from services.desk.case_store import CaseRecord, CaseTables, EarlierEvents, no_earlier_events
from services.desk.dismissals import party_key
from services.desk.lifecycle import APPLIED, apply
from services.shared.models import Alert, Programme, Severity
from services.shared.models.desk import AlertState, AlertStatus, ClosingOutcome, DeskAction, PreviousDismissal

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS offsets (
    topic TEXT NOT NULL, partition INTEGER NOT NULL, next_offset INTEGER NOT NULL, PRIMARY KEY (topic, partition));
CREATE TABLE IF NOT EXISTS alerts (
    alert_id TEXT PRIMARY KEY, version INTEGER NOT NULL, severity TEXT NOT NULL, severity_rank INTEGER NOT NULL,
    state TEXT NOT NULL, escalated INTEGER NOT NULL, raised_at TEXT NOT NULL, updated_at TEXT NOT NULL,
    reported_at TEXT NOT NULL, manifest_id TEXT NOT NULL, vessel_name TEXT, vessel_imo TEXT, vessel_mmsi TEXT,
    body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS alerts_by_state ON alerts (state, raised_at, alert_id);
CREATE INDEX IF NOT EXISTS alerts_by_state_severity ON alerts (state, severity_rank, raised_at, alert_id);
CREATE INDEX IF NOT EXISTS alerts_by_severity ON alerts (severity_rank, raised_at, alert_id);
CREATE INDEX IF NOT EXISTS alerts_by_time ON alerts (raised_at, alert_id);
CREATE INDEX IF NOT EXISTS alerts_by_vessel_name ON alerts (vessel_name COLLATE NOCASE);
CREATE INDEX IF NOT EXISTS alerts_by_vessel_imo ON alerts (vessel_imo);
CREATE INDEX IF NOT EXISTS alerts_by_vessel_mmsi ON alerts (vessel_mmsi);
CREATE TABLE IF NOT EXISTS alert_versions (
    alert_id TEXT NOT NULL, version INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (alert_id, version)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS alert_subjects (
    subject_id TEXT NOT NULL, raised_at TEXT NOT NULL, alert_id TEXT NOT NULL,
    PRIMARY KEY (subject_id, raised_at, alert_id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS alert_subjects_by_alert ON alert_subjects (alert_id);
CREATE TABLE IF NOT EXISTS alert_programmes (
    programme TEXT NOT NULL, raised_at TEXT NOT NULL, alert_id TEXT NOT NULL,
    PRIMARY KEY (programme, raised_at, alert_id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS alert_programmes_by_alert ON alert_programmes (alert_id);
CREATE TABLE IF NOT EXISTS lifecycle (alert_id TEXT PRIMARY KEY, status TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS actions (
    event_id TEXT PRIMARY KEY, alert_id TEXT NOT NULL, partition INTEGER NOT NULL, offset INTEGER NOT NULL,
    at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, effect TEXT NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS actions_by_alert ON actions (alert_id, partition, offset);
CREATE INDEX IF NOT EXISTS actions_by_time ON actions (at);
CREATE INDEX IF NOT EXISTS actions_by_actor ON actions (actor, at);
CREATE TABLE IF NOT EXISTS first_responses (
    event_id TEXT PRIMARY KEY, severity TEXT NOT NULL, seconds REAL NOT NULL, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS dismissals (
    subject_id TEXT NOT NULL, party_key TEXT NOT NULL, party TEXT NOT NULL, actor TEXT NOT NULL, at TEXT NOT NULL,
    alert_id TEXT NOT NULL, event_id TEXT NOT NULL, PRIMARY KEY (subject_id, party_key, event_id)) WITHOUT ROWID;
"""
SCHEMA_VERSION = "1"


class StoreMismatch(RuntimeError):
    """The file belongs to another desk, or to another version of the store."""


def moment(value: datetime) -> str:
    """UTC at a fixed width: text order is time order, so the indexes sort by time."""
    return value.astimezone(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class StoreRecord:
    """A record read from one of the desk's topics, for the store to apply."""

    topic: str
    partition: int
    offset: int
    value: bytes | None
    kind: str  # "alert", "action" or "case"


@dataclass(frozen=True)
class AlertQuery:
    """Which alerts: every filter given must hold (a list holds when any of its items does)."""

    states: Sequence[AlertState] = ()
    severities: Sequence[Severity] = ()
    programmes: Sequence[Programme] = ()
    since: datetime | None = None  # raised at or after
    until: datetime | None = None  # raised before
    vessel: str | None = None  # the manifest's vessel: IMO number, MMSI or name (case aside)
    entry: str | None = None  # an entry (or identity conflict) it matched
    escalated: bool | None = None
    limit: int = 50


@dataclass(frozen=True)
class StoredAlert:
    alert: Alert
    status: AlertStatus


@dataclass(frozen=True)
class HistoryItem:
    action: DeskAction
    effect: str


@dataclass
class Applied:
    """What one transaction did."""

    alerts: int = 0
    actions: int = 0
    cases: int = 0  # case events of this desk's cases
    skipped: int = 0  # read before (another writer got there first), unreadable, or another desk's


class DeskStore:
    def __init__(self, path: Path, desk: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.desk = desk.upper()
        # autocommit: every write takes BEGIN IMMEDIATE itself, so concurrent writers queue up
        self._db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")  # a power cut may lose the last commit: re-read from Kafka
        self._db.executescript(SCHEMA)
        self.cases = CaseTables(self._db, self.desk)
        self._claim()

    def _claim(self) -> None:
        with self._write():
            claim = (self.desk, SCHEMA_VERSION)
            self._db.execute("INSERT OR IGNORE INTO meta VALUES ('desk', ?), ('schema', ?)", claim)
        found = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
        if (found["desk"], found["schema"]) != (self.desk, SCHEMA_VERSION):
            raise StoreMismatch(f"{self.path} holds desk {found['desk']}'s store (schema {found['schema']}), "
                                f"not desk {self.desk}'s (schema {SCHEMA_VERSION}); delete it to rebuild")

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _write(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # -- applying records (the materialiser) ---------------------------------------------------------

    def offsets(self) -> dict[tuple[str, int], int]:
        rows = self._db.execute("SELECT topic, partition, next_offset FROM offsets").fetchall()
        return {(topic, partition): offset for topic, partition, offset in rows}

    def apply(self, records: Sequence[StoreRecord], earlier: EarlierEvents = no_earlier_events) -> Applied:
        """Apply records in one transaction with the offsets they end at; those already applied are skipped.

        `earlier` gives a case's events before an invitation of this desk (case_store.py)."""
        applied = Applied()
        with self._write():
            done = self.offsets()  # inside the transaction: another writer may have got further
            for record in records:
                if record.offset < done.get((record.topic, record.partition), 0):
                    applied.skipped += 1
                    continue
                self._apply_one(record, applied, earlier)
                done[(record.topic, record.partition)] = record.offset + 1
            self._db.executemany(
                "INSERT INTO offsets VALUES (?, ?, ?) ON CONFLICT (topic, partition) DO UPDATE SET next_offset = "
                "excluded.next_offset", [(topic, partition, offset) for (topic, partition), offset in done.items()],
            )
        return applied

    def _apply_one(self, record: StoreRecord, applied: Applied, earlier: EarlierEvents) -> None:
        if record.kind == "case":  # the shared topic: this desk's cases are kept, the others' skipped
            if self.cases.put(CaseRecord(record.partition, record.offset, record.value), earlier):
                applied.cases += 1
            else:
                applied.skipped += 1
            return
        try:
            if record.kind == "alert":
                alert = Alert.model_validate_json(record.value or b"")
                if self._mine(alert.desk_country, record):
                    self._put_alert(alert)
                    applied.alerts += 1
                    return
            else:
                action = DeskAction.model_validate_json(record.value or b"")
                if self._mine(action.desk_country, record):
                    self._put_action(action, record)
                    applied.actions += 1
                    return
        except ValidationError as error:
            log.error("unreadable record %s:%d:%d skipped: %s", record.topic, record.partition, record.offset, error)
        applied.skipped += 1

    def _mine(self, desk: str, record: StoreRecord) -> bool:
        if desk != self.desk:  # never another desk's alert in this desk's store, whatever the topic held
            log.error("record %s:%d:%d is for desk %s, not %s: skipped", record.topic, record.partition,
                      record.offset, desk, self.desk)
        return desk == self.desk

    def _put_alert(self, alert: Alert) -> None:
        body = alert.model_dump_json()
        self._db.execute("INSERT OR IGNORE INTO alert_versions VALUES (?, ?, ?)", (alert.alert_id, alert.version, body))
        current = self._db.execute("SELECT version FROM alerts WHERE alert_id = ?", (alert.alert_id,)).fetchone()
        if current is not None and current[0] >= alert.version:
            return  # an older or repeated version: the row already holds a later one
        status = self._status(alert.alert_id)
        manifest = alert.manifest
        self._db.execute(
            "INSERT OR REPLACE INTO alerts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (alert.alert_id, alert.version, alert.severity.value, alert.severity.rank, status.state.value,
             int(status.escalated_at is not None), moment(alert.raised_at), moment(alert.updated_at),
             moment(manifest.reported_at), manifest.manifest_id, manifest.vessel_name, manifest.vessel_imo,
             manifest.vessel_mmsi, body),
        )
        self._db.execute("DELETE FROM alert_subjects WHERE alert_id = ?", (alert.alert_id,))
        self._db.execute("DELETE FROM alert_programmes WHERE alert_id = ?", (alert.alert_id,))
        raised = moment(alert.raised_at)
        subjects = {match.subject_id for match in alert.matches}
        programmes = {programme.value for match in alert.matches for programme in match.programmes}
        self._db.executemany(
            "INSERT INTO alert_subjects VALUES (?, ?, ?)", [(s, raised, alert.alert_id) for s in subjects]
        )
        self._db.executemany(
            "INSERT INTO alert_programmes VALUES (?, ?, ?)", [(p, raised, alert.alert_id) for p in programmes]
        )

    def _put_action(self, action: DeskAction, record: StoreRecord) -> None:
        if self._db.execute("SELECT 1 FROM actions WHERE event_id = ?", (action.event_id,)).fetchone():
            return  # the same event sent twice (a retried send): applied once
        before = self._status(action.alert_id)
        status, effect = apply(before, action)
        self._db.execute(
            "INSERT INTO actions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (action.event_id, action.alert_id, record.partition, record.offset, moment(action.at), action.actor,
             action.action.value, effect, action.model_dump_json()),
        )
        if effect != APPLIED:
            return
        if before.state is AlertState.NEW and status.state is not AlertState.NEW:
            self._first_response(action)
        self._db.execute("INSERT OR REPLACE INTO lifecycle VALUES (?, ?)", (action.alert_id, status.model_dump_json()))
        self._db.execute(
            "UPDATE alerts SET state = ?, escalated = ? WHERE alert_id = ?",
            (status.state.value, int(status.escalated_at is not None), action.alert_id),
        )
        if action.outcome is ClosingOutcome.FALSE_POSITIVE:
            self._db.executemany(
                "INSERT OR IGNORE INTO dismissals VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(item.subject_id, party_key(item.party), item.party, action.actor, moment(action.at),
                  action.alert_id, action.event_id) for item in action.dismissed],
            )

    def _first_response(self, action: DeskAction) -> None:
        """An officer took the alert out of `new` (once per alert): its time to acknowledge, for the
        desk store service to observe (`take_first_responses`), whoever applied the event."""
        row = self._db.execute("SELECT severity, raised_at FROM alerts WHERE alert_id = ?", (action.alert_id,))
        found = row.fetchone()
        if found is None:
            return  # the action was read before its alert (another topic): no raised time to count from
        seconds = max(0.0, (action.at - datetime.fromisoformat(found[1])).total_seconds())
        self._db.execute("INSERT OR IGNORE INTO first_responses VALUES (?, ?, ?, ?)",
                         (action.event_id, found[0], seconds, moment(action.at)))

    def take_first_responses(self, since: datetime) -> list[tuple[Severity, float]]:
        """The times to acknowledge recorded so far, removed: (severity, seconds) of those acted on at or
        after `since`. The older ones are dropped unobserved: a store rebuilt from the topics (or
        acknowledgements made while no service ran) must not be counted again as new."""
        if self._db.execute("SELECT 1 FROM first_responses LIMIT 1").fetchone() is None:
            return []  # the usual case, without taking the write lock
        with self._write():
            rows = self._db.execute("DELETE FROM first_responses RETURNING severity, seconds, at").fetchall()
        return [(Severity(severity), seconds) for severity, seconds, at in rows if at >= moment(since)]

    def _status(self, alert_id: str) -> AlertStatus:
        row = self._db.execute("SELECT status FROM lifecycle WHERE alert_id = ?", (alert_id,)).fetchone()
        return _status_of(row[0] if row else None)

    # -- reading ----------------------------------------------------------------------------------------

    def get(self, alert_id: str, version: int | None = None) -> StoredAlert | None:
        if version is None:
            row = self._db.execute("SELECT body FROM alerts WHERE alert_id = ?", (alert_id,)).fetchone()
        else:
            row = self._db.execute(
                "SELECT body FROM alert_versions WHERE alert_id = ? AND version = ?", (alert_id, version)
            ).fetchone()
        if row is None:
            return None
        return StoredAlert(Alert.model_validate_json(row[0]), self._status(alert_id))

    def versions(self, alert_id: str) -> list[int]:
        rows = self._db.execute("SELECT version FROM alert_versions WHERE alert_id = ? ORDER BY version", (alert_id,))
        return [version for (version,) in rows]

    def query(self, query: AlertQuery) -> list[StoredAlert]:
        """Alerts matching every filter, the most recently raised first (the greater id first at a tie)."""
        sql, params = select(query)
        rows = self._db.execute(sql, params).fetchall()
        return [StoredAlert(Alert.model_validate_json(body), _status_of(status)) for body, status in rows]

    def explain(self, query: AlertQuery) -> list[str]:
        """SQLite's plan for a query: how each index is used (tests check no table is read row by row)."""
        sql, params = select(query)
        return [str(step[-1]) for step in self._db.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()]

    def history(self, alert_id: str | None = None, actor: str | None = None, limit: int = 100) -> list[HistoryItem]:
        """Actions, oldest first: one alert's (in the order they were applied), or the desk's latest."""
        if alert_id is not None:
            rows = self._db.execute(
                "SELECT body, effect FROM actions WHERE alert_id = ? ORDER BY partition, offset", (alert_id,)
            ).fetchall()
        else:
            sql, params = "SELECT body, effect FROM actions", []
            if actor is not None:
                sql, params = sql + " WHERE actor = ?", [actor]
            rows = self._db.execute(sql + " ORDER BY at DESC LIMIT ?", [*params, limit]).fetchall()[::-1]
        return [HistoryItem(DeskAction.model_validate_json(body), effect) for body, effect in rows]

    def effect_of(self, event_id: str) -> str | None:
        row = self._db.execute("SELECT effect FROM actions WHERE event_id = ?", (event_id,)).fetchone()
        return row[0] if row else None

    def dismissals(self, subject_id: str, key: str) -> list[PreviousDismissal]:
        rows = self._db.execute(
            "SELECT party, actor, at, alert_id FROM dismissals WHERE subject_id = ? AND party_key = ? ORDER BY at",
            (subject_id, key),
        ).fetchall()
        return [
            PreviousDismissal(subject_id=subject_id, party=party, actor=actor, at=at, alert_id=alert)
            for party, actor, at, alert in rows
        ]

    def unescalated_new(self, severity: Severity, raised_before: datetime) -> list[StoredAlert]:
        """New alerts of a severity raised before a moment and not escalated yet: the escalator's candidates."""
        rows = self._db.execute(
            "SELECT body FROM alerts WHERE state = 'new' AND severity_rank = ? AND raised_at < ? AND escalated = 0 "
            "ORDER BY raised_at", (severity.rank, moment(raised_before)),
        ).fetchall()
        return [StoredAlert(Alert.model_validate_json(body), AlertStatus()) for (body,) in rows]

    def programme_counts(self) -> dict[tuple[str, str, str], int]:
        """Alerts per (programme, state, severity), 'none' for an alert with no programme (an identity
        conflict): an alert of two programmes counts under each."""
        rows = self._db.execute(
            "SELECT coalesce(p.programme, 'none'), a.state, a.severity, count(*) FROM alerts AS a "
            "LEFT JOIN alert_programmes AS p ON p.alert_id = a.alert_id GROUP BY 1, 2, 3"
        ).fetchall()
        return {(programme, state, severity): count for programme, state, severity, count in rows}

    def counts(self) -> dict[tuple[str, str], int]:
        """Alerts per (state, severity): for the desk's gauges."""
        rows = self._db.execute("SELECT state, severity, count(*) FROM alerts GROUP BY state, severity").fetchall()
        return {(state, severity): count for state, severity, count in rows}


def _status_of(text: str | None) -> AlertStatus:
    """An alert with no action yet is new."""
    return AlertStatus.model_validate_json(text) if text else AlertStatus()


def select(query: AlertQuery) -> tuple[str, list[object]]:
    """The SQL of a query: one part per value of its leading dimension, merged, the latest first.

    Each part follows one index in raised_at order, so it stops as soon as it has `limit` rows,
    however many alerts the desk holds: an entry's (alert_subjects), a programme's
    (alert_programmes), else a state's and severity's (alerts). `severity in (high, critical)` is
    two parts, not one range sorted whole. The parts' alert ids are merged, and only the `limit`
    latest are read whole.
    """
    parts: list[str] = []
    params: list[object] = []
    for source, order, leading, values in _parts(query):
        where, filters = _filters(query, exclude=source)
        conditions = " AND ".join([*leading, *where]) or "1"
        parts.append(f"SELECT * FROM (SELECT a.alert_id, {order}.raised_at AS raised_at FROM {source} "
                     f"WHERE {conditions} ORDER BY {order}.raised_at DESC, {order}.alert_id DESC LIMIT ?)")
        params += [*values, *filters, query.limit]
    sql = (
        "SELECT a.body, l.status FROM (" + " UNION ".join(parts) + ") AS q JOIN alerts AS a USING (alert_id) "
        "LEFT JOIN lifecycle AS l USING (alert_id) ORDER BY q.raised_at DESC, q.alert_id DESC LIMIT ?"
    )
    return sql, [*params, query.limit]


_BY_SUBJECT = "alert_subjects AS s JOIN alerts AS a ON a.alert_id = s.alert_id"
_BY_PROGRAMME = "alert_programmes AS p JOIN alerts AS a ON a.alert_id = p.alert_id"


#: A part of a query: its source, the table it is ordered by (raised_at, then alert_id: the index's order),
#: its leading conditions and their values.
Part = tuple[str, str, list[str], list[object]]


def _parts(query: AlertQuery) -> list[Part]:
    if query.entry:
        return [(_BY_SUBJECT, "s", ["s.subject_id = ?"], [query.entry])]
    if query.programmes:
        return [(_BY_PROGRAMME, "p", ["p.programme = ?"], [programme.value])
                for programme in query.programmes]
    states: list[AlertState | None] = list(query.states) or [None]
    severities: list[Severity | None] = list(query.severities) or [None]
    parts: list[Part] = []
    for state in states:
        for severity in severities:
            leading: list[str] = []
            values: list[object] = []
            if state is not None:
                leading, values = ["a.state = ?"], [state.value]
            if severity is not None:
                leading, values = [*leading, "a.severity_rank = ?"], [*values, severity.rank]
            parts.append(("alerts AS a", "a", leading, values))
    return parts


def _filters(query: AlertQuery, exclude: str) -> tuple[list[str], list[object]]:
    """The conditions of every part besides its leading one."""
    where: list[str] = []
    params: list[object] = []

    def any_of(column: str, values: Sequence[object]) -> None:
        if values:
            where.append(f"{column} IN ({', '.join('?' * len(values))})")
            params.extend(values)

    if exclude != "alerts AS a":  # led by an entry or a programme: state and severity are filters
        any_of("a.state", [state.value for state in query.states])
        any_of("a.severity_rank", [severity.rank for severity in query.severities])
    if query.programmes and exclude == _BY_SUBJECT:
        marks = ", ".join("?" * len(query.programmes))
        where.append(f"a.alert_id IN (SELECT alert_id FROM alert_programmes WHERE programme IN ({marks}))")
        params.extend(programme.value for programme in query.programmes)
    if query.since is not None:
        where.append("a.raised_at >= ?")
        params.append(moment(query.since))
    if query.until is not None:
        where.append("a.raised_at < ?")
        params.append(moment(query.until))
    if query.vessel:
        where.append("(a.vessel_imo = ? OR a.vessel_mmsi = ? OR a.vessel_name = ? COLLATE NOCASE)")
        params.extend([query.vessel.strip()] * 3)
    if query.escalated is not None:
        where.append("a.escalated = ?")
        params.append(int(query.escalated))
    return where, params
