"""Building blocks shared by manifests, watchlist entries and alerts."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

CountryCode = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_upper=True, min_length=2, max_length=2, pattern=r"^[A-Za-z]{2}$"),
    Field(description="ISO 3166-1 alpha-2 country code", examples=["MX"]),
]

UNLocode = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z]{2}[A-Za-z2-9]{3}$"),
    Field(description="UN/LOCODE: country code and three-character location", examples=["MXZLO"]),
]

#: Every text field has a length limit: a feed cannot hide a name in a megabyte of padding, and
#: one field cannot make a manifest too large to pass on (see README, "Limits").
MAX_NAME_CHARS = 1000
MAX_TEXT_CHARS = 4000
MAX_CODE_CHARS = 200

NonEmptyStr = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_NAME_CHARS)]
#: Free text (a goods description, an address as given).
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_TEXT_CHARS)]
#: Numbers, references and other short values.
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_CODE_CHARS)]


class StrictModel(BaseModel):
    """Unknown fields are an error: a feed that misspells a field learns it from the dead-letter topic."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class IdentifierScheme(StrEnum):
    IMO = "imo"
    MMSI = "mmsi"
    CALL_SIGN = "call_sign"
    PASSPORT = "passport"
    NATIONAL_ID = "national_id"
    CEDULA = "cedula"  # Colombian citizenship card (cedula de ciudadania)
    NIT = "nit"  # Colombian tax number
    RFC = "rfc"  # Mexican tax number
    CURP = "curp"  # Mexican population registry key
    EIN = "ein"  # US employer identification number
    CONTAINER = "container"  # ISO 6346
    REGISTRATION = "registration"  # company or aircraft registration numbers
    OTHER = "other"


class Identifier(StrictModel):
    scheme: IdentifierScheme
    value: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_CODE_CHARS)]
    country: CountryCode | None = Field(default=None, description="issuing country, when known")


class EntityKind(StrEnum):
    PERSON = "person"
    ORGANIZATION = "organization"
    VESSEL = "vessel"
    AIRCRAFT = "aircraft"
    UNKNOWN = "unknown"


class Address(StrictModel):
    street: NonEmptyStr | None = None
    city: NonEmptyStr | None = None
    region: NonEmptyStr | None = None
    postal_code: ShortText | None = None
    country: CountryCode | None = None
    full: LongText | None = Field(default=None, description="the address as given, when it is not split")
