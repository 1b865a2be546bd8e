"""Notifier: where an alert leaves. `matches` -> `alerts.<country>` for each permitted desk."""

from __future__ import annotations

import logging
from functools import partial

import faust
import redis.asyncio as aioredis
from pydantic import ValidationError

from services.notifier.routing import alert_for_desk, permitted_desks
from services.shared import metrics, topics
from services.shared.dead_letter import dead_letter_headers
from services.shared.models import Match
from services.shared.settings import Settings
from services.shared.streaming import create_app, raw_topic, retry_transient, send_confirmed

SERVICE = "notifier"
log = logging.getLogger(__name__)

#: How long a desk's delivered alert ids are remembered, to send each alert to a desk only once
#: even when a match is redelivered or found again by re-screening.
DELIVERED_TTL_SECONDS = 90 * 24 * 3600


class DeliveryLedger:
    """Which alert ids each desk already received (Redis), so redeliveries do not repeat them."""

    def __init__(self, client: aioredis.Redis, key_prefix: str) -> None:
        self._client = client
        self._prefix = key_prefix

    def _key(self, desk: str, alert_id: str) -> str:
        return f"{self._prefix}:delivered:{desk}:{alert_id}"

    async def delivered(self, desk: str, alert_id: str) -> bool:
        return bool(await self._client.exists(self._key(desk, alert_id)))

    async def record(self, desk: str, alert_id: str) -> None:
        await self._client.set(self._key(desk, alert_id), b"1", ex=DELIVERED_TTL_SECONDS)


def build_app(settings: Settings) -> faust.App:
    app = create_app(SERVICE, settings, settings.notifier_web_port)
    matches_name = topics.qualified(settings, topics.MATCHES)
    dead_letter_topic = raw_topic(app, topics.qualified(settings, topics.MANIFESTS_DLQ))
    desk_topics = {
        country: raw_topic(app, topics.desk_topic(settings, country)) for country in settings.partner_countries
    }
    ledger = DeliveryLedger(aioredis.Redis.from_url(settings.redis_url), settings.redis_key_prefix)

    def count_retry(_: BaseException) -> None:
        metrics.DEPENDENCY_RETRIES.labels(SERVICE, "redis").inc()

    async def deliver(match: Match) -> None:
        allowed, withheld = permitted_desks(match)
        for desk in withheld:
            metrics.MESSAGES_REJECTED.labels(SERVICE, "withheld_by_sharing_scope").inc()
            log.info("alert for %s withheld from desk %s by sharing scope", match.entry.entry_id, desk)
        for desk in allowed:
            alert = alert_for_desk(match, desk)
            already = await retry_transient(partial(ledger.delivered, desk, alert.alert_id), "ledger", count_retry)
            if already:
                continue
            key = alert.alert_id.encode()
            await send_confirmed(desk_topics[desk], key, alert.model_dump_json().encode())
            await retry_transient(partial(ledger.record, desk, alert.alert_id), "ledger", count_retry)
            metrics.ALERTS.labels(desk, alert.severity.value).inc()
            metrics.MESSAGES_OUT.labels(SERVICE, desk_topics[desk].get_topic_name()).inc()

    @app.agent(raw_topic(app, matches_name), concurrency=1)
    async def notify(stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            message = event.message
            metrics.MESSAGES_IN.labels(SERVICE, matches_name).inc()
            with metrics.timed(SERVICE):
                try:
                    match = Match.model_validate_json(message.value or b"")
                except ValidationError as error:
                    headers = dead_letter_headers(message, "pydantic.ValidationError", str(error), SERVICE, "bad_match")
                    await send_confirmed(dead_letter_topic, message.key, message.value or b"", headers)
                    metrics.MESSAGES_REJECTED.labels(SERVICE, "bad_match").inc()
                    continue
                await deliver(match)

    return app

