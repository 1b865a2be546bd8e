"""Where a manifest is matched: every party, vessel, person and identifier becomes a query.

A manifest can hit one watchlist entry several times (the consignee's name and its RFC, say); those
hits become one match whose evidence lists them all, so a desk receives one alert per manifest and
entry, with every reason.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from services.matcher.engine import EntryMatch, MatchingEngine, ScreeningQuery
from services.shared.models import (
    EntityKind,
    EntrySummary,
    Identifier,
    IdentifierScheme,
    ManifestRef,
    Match,
    NameType,
    ShipmentManifest,
    VesselManifest,
    WatchlistEntry,
    route_countries,
)
from services.shared.models.alert import match_id_for
from services.shared.models.manifest import PersonOnBoard, Vessel, VesselRef

AnyManifest = ShipmentManifest | VesselManifest
Screen = Callable[[ScreeningQuery], list[EntryMatch]]


def queries_for(manifest: AnyManifest) -> list[ScreeningQuery]:
    if isinstance(manifest, ShipmentManifest):
        return _shipment_queries(manifest)
    return _vessel_manifest_queries(manifest)


def _shipment_queries(manifest: ShipmentManifest) -> list[ScreeningQuery]:
    queries = [
        ScreeningQuery(
            name=party.name,
            kind=party.kind,
            countries=[
                country for country in [party.country, party.address.country if party.address else None] if country
            ],
            identifiers=list(party.identifiers),
            where=f"parties[{index}] ({party.role.value.replace('_', ' ')})",
        )
        for index, party in enumerate(manifest.parties)
    ]
    if manifest.vessel is not None:
        queries.append(_vessel_query(manifest.vessel))
    containers = dict.fromkeys(
        [container.number for container in manifest.containers]
        + [item.container_number for item in manifest.commodities if item.container_number]
    )
    for number in containers:
        identifier = Identifier(scheme=IdentifierScheme.CONTAINER, value=number)
        queries.append(ScreeningQuery(identifiers=[identifier], where=f"container {number}"))
    return queries


def _vessel_manifest_queries(manifest: VesselManifest) -> list[ScreeningQuery]:
    queries = [_vessel_query(manifest.vessel)]
    if manifest.vessel.owner:
        queries.append(ScreeningQuery(name=manifest.vessel.owner, kind=EntityKind.ORGANIZATION, where="vessel owner"))
    if manifest.vessel.operator:
        queries.append(
            ScreeningQuery(name=manifest.vessel.operator, kind=EntityKind.ORGANIZATION, where="vessel operator")
        )
    queries += [_person_query(person, f"crew[{index}]") for index, person in enumerate(manifest.crew)]
    queries += [_person_query(person, f"passengers[{index}]") for index, person in enumerate(manifest.passengers)]
    return queries


def _vessel_query(vessel: Vessel | VesselRef) -> ScreeningQuery:
    identifiers = [
        Identifier(scheme=scheme, value=value)
        for scheme, value in (
            (IdentifierScheme.IMO, vessel.imo),
            (IdentifierScheme.MMSI, vessel.mmsi),
            (IdentifierScheme.CALL_SIGN, vessel.call_sign),
        )
        if value
    ]
    countries = [vessel.flag] if vessel.flag else []
    return ScreeningQuery(
        name=vessel.name, kind=EntityKind.VESSEL, countries=countries, identifiers=identifiers, where="vessel"
    )


def _person_query(person: PersonOnBoard, where: str) -> ScreeningQuery:
    return ScreeningQuery(
        name=person.name,
        kind=EntityKind.PERSON,
        countries=[person.nationality] if person.nationality else [],
        date_of_birth=person.date_of_birth.isoformat() if person.date_of_birth else None,
        identifiers=list(person.documents),
        where=where,
    )


def manifest_ref(manifest: AnyManifest) -> ManifestRef:
    vessel = manifest.vessel
    return ManifestRef(
        manifest_id=manifest.manifest_id,
        kind=manifest.kind,
        feed=manifest.feed,
        reported_at=manifest.reported_at,
        bill_of_lading=manifest.bill_of_lading if isinstance(manifest, ShipmentManifest) else None,
        vessel_name=vessel.name if vessel else None,
        vessel_imo=vessel.imo if vessel else None,
        vessel_mmsi=vessel.mmsi if vessel else None,
        route_ports=manifest.route_ports(),
        route_countries=route_countries(manifest),
        **voyage_fields(manifest),
        **ingest_fields(manifest),
    )


def voyage_fields(manifest: AnyManifest) -> dict[str, Any]:
    """Where the vessel is going and when, as far as the manifest says: a desk plans on it."""
    if isinstance(manifest, ShipmentManifest):
        return {"voyage_number": manifest.voyage_number}
    voyage = manifest.voyage
    return {
        "voyage_number": voyage.voyage_number,
        "eta": voyage.eta,
        "last_port": voyage.last_port,
        "next_port": voyage.next_port,
    }


def ingest_fields(manifest: AnyManifest) -> dict[str, Any]:
    """What ingest recorded (format, version, changes, doubtful codes), for the desk to see."""
    info = manifest.ingest
    if info is None:
        return {}
    return {
        "format": info.format,
        "version": info.version,
        "changes": info.changes,
        "warnings": info.warnings,
        "feed_owner": info.feed_owner,
    }


def entry_summary(entry: WatchlistEntry, list_version: int) -> EntrySummary:
    return EntrySummary(
        entry_id=entry.entry_id,
        list_id=entry.list_id,
        list_version=list_version,
        source_ids=entry.source_ids,
        kind=entry.kind,
        primary_name=entry.primary_name,
        aliases=[name.name for name in entry.names[1:] if name.name_type is not NameType.WEAK],
        programs=entry.programs,
        owner_country=entry.owner_country,
        sharing=entry.sharing,
    )


@dataclass
class _EntryHits:
    entry: WatchlistEntry
    hits: list[EntryMatch] = field(default_factory=list)


class ScreeningCache:
    """The engine's answers to recent queries, for one state of the watchlists.

    The same shippers, consignees and vessels come back manifest after manifest (in generated
    traffic, 7,000 distinct organisations among 46,000 party queries), and a lookup costs far more
    than a dictionary hit. Cleared whenever the watchlists change; least recently used answers go
    first when it is full.
    """

    def __init__(self, max_entries: int = 100_000) -> None:
        self._max = max_entries
        self._answers: OrderedDict[Hashable, list[EntryMatch]] = OrderedDict()
        self._generation: object = None
        self.hits = 0
        self.lookups = 0

    def for_generation(self, generation: object) -> ScreeningCache:
        if generation != self._generation:
            self._answers.clear()
            self._generation = generation
        return self

    def get(self, key: Hashable) -> list[EntryMatch] | None:
        answer = self._answers.get(key)
        if answer is not None:
            self._answers.move_to_end(key)
            self.hits += 1
        return answer

    def put(self, key: Hashable, answer: list[EntryMatch]) -> None:
        self.lookups += 1
        self._answers[key] = answer
        if len(self._answers) > self._max:
            self._answers.popitem(last=False)


class BatchScreener:
    """Screens each distinct query once: results are the engine's own, and only `where` (which
    party of which manifest) is set per use. A batch's screener shares lookups across its
    manifests; given a ScreeningCache, across batches too (until the watchlists change).
    """

    def __init__(
        self, engine: MatchingEngine, among: Collection[str] | None = None, cache: ScreeningCache | None = None
    ) -> None:
        self._engine = engine
        self._among = among
        self._cache = cache if cache is not None else ScreeningCache()
        self.lookups = 0

    def __call__(self, query: ScreeningQuery) -> list[EntryMatch]:
        key = _query_key(query)
        hits = self._cache.get(key)
        if hits is None:
            self.lookups += 1
            hits = self._engine.screen(query, among=self._among)
            self._cache.put(key, hits)
        return [_placed(hit, query.where) for hit in hits]


def _query_key(query: ScreeningQuery) -> Hashable:
    identifiers = tuple((item.scheme, item.value, item.country) for item in query.identifiers)
    return (query.name, query.kind, tuple(query.countries), query.date_of_birth, identifiers)


def _placed(hit: EntryMatch, where: str) -> EntryMatch:
    if all(item.where == where for item in hit.evidence):
        return hit
    evidence = [item.model_copy(update={"where": where}) for item in hit.evidence]
    return hit.model_copy(update={"evidence": evidence})


def screen_manifest(
    manifest: AnyManifest,
    engine: MatchingEngine,
    list_versions: Mapping[str, int],
    retroactive: bool = False,
    only_entries: Collection[str] | None = None,
    screen: Screen | None = None,
) -> list[Match]:
    """Every watchlist entry the manifest matches, one Match each, strongest first.

    `only_entries` restricts the result to those entries (re-screening after they changed) while
    still scoring against the whole index, so word rarity is the same as in live matching.
    `screen` replaces the engine's lookup (a BatchScreener shares lookups across manifests).
    """
    screen = screen or BatchScreener(engine, only_entries)
    queries = queries_for(manifest)
    now = datetime.now(UTC)
    by_entry: dict[str, _EntryHits] = {}
    for query in queries:
        for hit in screen(query):
            if hit.entry.expires_at is not None and hit.entry.expires_at <= now:
                continue  # expired a moment ago; the store's sweep will remove it from the index
            by_entry.setdefault(hit.entry.entry_id, _EntryHits(hit.entry)).hits.append(hit)
    if not by_entry:
        return []
    identifier_problems = engine.validate_identifiers(_all_identifiers(queries))
    reference = manifest_ref(manifest)
    matches = [
        _match_for(reference, grouped, list_versions.get(grouped.entry.list_id, 0), identifier_problems, retroactive)
        for grouped in by_entry.values()
    ]
    return sorted(matches, key=lambda match: (-match.score, match.subject_id))


def _all_identifiers(queries: Iterable[ScreeningQuery]) -> list[Identifier]:
    return [identifier for query in queries for identifier in query.identifiers]


def _match_for(
    reference: ManifestRef,
    grouped: _EntryHits,
    list_version: int,
    identifier_problems: list[str],
    retroactive: bool,
) -> Match:
    hits = sorted(grouped.hits, key=lambda hit: -hit.score)
    explanation = " ".join(hit.explanation for hit in hits)
    if identifier_problems:
        explanation += " Identifier problems on this manifest: " + "; ".join(identifier_problems) + "."
    return Match(
        match_id=match_id_for(reference.feed, reference.manifest_id, grouped.entry.entry_id, reference.version),
        manifest=reference,
        entry=entry_summary(grouped.entry, list_version),
        score=hits[0].score,
        evidence=[item for hit in hits for item in hit.evidence],
        explanation=explanation,
        retroactive=retroactive,
    )
