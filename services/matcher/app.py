"""Matcher: `manifests.valid` -> `matches`, one message per manifest and matched watchlist entry."""

from __future__ import annotations

import faust
from pydantic import ValidationError

from services.matcher.engine import MatchingEngine
from services.matcher.replica import WatchlistReplica
from services.matcher.screening import screen_manifest
from services.shared import metrics, topics
from services.shared.dead_letter import dead_letter_headers
from services.shared.models import ManifestAdapter
from services.shared.settings import Settings
from services.shared.streaming import create_app, raw_topic, send_confirmed

SERVICE = "matcher"


def build_app(settings: Settings) -> faust.App:
    app = create_app(SERVICE, settings, settings.matcher_web_port)
    valid_name = topics.qualified(settings, topics.MANIFESTS_VALID)
    matches_topic = raw_topic(app, topics.qualified(settings, topics.MATCHES))
    dead_letter_topic = raw_topic(app, topics.qualified(settings, topics.MANIFESTS_DLQ))
    replica = WatchlistReplica(lambda: MatchingEngine(threshold=settings.match_threshold), settings)

    @app.task
    async def follow_watchlists() -> None:
        await replica.run()

    @app.page("/health/")
    async def health(web: faust.web.View, request: faust.web.Request) -> faust.web.Response:
        state = replica.health()
        return web.json(state, status=200 if state["ready"] else 503)

    @app.agent(raw_topic(app, valid_name), concurrency=1)
    async def match(stream: faust.StreamT[bytes]) -> None:
        await replica.wait_ready()
        async for event in stream.events():
            message = event.message
            metrics.MESSAGES_IN.labels(SERVICE, valid_name).inc()
            with metrics.timed(SERVICE):
                try:
                    manifest = ManifestAdapter.validate_json(message.value or b"")
                except ValidationError as error:
                    # Ingest validated it with the same models: this is a version skew between
                    # workers, and the message must not be lost while it is sorted out.
                    headers = dead_letter_headers(message, "pydantic.ValidationError", str(error), SERVICE, "bad_manifest")
                    await send_confirmed(dead_letter_topic, message.key, message.value or b"", headers)
                    metrics.MESSAGES_REJECTED.labels(SERVICE, "bad_manifest").inc()
                    continue
                for found in screen_manifest(manifest, replica.engine, replica.versions):
                    await send_confirmed(matches_topic, message.key, found.model_dump_json().encode())
                    metrics.MATCHES.labels(found.entry.list_id).inc()
                    metrics.MESSAGES_OUT.labels(SERVICE, matches_topic.get_topic_name()).inc()

    return app
