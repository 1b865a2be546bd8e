"""What the matcher finds (`matches`) and what the notifier sends to a desk (`alerts.<country>`)."""

from __future__ import annotations

import hashlib
from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, Field, model_validator

from services.shared.i18n import Language
from services.shared.models.common import CountryCode, EntityKind, StrictModel
from services.shared.models.ingest import CodeWarning, IdentityConflict
from services.shared.models.watchlist import Sharing


class Evidence(StrictModel):
    """One reason why a manifest matched an entry, and how much it weighed."""

    where: str = Field(description="where in the manifest", examples=["parties[0] (consignee)", "vessel", "crew[2]"])
    method: str = Field(
        description="how it matched", examples=["identifier:imo", "name:exact", "name:fuzzy", "corroboration:dob"]
    )
    query_value: str = Field(description="what the manifest says")
    matched_value: str = Field(description="what the watchlist entry says")
    contribution: float = Field(description="this evidence's share of the score (negative lowers it)")
    explanation: str = Field(description="the same in words a desk officer understands")


class EntrySummary(StrictModel):
    """The part of a watchlist entry a desk needs to act on an alert."""

    entry_id: str
    list_id: str
    list_version: int = Field(ge=0, description="the list version the manifest was matched against")
    source_ids: dict[str, str] = Field(default_factory=dict)
    kind: EntityKind
    primary_name: str
    aliases: list[str] = Field(default_factory=list)
    programs: list[str] = Field(default_factory=list)
    owner_country: CountryCode
    sharing: Sharing = Field(default_factory=Sharing)


class ManifestRef(StrictModel):
    manifest_id: str
    kind: Literal["shipment", "vessel"]
    feed: str
    reported_at: AwareDatetime
    bill_of_lading: str | None = None
    vessel_name: str | None = None
    vessel_imo: str | None = None
    vessel_mmsi: str | None = None
    voyage_number: str | None = None
    eta: AwareDatetime | None = Field(default=None, description="the vessel's estimated arrival, when reported")
    last_port: str | None = Field(default=None, description="the vessel's last port (UN/LOCODE), when reported")
    next_port: str | None = Field(default=None, description="the vessel's next port (UN/LOCODE), when reported")
    route_ports: list[str] = Field(default_factory=list)
    route_countries: list[CountryCode] = Field(default_factory=list)
    format: str | None = Field(default=None, description="the format the feed sent it in")
    feed_owner: CountryCode | None = Field(default=None, description="the country that runs the feed")
    version: int | None = Field(default=None, description="which version of the manifest matched (1, 2, ...)")
    changes: list[str] = Field(default_factory=list, description="what that version changed from the one before")
    warnings: list[CodeWarning] = Field(default_factory=list, description="doubtful codes in the manifest")


class FindingKind(StrEnum):
    WATCHLIST = "watchlist"
    IDENTITY_CONFLICT = "identity_conflict"


class _Finding(StrictModel):
    """A watchlist match names the entry; an identity conflict names the disagreement instead."""

    kind: FindingKind = FindingKind.WATCHLIST
    entry: EntrySummary | None = None
    conflict: IdentityConflict | None = None

    @model_validator(mode="after")
    def _says_what_it_found(self) -> _Finding:
        if self.kind is FindingKind.WATCHLIST and (self.entry is None or self.conflict is not None):
            raise ValueError("a watchlist finding has an entry and no conflict")
        if self.kind is FindingKind.IDENTITY_CONFLICT and (self.conflict is None or self.entry is not None):
            raise ValueError("an identity conflict has a conflict and no entry")
        return self

    @property
    def subject_id(self) -> str:
        """What the finding is about, for ids and logs: the entry, or the conflicting identity."""
        if self.entry is not None:
            return self.entry.entry_id
        assert self.conflict is not None
        return f"identity:{self.conflict.kind}:{self.conflict.imo or ''}:{self.conflict.mmsi or ''}"


class Match(_Finding):
    """A manifest matched a watchlist entry, or its vessel's identity conflicts: published to `matches`."""

    match_id: str = Field(description="deterministic: the same manifest and entry always give the same id")
    manifest: ManifestRef
    score: float = Field(ge=0, le=1)
    evidence: list[Evidence] = Field(min_length=1)
    explanation: str
    retroactive: bool = Field(default=False, description="found by re-screening an older manifest")


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        """0 for low up to 3 for critical: severities compared and stepped by their rank."""
        return _SEVERITY_RANKS[self]

    @classmethod
    def of_rank(cls, rank: int) -> Severity:
        """The severity of a rank, held within low..critical."""
        return _BY_RANK[max(0, min(rank, len(_BY_RANK) - 1))]


