"""What the engine is asked (ScreeningQuery) and what it answers (EntryMatch)."""

from __future__ import annotations

from typing import Any, TypeVar

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


_Model = TypeVar("_Model", bound=BaseModel)


def trusted(model: type[_Model], **values: Any) -> _Model:
    """The model of these values, every field given, unvalidated: what model_construct makes of
    them, without its look-ups of each field's aliases and defaults, which cost more than the rest
    of a match's scoring. The engine builds every value from validated ones (a missing field: KeyError)."""
    fields = model.__pydantic_fields__
    instance = model.__new__(model)
    set_attribute = object.__setattr__
    set_attribute(instance, "__dict__", {name: values[name] for name in fields})
    set_attribute(instance, "__pydantic_fields_set__", set(fields))
    set_attribute(instance, "__pydantic_extra__", None)  # extra="forbid", as in model_construct
    set_attribute(instance, "__pydantic_private__", None)
    return instance
