"""Ingest: where a manifest enters. `manifests.raw` -> `manifests.valid` | `manifests.dlq`."""

from __future__ import annotations

from collections.abc import Sequence

import faust

from services.ingest.validation import InvalidManifest, parse_manifest
from services.shared import topics
from services.shared.settings import Settings
from services.shared.stage import InputRecord, Outcome, Output
from services.shared.worker import create_app, host_stage

SERVICE = "ingest"


def manifest_key(feed: str, manifest_id: str) -> bytes:
    """Keyed by feed and manifest id, so every version of one manifest stays in order on one partition."""
    return f"{feed}:{manifest_id}".encode()


class IngestHandler:
    """Each raw message becomes its validated, normalised manifest, or a dead letter with the reason."""

    def __init__(self, valid_topic: str) -> None:
        self._valid_topic = valid_topic

    async def handle(self, records: Sequence[InputRecord]) -> list[Outcome]:
        return [self._one(record) for record in records]

    def _one(self, record: InputRecord) -> Outcome:
        try:
            manifest = parse_manifest(record.value or b"")
        except InvalidManifest as problem:
            return Outcome.rejected(problem.reason, problem.message, problem.error_class)
        key = manifest_key(manifest.feed, manifest.manifest_id)
        return Outcome([Output(self._valid_topic, key, manifest.model_dump_json().encode())])


def build_app(settings: Settings) -> faust.App:
    app = create_app(SERVICE, settings, settings.ingest_web_port)
    handler = IngestHandler(topics.qualified(settings, topics.MANIFESTS_VALID))
    sources = [topics.qualified(settings, topics.MANIFESTS_RAW)]
    host_stage(app, settings, handler, sources, topics.qualified(settings, topics.MANIFESTS_DLQ))
    return app
