"""Watchlist entries as they are held in Redis and matched against."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import AwareDatetime, Field

from services.shared.models.common import (
    Address,
    CountryCode,
    EntityKind,
    Identifier,
    NonEmptyStr,
    StrictModel,
)


class NameType(StrEnum):
    PRIMARY = "primary"
    AKA = "aka"  # also known as
    FKA = "fka"  # formerly known as
    NKA = "nka"  # now known as
    WEAK = "weak"  # OFAC's "weak" aliases: too generic to alert on by themselves


class EntryName(StrictModel):
    name: NonEmptyStr
    name_type: NameType = NameType.PRIMARY


class SharingScope(StrEnum):
    ALL_PARTNERS = "all"
    NAMED_COUNTRIES = "countries"
    OWNER_ONLY = "owner"


class Sharing(StrictModel):
    scope: SharingScope = SharingScope.ALL_PARTNERS
    countries: list[CountryCode] = Field(default_factory=list, description="with scope 'countries'")

    def allows(self, owner: str, desk: str) -> bool:
        if desk == owner or self.scope is SharingScope.ALL_PARTNERS:
            return True
        return self.scope is SharingScope.NAMED_COUNTRIES and desk in self.countries


class WatchlistEntry(StrictModel):
    entry_id: NonEmptyStr = Field(
        description="the project's own id: '<list_id>:<source id>'", examples=["ofac-sdn:9647"]
    )
    list_id: NonEmptyStr = Field(examples=["ofac-sdn"])
    source_ids: dict[str, str] = Field(
        default_factory=dict,
        description="the ids the source gives it, to look it up there",
        examples=[{"ent_num": "9647"}],
    )
    kind: EntityKind
    names: list[EntryName] = Field(min_length=1, description="the primary name first, then aliases")
    identifiers: list[Identifier] = Field(default_factory=list)
    dates_of_birth: list[str] = Field(
        default_factory=list, description="ISO dates, or partial ones as the source gives them ('1960', '1960-04')"
    )
    places_of_birth: list[str] = Field(default_factory=list, description="as the source writes them")
    nationalities: list[CountryCode] = Field(default_factory=list)
    countries: list[CountryCode] = Field(default_factory=list, description="countries of address or registration")
    addresses: list[Address] = Field(default_factory=list)
    vessel_flag: CountryCode | None = None
    programs: list[str] = Field(default_factory=list, description="sanctions programs, e.g. SDNT, SDNTK")
    remarks: str | None = None
    owner_country: CountryCode = Field(description="the partner country that owns and maintains the entry")
    sharing: Sharing = Field(default_factory=Sharing)
    listed_on: date | None = None
    expires_at: AwareDatetime | None = None

    @property
    def primary_name(self) -> str:
        return self.names[0].name


class WatchlistInfo(StrictModel):
    """A whole list: who owns it, with whom it is shared, and which version is live."""

    list_id: NonEmptyStr
    title: str = ""
    owner_country: CountryCode
    sharing: Sharing = Field(default_factory=Sharing)
    version: int = Field(ge=0, description="increases by one at every change")
    entry_count: int = Field(ge=0)
    updated_at: AwareDatetime
    enabled: bool = True
