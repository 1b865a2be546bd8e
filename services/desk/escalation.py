"""Escalation: an alert still new past its severity's deadline is escalated.

Three things happen, once per alert: an `escalate` event on the desk's actions topic (the record:
the store marks the alert escalated, `desk watch` prints a line, `desk list --escalated` finds
it), the metric interdict_desk_escalations_total{desk,severity}, and a log line. The deadline is
counted from when the alert was raised, by its severity now (INTERDICT_ESCALATION_DEADLINES).

The escalator runs in the desk store service only once its store has caught up with the topics,
so a store rebuilt from scratch does not escalate again what was escalated before; and an event
is identified by its alert, so one sent twice (two services, a crash before it was read back) is
applied once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from services.desk import metrics
from services.desk.operations import ActionPublisher
from services.desk.store import DeskStore
from services.shared.models import Alert, Severity
from services.shared.models.alert import deterministic_id
from services.shared.models.desk import ESCALATOR, ActionKind, DeskAction

log = logging.getLogger(__name__)


def overdue(alert: Alert, now: datetime, deadlines: Mapping[Severity, timedelta]) -> bool:
    return now - alert.raised_at > deadlines[alert.severity]


def escalation_of(alert: Alert, now: datetime, deadline: timedelta) -> DeskAction:
    minutes = int((now - alert.raised_at).total_seconds() // 60)
    limit = int(deadline.total_seconds() // 60)
    return DeskAction(
        event_id=deterministic_id("escalation", alert.desk_country, alert.alert_id),
        alert_id=alert.alert_id, desk_country=alert.desk_country, action=ActionKind.ESCALATE, actor=ESCALATOR,
        at=now, alert_version=alert.version, severity=alert.severity,
        note=f"new for {minutes} min, past the {alert.severity.value} deadline of {limit} min",
    )


class Escalator:
    def __init__(
        self,
        store: DeskStore,
        publisher: ActionPublisher,
        deadlines: Mapping[Severity, timedelta],
        clock: Callable[[], datetime],
    ) -> None:
        self._store = store
        self._publisher = publisher
        self._deadlines = deadlines
        self._clock = clock
        self._sent: set[str] = set()  # sent, perhaps not read back yet

    def run(self) -> list[DeskAction]:
        """Escalate every alert now overdue; the events sent."""
        now = self._clock()
        sent = []
        for severity, deadline in self._deadlines.items():
            for stored in self._store.unescalated_new(severity, now - deadline):
                if stored.alert.alert_id in self._sent:
                    continue
                event = escalation_of(stored.alert, now, deadline)
                self._publisher.publish(event)
                self._sent.add(stored.alert.alert_id)
                metrics.ESCALATIONS.labels(stored.alert.desk_country, severity.value).inc()
                log.warning("escalated %s on desk %s: %s", event.alert_id, event.desk_country, event.note)
                sent.append(event)
        return sent
