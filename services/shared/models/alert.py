"""What the matcher finds (`matches`) and what the notifier sends to a desk (`alerts.<country>`)."""

from __future__ import annotations

import hashlib
from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, Field

from services.shared.models.common import CountryCode, EntityKind, StrictModel
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
    route_ports: list[str] = Field(default_factory=list)
    route_countries: list[CountryCode] = Field(default_factory=list)


class Match(StrictModel):
    """A manifest matched a watchlist entry: published by the matcher to `matches`."""

    match_id: str = Field(description="deterministic: the same manifest and entry always give the same id")
    manifest: ManifestRef
    entry: EntrySummary
    score: float = Field(ge=0, le=1)
    evidence: list[Evidence] = Field(min_length=1)
    explanation: str
    retroactive: bool = Field(default=False, description="found by re-screening an older manifest")


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class Alert(StrictModel):
    """What a desk receives on `alerts.<country>`."""

    alert_id: str = Field(description="deterministic: the same manifest and entry always give the same id")
    desk_country: CountryCode
    severity: Severity
    manifest: ManifestRef
    entry: EntrySummary
    score: float = Field(ge=0, le=1)
    evidence: list[Evidence]
    explanation: str
    retroactive: bool = False


def deterministic_id(kind: str, *parts: str) -> str:
    """A short stable id, so a redelivered message yields the same match and alert ids."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]
    return f"{kind}-{digest}"


def match_id_for(feed: str, manifest_id: str, entry_id: str) -> str:
    return deterministic_id("match", feed, manifest_id, entry_id)


def alert_id_for(feed: str, manifest_id: str, entry_id: str) -> str:
    return deterministic_id("alert", feed, manifest_id, entry_id)
