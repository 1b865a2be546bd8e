"""A desk session for a command: the officer authorised, the desk's store opened and caught up, Kafka at hand.

The CLI opens one per command; a long-running front end (a web console) would keep the store and
the materialiser open and compose DeskOperations itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager

from kafka import KafkaProducer

from services.admin.denied import DeniedLog
from services.admin.tokens import Principal, TokenStore
from services.desk.materialiser import Materialiser
from services.desk.operations import DeskOperations, authorise
from services.desk.store import DeskStore
from services.shared import topics
from services.shared.kafka_clients import make_producer
from services.shared.kafka_security import desk_principal
from services.shared.models.case import CaseEvent
from services.shared.models.desk import DeskAction
from services.shared.redis_clients import RedisUser, sync_client
from services.shared.settings import Settings

#: How long a command waits for the broker to take an action.
PUBLISH_TIMEOUT_S = 30.0


class KafkaActionPublisher:
    def __init__(self, settings: Settings, desk: str, principal: str) -> None:
        self._topic = topics.actions_topic(settings, desk)
        self._settings = settings
        self._principal = principal
        self._producer: KafkaProducer | None = None

    def publish(self, action: DeskAction) -> None:
        if self._producer is None:
            self._producer = make_producer(self._settings, self._principal)
        sent = self._producer.send(self._topic, key=action.alert_id.encode(), value=action.model_dump_json().encode())
        sent.get(timeout=PUBLISH_TIMEOUT_S)

    def close(self) -> None:
        if self._producer is not None:
            self._producer.close()


class KafkaCasePublisher:
    """Case events on `cases`, keyed by case id: a case's events stay in order on one partition."""

    def __init__(self, settings: Settings, principal: str) -> None:
        self._topic = topics.cases_topic(settings)
        self._settings = settings
        self._principal = principal
        self._producer: KafkaProducer | None = None

    def publish(self, event: CaseEvent) -> None:
        if self._producer is None:
            self._producer = make_producer(self._settings, self._principal)
        sent = self._producer.send(self._topic, key=event.case_id.encode(), value=event.model_dump_json().encode())
        sent.get(timeout=PUBLISH_TIMEOUT_S)

    def close(self) -> None:
        if self._producer is not None:
            self._producer.close()


def authorised(settings: Settings, token: str | None, desk: str, command: str) -> None:
    """Refuse (DeskRefused, recorded) unless `token` may read `desk`'s alerts."""
    client = sync_client(settings, RedisUser.CONSOLE)
    try:
        authorise(TokenStore(client, settings), DeniedLog(client, settings), token, desk, acting=False,
                  command=command)
    finally:
        client.close()


@contextmanager
def desk_session(
    settings: Settings, token: str | None, desk: str, *, acting: bool, command: str, sync: bool = True
) -> Iterator[DeskOperations]:
    """DeskOperations for the holder of `token` on `desk`; raises DeskRefused (recorded) otherwise."""
    with ExitStack() as stack:
        officer, store, catch_up = _open(stack, settings, token, desk, acting=acting, command=command, sync=sync)
        publisher = KafkaActionPublisher(settings, desk, desk_principal(desk))
        stack.callback(publisher.close)
        yield DeskOperations(desk, officer, store, catch_up, publisher)


def _open(
    stack: ExitStack, settings: Settings, token: str | None, desk: str, *, acting: bool, command: str, sync: bool
) -> tuple[Principal, DeskStore, Callable[[], object]]:
    """The officer authorised, the desk's store opened, and how to catch it up (closed with `stack`)."""
    client = sync_client(settings, RedisUser.CONSOLE)
    stack.callback(client.close)
    officer = authorise(TokenStore(client, settings), DeniedLog(client, settings), token, desk,
                        acting=acting, command=command)
    store = DeskStore(settings.desk_store_path(desk), desk)
    stack.callback(store.close)
    catch_up: Callable[[], object] = _no_sync
    if sync or acting:  # an action is read back from the store: it must see the topics
        # the desk's own topics only: joint cases are the console's and the desk store's (case_cli.py)
        materialiser = Materialiser(settings, {desk: store}, desk_principal(desk), with_cases=False)
        stack.callback(materialiser.close)
        catch_up = materialiser.catch_up
    return officer, store, catch_up


def _no_sync() -> int:
    return 0
