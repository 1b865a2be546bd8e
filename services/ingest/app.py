"""Ingest: where a manifest enters. `manifests.raw` -> `manifests.valid` | `manifests.dlq`."""

from __future__ import annotations

import faust

from services.ingest.validation import InvalidManifest, parse_manifest
from services.shared import metrics, topics
from services.shared.dead_letter import dead_letter_headers
from services.shared.settings import Settings
from services.shared.streaming import create_app, raw_topic, send_confirmed

SERVICE = "ingest"


def manifest_key(feed: str, manifest_id: str) -> bytes:
    """Keyed by feed and manifest id, so every version of one manifest stays in order on one partition."""
    return f"{feed}:{manifest_id}".encode()


def build_app(settings: Settings) -> faust.App:
    app = create_app(SERVICE, settings, settings.ingest_web_port)
    raw_name = topics.qualified(settings, topics.MANIFESTS_RAW)
    valid_topic = raw_topic(app, topics.qualified(settings, topics.MANIFESTS_VALID))
    dead_letter_topic = raw_topic(app, topics.qualified(settings, topics.MANIFESTS_DLQ))

    @app.agent(raw_topic(app, raw_name), concurrency=1)
    async def ingest(stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            message = event.message
            metrics.MESSAGES_IN.labels(SERVICE, raw_name).inc()
            with metrics.timed(SERVICE):
                raw = message.value or b""
                try:
                    manifest = parse_manifest(raw)
                except InvalidManifest as problem:
                    headers = dead_letter_headers(message, problem.error_class, problem.message, SERVICE, problem.reason)
                    await send_confirmed(dead_letter_topic, message.key, raw, headers)
                    metrics.MESSAGES_REJECTED.labels(SERVICE, problem.reason).inc()
                    continue
                key = manifest_key(manifest.feed, manifest.manifest_id)
                await send_confirmed(valid_topic, key, manifest.model_dump_json().encode())
                metrics.MESSAGES_OUT.labels(SERVICE, valid_topic.get_topic_name()).inc()

    return app
