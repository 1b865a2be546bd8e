"""`interdict deskstore`: keeps the desks' stores current and escalates overdue alerts.

One process for the desks it is given (every partner desk by default; a partner running its own
runs it for its own desk only). It first catches up with the desks' topics (a new or deleted store
is rebuilt from the beginning), then follows them; every INTERDICT_ESCALATION_CHECK_SECONDS it
escalates what is overdue and updates the desks' gauges. While Kafka is away it waits with a
back-off and carries on where its stores stopped.

Time to acknowledge: a store records each alert's first response as it applies it, whoever
applies it (this service, or a desk command reading its own action back); this service observes
those made since it started and drops the older ones, so a store rebuilt from the topics, or a
restart, never counts an acknowledgement twice.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from kafka.errors import KafkaError

from services.desk import metrics
from services.desk.escalation import Escalator
from services.desk.materialiser import DESKSTORE, CatchUpTimeout, Materialiser
from services.desk.session import KafkaActionPublisher
from services.desk.store import DeskStore
from services.shared.backoff import Backoff
from services.shared.health import Health
from services.shared.models import Severity
from services.shared.models.case import CaseState
from services.shared.models.desk import AlertState, DeskAction
from services.shared.settings import Settings

log = logging.getLogger(__name__)


class DeskStoreService:
    def __init__(
        self, settings: Settings, desks: Sequence[str], clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self._settings = settings
        self._started = clock()  # first responses before this were observed by an earlier run, or never live
        metrics.desk_series_at_zero(desks)
        self.stores = {desk: DeskStore(settings.desk_store_path(desk), desk) for desk in desks}
        self._publishers = {desk: KafkaActionPublisher(settings, desk, DESKSTORE) for desk in desks}
        deadlines = settings.escalation_deadline()
        self._escalators = {
            desk: Escalator(store, self._publishers[desk], deadlines, clock) for desk, store in self.stores.items()
        }
        self._materialiser: Materialiser | None = None
        self._caught_up = False
        # Ready once every store has caught up with its topics, until Kafka is lost.
        self.health = Health("deskstore")
        self.health.require("caught_up", lambda: self._caught_up)
        self.health.describe(lambda: {"desks": sorted(self.stores)})

    def start(self) -> None:
        """Catch up with the topics: until then nothing is escalated (a rebuilt store would repeat)."""
        self._materialiser = Materialiser(self._settings, self.stores)
        applied = self._materialiser.catch_up(timeout_s=600, on_progress=self.health.heartbeat.beat)
        log.info("desk stores %s caught up (%d records applied)", ", ".join(self.stores), applied)
        self._caught_up = True
        self.observe_first_responses()

    def step(self, timeout_ms: int = 500) -> int:
        """Apply what the topics bring within `timeout_ms`."""
        assert self._materialiser is not None, "start() first"
        applied = self._materialiser.poll(timeout_ms)
        self.observe_first_responses()
        return applied

    def observe_first_responses(self) -> None:
        for desk, store in self.stores.items():
            for severity, seconds in store.take_first_responses(since=self._started):
                metrics.TIME_TO_ACKNOWLEDGE.labels(desk, severity.value).observe(seconds)

    def escalate(self) -> list[DeskAction]:
        """Escalate every desk's overdue alerts, then read the events back into the stores."""
        sent = [event for escalator in self._escalators.values() for event in escalator.run()]
        if sent and self._materialiser is not None:
            self._materialiser.catch_up(timeout_s=60)
        self.update_gauges()
        return sent

    def update_gauges(self) -> None:
        """Every series set, those now empty to 0 (not left at their last count)."""
        for desk, store in self.stores.items():
            counts = store.counts()
            by_programme = store.programme_counts()
            for severity in Severity:
                for state in AlertState:
                    metrics.ALERTS.labels(desk, state, severity).set(counts.get((state, severity), 0))
                    for programme in metrics.PROGRAMMES:
                        count = by_programme.get((programme, state, severity), 0)
                        metrics.ALERTS_BY_PROGRAMME.labels(desk, programme, state, severity).set(count)
            cases = store.cases.counts()
            for case_state in CaseState:
                metrics.CASES.labels(desk, case_state).set(cases.get(case_state, 0))

    def run(self, stop: threading.Event) -> None:
        backoff = Backoff()
        while not stop.is_set():
            self.health.heartbeat.beat()
            try:
                self._run(stop, backoff)
            except (KafkaError, CatchUpTimeout, OSError) as error:
                self._caught_up = False
                delay = backoff.next_delay()
                log.warning("desk store: Kafka unavailable (%s); again in %.1fs", error, delay)
                self.close_consumer()
                stop.wait(delay)

    def _run(self, stop: threading.Event, backoff: Backoff) -> None:
        self.start()
        backoff.reset()
        next_check = 0.0
        while not stop.is_set():
            self.health.heartbeat.beat()
            self.step()
            if time.monotonic() >= next_check:
                self.escalate()
                next_check = time.monotonic() + self._settings.escalation_check_seconds

    def close_consumer(self) -> None:
        if self._materialiser is not None:
            self._materialiser.close()
            self._materialiser = None

    def close(self) -> None:
        self.close_consumer()
        for publisher in self._publishers.values():
            publisher.close()
        for store in self.stores.values():
            store.close()
