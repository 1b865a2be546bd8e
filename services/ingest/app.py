"""Ingest: where a manifest enters. `manifests.raw` -> `manifests.valid` | `vessels.ais` | `manifests.dlq`.

Per batch: each raw message is decoded in its format, validated against the models, its codes
checked (checks.py); then, in one Redis round trip each, every manifest gets its version (or is
found to be a duplicate: history.py) and every vessel identity is compared with the last one seen
(sightings.py, identity.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import redis.asyncio as aioredis

from services.ingest.decoding import Decoded, MessageDecoder
from services.ingest.errors import InvalidManifest
from services.ingest.history import ManifestHistory, RedisManifestHistory, Verdict, VersionRequest
from services.ingest.identity import conflicts, sighting_of
from services.ingest.sightings import RedisSightingLog, SightingLog
from services.ingest.versions import Summary, changes_between, content_digest, summary_of
from services.shared import metrics, topics
from services.shared.models.ingest import IdentityConflict, IngestInfo
from services.shared.models.manifest import ShipmentManifest, VesselManifest
from services.shared.redis_clients import RedisUser, async_client
from services.shared.settings import Settings
from services.shared.stage import InputRecord, Outcome, Output
from services.shared.worker import WorkerApp, create_app, host_stage

SERVICE = "ingest"

Manifest = ShipmentManifest | VesselManifest


def manifest_key(feed: str, manifest_id: str) -> bytes:
    """Keyed by feed and manifest id, so every version of one manifest stays in order on one partition."""
    return f"{feed}:{manifest_id}".encode()


@dataclass(frozen=True)
class IngestTopics:
    valid: str
    ais: str


@dataclass
class _Record:
    """One raw record on its way: its decoded manifests and AIS reports, then their verdicts."""

    record: InputRecord
    decoded: Decoded
    digests: list[str] = field(default_factory=list)
    summaries: list[Summary] = field(default_factory=list)
    verdicts: list[Verdict] = field(default_factory=list)
    conflicts: list[list[IdentityConflict]] = field(default_factory=list)


class IngestHandler:
    """Each raw message becomes its validated, normalised manifests, or a dead letter with the reason."""

    def __init__(
        self,
        output_topics: IngestTopics,
        decoder: MessageDecoder,
        history: ManifestHistory,
        sightings: SightingLog,
    ) -> None:
        self._topics = output_topics
        self._decoder = decoder
        self._history = history
        self._sightings = sightings

    async def handle(self, records: Sequence[InputRecord]) -> list[Outcome]:
        items: list[_Record | Outcome] = []
        for record in records:
            try:
                items.append(_Record(record, self._decoder.decode(record)))
            except InvalidManifest as problem:
                items.append(Outcome.rejected(problem.reason, problem.message, problem.error_class))
        accepted = [item for item in items if isinstance(item, _Record)]
        await self._version(accepted)
        await self._compare_identities(accepted)
        return [item if isinstance(item, Outcome) else self._outcome(item) for item in items]

    async def _version(self, items: list[_Record]) -> None:
        requests = []
        for item in items:
            item.digests = [content_digest(manifest) for manifest in item.decoded.manifests]
            item.summaries = [summary_of(manifest) for manifest in item.decoded.manifests]
            for manifest, digest, summary in zip(item.decoded.manifests, item.digests, item.summaries, strict=True):
                position = item.record.position
                requests.append(VersionRequest(manifest.feed, manifest.manifest_id, digest, summary, position))
        verdicts = iter(await self._history.record(requests))
        for item in items:
            item.verdicts = [next(verdicts) for _ in item.decoded.manifests]

    async def _compare_identities(self, items: list[_Record]) -> None:
        wanted = []
        for item in items:
            item.conflicts = [[] for _ in item.decoded.manifests]
            for index, (manifest, verdict) in enumerate(zip(item.decoded.manifests, item.verdicts, strict=True)):
                seen = sighting_of(manifest)
                if seen is not None and not verdict.duplicate:
                    wanted.append((item, index, seen))
        known = await self._sightings.sight([(seen, item.record.position) for item, _, seen in wanted])
        for (item, index, seen), before in zip(wanted, known, strict=True):
            manifest = item.decoded.manifests[index]
            flag = manifest.vessel.flag if manifest.vessel is not None else None
            item.conflicts[index] = conflicts(seen, before, flag)

    def _outcome(self, item: _Record) -> Outcome:
        outputs = [
            Output(self._topics.ais, report.mmsi.encode(), report.model_dump_json().encode())
            for report in item.decoded.reports
        ]
        for index, manifest in enumerate(item.decoded.manifests):
            verdict = item.verdicts[index]
            if verdict.duplicate:
                metrics.MANIFESTS_DUPLICATE.labels(manifest.feed).inc()
                continue
            info = self._info(item, index, verdict)
            stamped = manifest.model_copy(update={"ingest": info})
            key = manifest_key(manifest.feed, manifest.manifest_id)
            outputs.append(Output(self._topics.valid, key, stamped.model_dump_json().encode()))
        return Outcome(outputs)

    def _info(self, item: _Record, index: int, verdict: Verdict) -> IngestInfo:
        decoded = item.decoded
        warnings = decoded.warnings[index]
        found = item.conflicts[index]
        for warning in warnings:
            metrics.MANIFEST_WARNINGS.labels(warning.code).inc()
        for conflict in found:
            metrics.IDENTITY_CONFLICTS.labels(conflict.kind.value).inc()
        before = verdict.previous_summary
        return IngestInfo(
            format=decoded.format,
            feed_owner=decoded.feed_owner,
            received_at=decoded.received_at,
            digest=item.digests[index],
            version=verdict.version,
            changes=changes_between(before, item.summaries[index]) if before is not None else [],
            warnings=warnings,
            identity_conflicts=found,
        )


def build_handler(settings: Settings, redis_client: aioredis.Redis) -> IngestHandler:
    decoder = MessageDecoder.from_settings(settings)
    output_topics = IngestTopics(
        valid=topics.qualified(settings, topics.MANIFESTS_VALID), ais=topics.qualified(settings, topics.VESSELS_AIS)
    )
    history = RedisManifestHistory(redis_client, settings.redis_key_prefix)
    sightings = RedisSightingLog(redis_client, settings.redis_key_prefix)
    return IngestHandler(output_topics, decoder, history, sightings)


def build_app(settings: Settings) -> WorkerApp:
    app = create_app(SERVICE, settings, settings.ingest_web_port)
    handler = build_handler(settings, async_client(settings, RedisUser.INGEST))
    sources = [topics.qualified(settings, topics.MANIFESTS_RAW)]
    host_stage(app, settings, handler, sources, topics.qualified(settings, topics.MANIFESTS_DLQ))
    return app