_SEVERITY_RANKS = {Severity.LOW: 0, Severity.MEDIUM: 1, Severity.HIGH: 2, Severity.CRITICAL: 3}
_BY_RANK = sorted(_SEVERITY_RANKS, key=_SEVERITY_RANKS.__getitem__)


class Programme(StrEnum):
    """What the desks work against; a watchlist's own programme codes map to these (config/severity.toml)."""

    NARCOTICS = "narcotics"
    MONEY_LAUNDERING = "money_laundering"
    HUMAN_TRAFFICKING = "human_trafficking"
    MIGRANT_SMUGGLING = "migrant_smuggling"
    SANCTIONS = "sanctions"


class MatchedParty(StrictModel):
    """What on the manifest matched: where, and the name (or identifier) it gives there."""

    where: str = Field(examples=["parties[1] (consignee)", "vessel", "crew[2]"])
    name: str = Field(description="the name as the manifest writes it, else the identifier that matched")


class Occurrence(StrictModel):
    """One sighting of a match: the manifest, and which version of it, it was found on."""

    match_id: str
    manifest_id: str
    feed: str
    manifest_version: int | None = None
    reported_at: AwareDatetime
    bill_of_lading: str | None = None
    retroactive: bool = False


#: Sightings an alert lists per match (the latest); `count` keeps counting beyond.
MAX_OCCURRENCES = 100


class AlertMatch(_Finding):
    """One entry matched (or one vessel identity conflict) in an alert, with all its detail."""

    match_id: str = Field(description="the match as the matcher published it (its first sighting here)")
    parties: list[MatchedParty] = Field(description="what on the manifest matched it")
    programmes: list[Programme] = Field(default_factory=list, description="the entry's programmes")
    score: float = Field(ge=0, le=1)
    severity: Severity
    severity_reasons: list[str] = Field(description="why this severity, in the desk's language")
    evidence: list[Evidence] = Field(min_length=1, description="each with its explanation in the desk's language")
    explanation: str = Field(description="the match in the desk's language")
    detail: str = Field(description="the matcher's own explanation, word by word (English)")
    retroactive: bool = Field(default=False, description="first found by re-screening an older manifest")
    count: int = Field(default=1, ge=1, description="sightings on this voyage or bill of lading, repeats included")
    occurrences: list[Occurrence] = Field(min_length=1, description=f"the latest {MAX_OCCURRENCES} sightings")


class Alert(StrictModel):
    """What a desk receives on `alerts.<country>`: one alert per manifest, updated as hits arrive.

    Every version is a record of its own with the same `alert_id`; a desk keeps the highest
    `version` it has read. A later hit on the manifest, or the same entry seen again on the same
    voyage or bill of lading, gives a new version of the alert rather than a new alert.
    """

    alert_id: str = Field(description="deterministic: one per manifest (feed and manifest id), the same on every desk")
    version: int = Field(ge=1, description="1 when raised, then one more at every update")
    desk_country: CountryCode
    language: Language = Field(description="the desk's language, of every label and explanation in the alert")
    raised_at: AwareDatetime = Field(description="when version 1 was raised")
    updated_at: AwareDatetime = Field(description="when this version was made")
    severity: Severity = Field(description="the most severe of its matches")
    severity_rules_version: int = Field(ge=0, description="the version of config/severity.toml that rated it")
    manifest: ManifestRef
    matches: list[AlertMatch] = Field(min_length=1, description="every entry matched and identity conflict found")
    summary: str = Field(description="one line in the desk's language")
    changes: list[str] = Field(default_factory=list, description="what this version changed, in the desk's language")

    def match_for(self, subject_id: str) -> AlertMatch | None:
        return next((match for match in self.matches if match.subject_id == subject_id), None)


def deterministic_id(kind: str, *parts: str) -> str:
    """A short stable id, so a redelivered message yields the same match and alert ids."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]
    return f"{kind}-{digest}"


def _versioned(manifest_id: str, version: int | None) -> str:
    # Version 1 keeps the id it always had; an amended manifest's alert is a new alert (the desk
    # has seen version 1's), so a copy of a version is still recognised as a copy.
    return manifest_id if version is None or version <= 1 else f"{manifest_id}\x1fv{version}"


def match_id_for(feed: str, manifest_id: str, subject_id: str, version: int | None = None) -> str:
    return deterministic_id("match", feed, _versioned(manifest_id, version), subject_id)


def alert_id_for(feed: str, manifest_id: str) -> str:
    """One alert per manifest, whatever it matches and whichever version of it matched."""
    return deterministic_id("alert", feed, manifest_id)
