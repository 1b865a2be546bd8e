"""A desk session for a command: the officer authorised, the desk's store opened and caught up, Kafka at hand.

The CLI opens one per command; a long-running front end (a web console) would keep the store and
the materialiser open and compose DeskOperations itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import redis
from kafka import KafkaProducer

from services.admin.denied import DeniedLog
from services.admin.tokens import TokenStore
from services.desk.materialiser import Materialiser
from services.desk.operations import DeskOperations, authorise
from services.desk.store import DeskStore
from services.shared import topics
from services.shared.kafka_clients import make_producer
from services.shared.kafka_security import desk_principal
from services.shared.models.desk import DeskAction
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


def authorised(settings: Settings, token: str | None, desk: str, command: str) -> None:
    """Refuse (DeskRefused, recorded) unless `token` may read `desk`'s alerts."""
    client = redis.Redis.from_url(settings.redis_url)
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
    client = redis.Redis.from_url(settings.redis_url)
    with ExitStack() as stack:
        stack.callback(client.close)
        officer = authorise(TokenStore(client, settings), DeniedLog(client, settings), token, desk,
                            acting=acting, command=command)
        store = DeskStore(settings.desk_store_path(desk), desk)
        stack.callback(store.close)
        catch_up = _no_sync
        if sync or acting:  # an action is read back from the store: it must see the topics
            materialiser = Materialiser(settings, {desk: store}, desk_principal(desk))
            stack.callback(materialiser.close)
            catch_up = materialiser.catch_up
        publisher = KafkaActionPublisher(settings, desk, desk_principal(desk))
        stack.callback(publisher.close)
        yield DeskOperations(desk, officer, store, catch_up, publisher)


def _no_sync() -> int:
    return 0
