"""The console's desks: each desk's store kept current from its topics by one thread, and told apart.

The console keeps the desks' stores open and follows `alerts.<cc>` and `actions.<cc>` itself (the
same Materialiser as `interdict deskstore`; when both run, a record one applies the other skips),
so a page shows an action the moment it is on the topic, and the console works without the desk
store service. A KafkaConsumer is not thread-safe, so one thread owns it: request threads ask it
to catch up (`sync`) and wait, and the push streams wait for a desk's store to change
(`changed`), without polling.

A store changes when its offsets do (whoever applied the records): that is what wakes a stream.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from kafka.errors import KafkaError

from services.desk.materialiser import CatchUpTimeout, Materialiser, TopicMissing
from services.desk.session import KafkaActionPublisher, KafkaCasePublisher
from services.desk.store import DeskStore
from services.shared.backoff import Backoff
from services.shared.health import Heartbeat
from services.shared.settings import Settings

log = logging.getLogger(__name__)

#: The console's Kafka principal: it reads every desk's topics and the cases, and publishes the
#: actions and case events of the officers whose tokens it checked.
CONSOLE = "console"

#: How long one poll of the topics may wait: how soon a sync request is served while idle.
POLL_MS = 200


class SyncUnavailable(CatchUpTimeout):
    """The desk's topics were not read to their end in time (Kafka away, or far behind)."""


@dataclass
class _Watchers:
    """The push streams waiting for one desk's store to change, each an event in its own loop."""

    generation: int = 0
    waiting: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = field(default_factory=list)


class ConsoleDesks:
    def __init__(self, settings: Settings, desks: Sequence[str]) -> None:
        self._settings = settings
        self.stores = {desk: DeskStore(settings.desk_store_path(desk), desk) for desk in desks}
        self.publishers = {desk: KafkaActionPublisher(settings, desk, CONSOLE) for desk in desks}
        self.case_publisher = KafkaCasePublisher(settings, CONSOLE)  # `cases` is every desk's
        self.heartbeat = Heartbeat()
        self._materialiser: Materialiser | None = None
        self._lock = threading.Condition()
        self._asked = 0  # sync requests made
        self._served = 0  # sync requests answered by a catch-up that started after them
        self._following = False
        self._watchers = {desk: _Watchers() for desk in desks}
        self._seen = {desk: store.offsets() for desk, store in self.stores.items()}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def following(self) -> bool:
        """The topics are being read: the stores are as current as Kafka lets them be."""
        return self._following

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="console-desks", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        for publisher in self.publishers.values():
            publisher.close()
        self.case_publisher.close()
        for store in self.stores.values():
            store.close()

    # -- for request threads ---------------------------------------------------------------------

    def sync(self) -> None:
        """Return once every record on the topics when this was called is in the stores."""
        with self._lock:
            self._asked += 1
            ticket = self._asked
            self._lock.notify_all()
            if not self._lock.wait_for(
                lambda: self._served >= ticket, timeout=self._settings.console_sync_timeout_seconds
            ):
                raise SyncUnavailable("the desk topics could not be read in time; is Kafka reachable?")

    def readable(self) -> bool:
        """Every store answers a query."""
        try:
            return all(store.counts() is not None for store in self.stores.values())
        except Exception:  # any failure to read is "not ready", said in /readyz, never a crash
            log.exception("a desk store cannot be read")
            return False

    # -- for push streams (in the event loop) ----------------------------------------------------

    def generation(self, desk: str) -> int:
        return self._watchers[desk].generation

    async def changed(self, desk: str, since: int, timeout_s: float) -> bool:
        """Wait until `desk`'s store changes after generation `since`; False if `timeout_s` passed first."""
        event = asyncio.Event()
        entry = (asyncio.get_running_loop(), event)
        with self._lock:
            if self._watchers[desk].generation != since:
                return True
            self._watchers[desk].waiting.append(entry)
        try:
            await asyncio.wait_for(event.wait(), timeout_s)
            return True
        except TimeoutError:
            return False
        finally:
            with self._lock:
                if entry in self._watchers[desk].waiting:
                    self._watchers[desk].waiting.remove(entry)

    # -- the follower thread ----------------------------------------------------------------------

    def _run(self) -> None:
        backoff = Backoff()
        while not self._stop.is_set():
            self.heartbeat.beat()
            try:
                self._follow(backoff)
            except (KafkaError, CatchUpTimeout, TopicMissing, OSError) as error:
                self._following = False
                delay = backoff.next_delay()
                log.warning("console: the desk topics cannot be read (%s); again in %.1fs", error, delay)
                self._close_consumer()
                self._stop.wait(delay)
        self._close_consumer()

    def _follow(self, backoff: Backoff) -> None:
        self._materialiser = Materialiser(self._settings, self.stores, CONSOLE)
        self._materialiser.catch_up(timeout_s=600, on_progress=self.heartbeat.beat)
        self._following = True
        backoff.reset()
        self._announce_changes()
        while not self._stop.is_set():
            self.heartbeat.beat()
            with self._lock:
                asked = self._asked
            if asked > self._served:
                self._materialiser.catch_up(timeout_s=self._settings.console_sync_timeout_seconds)
                with self._lock:
                    self._served = asked
                    self._lock.notify_all()
            else:
                self._materialiser.poll(timeout_ms=POLL_MS)
            self._announce_changes()

    def _announce_changes(self) -> None:
        for desk, store in self.stores.items():
            offsets = store.offsets()
            if offsets == self._seen[desk]:
                continue
            self._seen[desk] = offsets
            with self._lock:
                watchers = self._watchers[desk]
                watchers.generation += 1
                for loop, event in watchers.waiting:
                    loop.call_soon_threadsafe(event.set)

    def _close_consumer(self) -> None:
        if self._materialiser is not None:
            self._materialiser.close()
            self._materialiser = None
