"""A desk's joint cases in its store: only the cases the desk opened or was invited to.

The `cases` topic holds every desk's cases; each desk's store reads all of it and keeps what
concerns its desk: a case it opens, and from its invitation on, a case it is invited to. An
invited desk also sees what came before its invitation (the case was opened, notes, state
changes): the store asks for the case's earlier events (`EarlierEvents`, the materialiser reads
them back from the case's partition) and folds them in with the invitation. Any other desk's case
never enters the file, nor do a refused invitation's effects.

Runs inside the store's transactions (store.py): the events, the cases they make and the offsets
are written together.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import ValidationError

from services.desk.case_lifecycle import apply_case, opened
from services.desk.lifecycle import APPLIED
from services.shared.models.case import CaseAction, CaseEvent, CaseHistoryItem, CaseState, CaseStatus

log = logging.getLogger(__name__)

CASE_SCHEMA = """
CREATE TABLE IF NOT EXISTS cases (
    case_id TEXT PRIMARY KEY, priority_rank INTEGER NOT NULL, state TEXT NOT NULL, updated_at TEXT NOT NULL,
    status TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS cases_by_relevance ON cases (state, priority_rank, updated_at);
CREATE INDEX IF NOT EXISTS cases_by_priority ON cases (priority_rank, updated_at);
CREATE TABLE IF NOT EXISTS case_alerts (
    alert_id TEXT NOT NULL, case_id TEXT NOT NULL, PRIMARY KEY (alert_id, case_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS case_events (
    event_id TEXT PRIMARY KEY, case_id TEXT NOT NULL, partition INTEGER NOT NULL, offset INTEGER NOT NULL,
    at TEXT NOT NULL, effect TEXT NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS case_events_by_case ON case_events (case_id, partition, offset);
"""


@dataclass(frozen=True)
class CaseRecord:
    """A record of the `cases` topic: where it is, and what it says."""

    partition: int
    offset: int
    value: bytes | None


#: The records of a case before an offset of its partition, oldest first: (case id, partition, offset).
EarlierEvents = Callable[[str, int, int], Sequence[CaseRecord]]


def no_earlier_events(case_id: str, partition: int, offset: int) -> Sequence[CaseRecord]:
    return ()


def _moment(value: datetime) -> str:
    """As the store writes times (store.moment): text order is time order."""
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def parse(record: CaseRecord) -> CaseEvent | None:
    try:
        return CaseEvent.model_validate_json(record.value or b"")
    except ValidationError as error:
        log.error("unreadable case event at partition %d offset %d skipped: %s", record.partition, record.offset, error)
        return None


class CaseTables:
    """The cases of one desk's store, on the store's connection."""

    def __init__(self, db: sqlite3.Connection, desk: str) -> None:
        self._db = db
        self.desk = desk
        db.executescript(CASE_SCHEMA)

    # -- applying (within the store's write transaction) -------------------------------------------------

    def put(self, record: CaseRecord, earlier: EarlierEvents) -> bool:
        """Apply a record of `cases` if it concerns this desk; whether it did."""
        event = parse(record)
        if event is None or self._known(event.event_id):
            return False
        case = self.case(event.case_id)
        if case is not None:
            self._fold(case, event, record)
            return True
        if event.action is CaseAction.OPEN and event.desk_country == self.desk:
            self._fold(None, event, record)
            return True
        if event.action is CaseAction.INVITE and event.refused is None and event.invited == self.desk:
            self._join(event, record, earlier)
            return True
        return False  # another desk's case: never in this desk's file

    def _join(self, invitation: CaseEvent, record: CaseRecord, earlier: EarlierEvents) -> None:
        """Invited: the case as it stood, from its opening, then the invitation."""
        case: CaseStatus | None = None
        for before in earlier(invitation.case_id, record.partition, record.offset):
            event = parse(before)
            if event is not None and event.case_id == invitation.case_id and not self._known(event.event_id):
                case = self._fold(case, event, before)
        if case is None:
            log.error("case %s: invited to a case never opened; skipped", invitation.case_id)
            return
        self._fold(case, invitation, record)

    def _fold(self, case: CaseStatus | None, event: CaseEvent, record: CaseRecord) -> CaseStatus | None:
        if case is None:
            if event.action is not CaseAction.OPEN:
                return None  # before its opening (cannot happen on one partition): nothing to add it to
            case, effect = opened(event), APPLIED
            self._db.executemany(
                "INSERT OR IGNORE INTO case_alerts VALUES (?, ?)",
                [(alert_id, case.case_id) for alert_id in case.alert_ids],
            )
        else:
            case, effect = apply_case(case, event)
        self._db.execute(
            "INSERT INTO case_events VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                event.event_id,
                event.case_id,
                record.partition,
                record.offset,
                _moment(event.at),
                effect,
                event.model_dump_json(),
            ),
        )
        self._db.execute(
            "INSERT OR REPLACE INTO cases VALUES (?, ?, ?, ?, ?)",
            (case.case_id, case.priority.rank, case.state.value, _moment(case.updated_at), case.model_dump_json()),
        )
        return case

    def _known(self, event_id: str) -> bool:
        return self._db.execute("SELECT 1 FROM case_events WHERE event_id = ?", (event_id,)).fetchone() is not None

    # -- reading ----------------------------------------------------------------------------------------

    def case(self, case_id: str) -> CaseStatus | None:
        row = self._db.execute("SELECT status FROM cases WHERE case_id = ?", (case_id,)).fetchone()
        return CaseStatus.model_validate_json(row[0]) if row else None

    def cases(self, states: Sequence[CaseState] = (), limit: int = 50) -> list[CaseStatus]:
        """The most relevant first: the highest priority, then the latest changed."""
        where, params = "", [s.value for s in states]
        if states:
            where = f"WHERE state IN ({', '.join('?' * len(states))})"
        rows = self._db.execute(
            f"SELECT status FROM cases {where} ORDER BY priority_rank DESC, updated_at DESC, case_id LIMIT ?",
            [*params, limit],
        ).fetchall()
        return [CaseStatus.model_validate_json(status) for (status,) in rows]

    def history(self, case_id: str) -> list[CaseHistoryItem]:
        rows = self._db.execute(
            "SELECT body, effect FROM case_events WHERE case_id = ? ORDER BY partition, offset", (case_id,)
        ).fetchall()
        return [CaseHistoryItem(event=CaseEvent.model_validate_json(body), effect=effect) for body, effect in rows]

    def effect_of(self, event_id: str) -> str | None:
        row = self._db.execute("SELECT effect FROM case_events WHERE event_id = ?", (event_id,)).fetchone()
        return row[0] if row else None

    def of_alert(self, alert_id: str) -> list[str]:
        """The desk's cases an alert is in."""
        rows = self._db.execute("SELECT case_id FROM case_alerts WHERE alert_id = ? ORDER BY case_id", (alert_id,))
        return [case_id for (case_id,) in rows]

    def counts(self) -> dict[str, int]:
        """The desk's cases per state: for its gauges."""
        return dict(self._db.execute("SELECT state, count(*) FROM cases GROUP BY state").fetchall())
