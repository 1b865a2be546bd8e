"""Matcher: `manifests.valid` -> `matches`, one message per manifest and matched watchlist entry."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import ValidationError

from services.matcher.conflicts import conflict_matches
from services.matcher.engine import BUILD as ENGINE_BUILD
from services.matcher.engine import MatchingEngine
from services.matcher.replica import WatchlistReplica
from services.matcher.screening import BatchScreener, ScreeningCache, manifest_ref, screen_manifest
from services.shared import metrics, topics
from services.shared.models import ManifestAdapter
from services.shared.settings import Settings
from services.shared.stage import InputRecord, Outcome, Output
from services.shared.worker import WorkerApp, create_app, host_stage

SERVICE = "matcher"


class MatchHandler:
    """Screens a batch of validated manifests against the replica's current watchlists."""

    def __init__(self, replica: WatchlistReplica, matches_topic: str, cache: ScreeningCache | None = None) -> None:
        self._replica = replica
        self._matches_topic = matches_topic
        self._cache = cache or ScreeningCache()

    async def handle(self, records: Sequence[InputRecord]) -> list[Outcome]:
        # No await below: the replica applies watchlist changes between batches, never during one.
        cache = self._cache.for_generation(self._replica.generation)
        screener = BatchScreener(self._replica.engine, cache=cache)
        return [self._one(record, screener) for record in records]

    def _one(self, record: InputRecord, screener: BatchScreener) -> Outcome:
        try:
            manifest = ManifestAdapter.validate_json(record.value or b"")
        except ValidationError as error:
            # Ingest validated it with the same models: this is a version skew between workers,
            # and the message must not be lost while it is sorted out.
            return Outcome.rejected("bad_manifest", str(error), "pydantic.ValidationError")
        found = screen_manifest(manifest, self._replica.engine, self._replica.versions, screen=screener)
        for match in found:
            metrics.MATCHES.labels(match.entry.list_id if match.entry else "identity").inc()
        if manifest.ingest is not None and manifest.ingest.identity_conflicts:
            found += conflict_matches(manifest_ref(manifest), manifest.ingest.identity_conflicts)
        return Outcome([Output(self._matches_topic, record.key, match.model_dump_json().encode()) for match in found])


def build_app(settings: Settings) -> WorkerApp:
    app = create_app(SERVICE, settings, settings.matcher_web_port)
    replica = WatchlistReplica(lambda: MatchingEngine(threshold=settings.match_threshold), settings)
    handler = MatchHandler(replica, topics.qualified(settings, topics.MATCHES))
    sources = [topics.qualified(settings, topics.MANIFESTS_VALID)]
    dead_letters = topics.qualified(settings, topics.MANIFESTS_DLQ)
    # Screening waits for a first copy of the watchlists: matching against none would miss all.
    host_stage(app, settings, handler, sources, dead_letters, before_start=replica.wait_ready)

    @app.task
    async def follow_watchlists() -> None:
        await replica.run()

    # /readyz (and /health/) shows the watchlists the matcher holds, and which build of the engine
    # runs (compiled, or its source and why); it is ready once the watchlists are loaded.
    app.health.require("watchlists", lambda: replica.state.ready)
    app.health.describe(lambda: {"engine": ENGINE_BUILD}
                        | {key: value for key, value in replica.health().items() if key != "ready"})

    return app
