"""What the engine is asked (ScreeningQuery) and what it answers (EntryMatch)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from services.shared.models.alert import Evidence
from services.shared.models.common import EntityKind, Identifier
from services.shared.models.watchlist import WatchlistEntry


class ScreeningQuery(BaseModel):
    """One party, vessel or person from a manifest, as the engine screens it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str | None = Field(default=None, description="None when only identifiers are screened")
    kind: EntityKind = EntityKind.UNKNOWN
    countries: list[str] = Field(default_factory=list, description="ISO alpha-2: nationality, address, flag")
    date_of_birth: str | None = Field(default=None, description="ISO date or partial ('1960', '1960-04')")
    identifiers: list[Identifier] = Field(default_factory=list)
    where: str = Field(default="", description="where in the manifest; copied into Evidence.where")


class EntryMatch(BaseModel):
    """A watchlist entry that reached the threshold, with the reasons in words."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    entry: WatchlistEntry
    score: float = Field(ge=0, le=1)
    evidence: list[Evidence]
    explanation: str
