"""Message schemas: the single source of truth for what crosses Kafka and Redis.

`interdict schemas export` writes their JSON Schema into schemas/.
"""

from services.shared.models.alert import (
    Alert,
    AlertMatch,
    EntrySummary,
    Evidence,
    ManifestRef,
    Match,
    MatchedParty,
    Occurrence,
    Programme,
    Severity,
)
from services.shared.models.common import Address, EntityKind, Identifier, IdentifierScheme
from services.shared.models.manifest import (
    Manifest,
    ManifestAdapter,
    Party,
    PartyRole,
    PersonOnBoard,
    ShipmentManifest,
    Vessel,
    VesselManifest,
    VesselRef,
    route_countries,
)
from services.shared.models.watchlist import (
    EntryName,
    NameType,
    Sharing,
    SharingScope,
    WatchlistEntry,
    WatchlistInfo,
)

__all__ = [
    "Address",
    "Alert",
    "AlertMatch",
    "EntityKind",
    "EntryName",
    "EntrySummary",
    "Evidence",
    "Identifier",
    "IdentifierScheme",
    "Manifest",
    "ManifestAdapter",
    "ManifestRef",
    "Match",
    "MatchedParty",
    "NameType",
    "Occurrence",
    "Party",
    "PartyRole",
    "PersonOnBoard",
    "Programme",
    "Severity",
    "Sharing",
    "SharingScope",
    "ShipmentManifest",
    "Vessel",
    "VesselManifest",
    "VesselRef",
    "WatchlistEntry",
    "WatchlistInfo",
    "route_countries",
]
