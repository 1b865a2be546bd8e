"""What data feeds publish to `manifests.raw`: shipment manifests and vessel manifests.

These models are the contract with the feeds; schemas/ holds the JSON Schema generated from them.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, StringConstraints, TypeAdapter, model_validator

from services.shared.models.common import (
    Address,
    CountryCode,
    EntityKind,
    Identifier,
    LongText,
    NonEmptyStr,
    ShortText,
    StrictModel,
    UNLocode,
)
from services.shared.models.ingest import IngestInfo

#: How many of each a manifest may list; more is rejected with reason `limit_exceeded` (README,
#: "Limits"). Far above real manifests, and low enough that a listed party cannot be hidden among
#: thousands of padding ones, nor a manifest grow past the record size limit once normalised.
MAX_PARTIES = 50
MAX_IDENTIFIERS = 20
MAX_CONTAINERS = 1000
MAX_COMMODITIES = 1000
MAX_PORTS = 30
MAX_CREW = 2500
MAX_PASSENGERS = 7500

ManifestId = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:/-]+$"),
    Field(description="the feed's own id of this manifest; with the feed, unique", examples=["MSC-BOL-2026-001"]),
]

# ISO 6346: owner code (3 letters), category (U, J or Z), 6-digit serial, check digit. The check
# digit is deliberately not enforced here: a wrong one is reported by the matcher in the alert
# rather than dropping the manifest, since a tampered container number is itself a signal.
ContainerNumber = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z]{3}[UJZujz]\s?\d{6}\s?-?\d$"),
    Field(description="ISO 6346 container number", examples=["MSCU1234566"]),
]

HSCode = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^\d{4}(\.?\d{2}){0,3}$"),
    Field(description="Harmonized System code, 4 to 10 digits", examples=["0803.90"]),
]


class PartyRole(StrEnum):
    SHIPPER = "shipper"
    CONSIGNEE = "consignee"
    NOTIFY_PARTY = "notify_party"
    CARRIER = "carrier"
    FREIGHT_FORWARDER = "freight_forwarder"


class Party(StrictModel):
    role: PartyRole
    name: NonEmptyStr
    kind: EntityKind = EntityKind.UNKNOWN
    country: CountryCode | None = None
    address: Address | None = None
    identifiers: list[Identifier] = Field(default_factory=list, max_length=MAX_IDENTIFIERS)


class VesselRef(StrictModel):
    name: NonEmptyStr
    imo: ShortText | None = Field(default=None, description="IMO ship number, 7 digits", examples=["9134270"])
    mmsi: ShortText | None = Field(default=None, description="Maritime Mobile Service Identity, 9 digits")
    call_sign: ShortText | None = None
    flag: CountryCode | None = None


class Container(StrictModel):
    number: ContainerNumber
    seal: ShortText | None = None
    size_type: ShortText | None = Field(default=None, description="ISO 6346 size and type code", examples=["45G1"])


class Commodity(StrictModel):
    hs_code: HSCode
    description: Annotated[LongText, StringConstraints(min_length=1)]
    gross_weight_kg: float | None = Field(default=None, gt=0)
    container_number: ContainerNumber | None = None


class ShipmentManifest(StrictModel):
    """A bill of lading: who ships what, in which containers, along which route."""

    kind: Literal["shipment"] = "shipment"
    manifest_id: ManifestId
    feed: NonEmptyStr = Field(description="who published it", examples=["port-manzanillo-mx"])
    reported_at: AwareDatetime
    bill_of_lading: NonEmptyStr
    vessel: VesselRef | None = None
    voyage_number: ShortText | None = None
    port_of_origin: UNLocode | None = None
    port_of_loading: UNLocode
    transshipment_ports: list[UNLocode] = Field(default_factory=list, max_length=MAX_PORTS)
    port_of_discharge: UNLocode
    place_of_destination: UNLocode | None = None
    parties: list[Party] = Field(min_length=1, max_length=MAX_PARTIES)
    containers: list[Container] = Field(default_factory=list, max_length=MAX_CONTAINERS)
    commodities: list[Commodity] = Field(default_factory=list, max_length=MAX_COMMODITIES)
    ingest: IngestInfo | None = Field(default=None, description="set by ingest; a feed that sends it is refused")

    def route_ports(self) -> list[str]:
        ports = [self.port_of_origin, self.port_of_loading, *self.transshipment_ports]
        ports += [self.port_of_discharge, self.place_of_destination]
        return [port for port in ports if port]


class PortCall(StrictModel):
    port: UNLocode
    arrival: AwareDatetime | None = None
    departure: AwareDatetime | None = None


class Voyage(StrictModel):
    voyage_number: ShortText | None = None
    destination: NonEmptyStr | None = Field(
        default=None, description="the destination as broadcast or declared, free text (AIS); see next_port"
    )
    last_port: UNLocode | None = None
    next_port: UNLocode | None = None
    eta: AwareDatetime | None = None
    port_calls: list[PortCall] = Field(default_factory=list, max_length=MAX_PORTS)


class Vessel(StrictModel):
    name: NonEmptyStr
    imo: ShortText | None = Field(default=None, description="IMO ship number, 7 digits", examples=["9134270"])
    mmsi: ShortText | None = Field(default=None, description="Maritime Mobile Service Identity, 9 digits")
    call_sign: ShortText | None = None
    flag: CountryCode | None = None
    vessel_type: ShortText | None = None
    owner: NonEmptyStr | None = None
    operator: NonEmptyStr | None = None


class PersonOnBoard(StrictModel):
    name: NonEmptyStr
    nationality: CountryCode | None = None
    date_of_birth: date | None = None
    documents: list[Identifier] = Field(default_factory=list, max_length=MAX_IDENTIFIERS)
    rank: ShortText | None = Field(default=None, description="crew rank or role on board")


class VesselManifest(StrictModel):
    """A vessel's identity and voyage, with the people on board."""

    kind: Literal["vessel"] = "vessel"
    manifest_id: ManifestId
    feed: NonEmptyStr
    reported_at: AwareDatetime
    vessel: Vessel
    voyage: Voyage = Field(default_factory=Voyage)
    crew: list[PersonOnBoard] = Field(default_factory=list, max_length=MAX_CREW)
    passengers: list[PersonOnBoard] = Field(default_factory=list, max_length=MAX_PASSENGERS)
    ingest: IngestInfo | None = Field(default=None, description="set by ingest; a feed that sends it is refused")

    @model_validator(mode="after")
    def _vessel_is_identifiable(self) -> VesselManifest:
        if not (self.vessel.imo or self.vessel.mmsi or self.vessel.call_sign):
            raise ValueError("vessel needs at least one of imo, mmsi or call_sign")
        return self

    def route_ports(self) -> list[str]:
        ports = [self.voyage.last_port, *(call.port for call in self.voyage.port_calls), self.voyage.next_port]
        return [port for port in ports if port]


Manifest = Annotated[ShipmentManifest | VesselManifest, Field(discriminator="kind")]
ManifestAdapter: TypeAdapter[ShipmentManifest | VesselManifest] = TypeAdapter(Manifest)


def route_countries(manifest: ShipmentManifest | VesselManifest) -> list[str]:
    """Countries the manifest's route touches, in route order, each once."""
    seen: dict[str, None] = {}
    for port in manifest.route_ports():
        seen.setdefault(port[:2], None)
    return list(seen)


__all__ = [
    "Address",
    "Commodity",
    "Container",
    "Manifest",
    "ManifestAdapter",
    "Party",
    "PartyRole",
    "PersonOnBoard",
    "PortCall",
    "ShipmentManifest",
    "Vessel",
    "VesselManifest",
    "VesselRef",
    "Voyage",
    "route_countries",
]
