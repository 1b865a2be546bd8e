"""What ingest adds to a manifest it validated: format, version, what changed, and doubts.

Feeds never send this part (ingest refuses a manifest that carries it): it is ingest's record of
how the manifest arrived, carried to the alert so a desk sees which version matched and which of
its codes were doubtful.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import AwareDatetime, Field

from services.shared.models.common import CountryCode, StrictModel


class CodeWarning(StrictModel):
    """A code that is well formed but doubtful: kept, and shown on every alert of the manifest."""

    field: str = Field(description="where in the manifest", examples=["containers[1].number"])
    code: str = Field(description="what kind of doubt", examples=["container_check_digit", "unknown_port"])
    value: str
    message: str


class ConflictKind(StrEnum):
    IMO_MMSI = "imo_with_other_mmsi"
    IMO_NAME = "imo_with_other_name"
    MMSI_IMO = "mmsi_with_other_imo"
    FLAG_MID = "flag_not_mmsi_country"


class IdentityConflict(StrictModel):
    """A vessel's identity disagrees with itself: what it says now against what was said before."""

    kind: ConflictKind
    vessel_name: str
    imo: str | None = None
    mmsi: str | None = None
    declared: str = Field(description="what this manifest or broadcast says")
    known: str = Field(description="what was said before, or what the MMSI implies")
    known_from: str | None = Field(default=None, description="the feed that said it before")
    known_at: AwareDatetime | None = None
    explanation: str


class IngestInfo(StrictModel):
    format: str = Field(examples=["json", "csv", "cuscar", "ais"])
    feed_owner: CountryCode | None = Field(default=None, description="the country that runs the feed, if configured")
    received_at: AwareDatetime
    digest: str = Field(description="SHA-256 of the manifest's content: the same content is processed once")
    version: int = Field(ge=1, description="1 for the first content of this feed and manifest id, then 2, 3...")
    changes: list[str] = Field(default_factory=list, description="what this version changed from the one before")
    warnings: list[CodeWarning] = Field(default_factory=list)
    identity_conflicts: list[IdentityConflict] = Field(default_factory=list)
