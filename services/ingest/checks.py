"""Codes checked, not just shaped: what routes an alert or identifies a ship must be real.

Two outcomes, by one rule (README, "Feeds: what ingest checks"):

- a value that is *not a code at all* is rejected, with every such problem named: a country that
  does not exist (`ZZ`), a port whose country does not exist (`XXABC`), an IMO number that is not
  seven digits, an MMSI that is not nine digits or names no country, a date outside any plausible
  window (a report dated 2099). Desks are chosen from these codes; a manifest cannot be routed on
  them, so it goes to the dead-letter topic for the feed to fix;
- a *well-formed code that is doubtful* is kept and carried as a warning on every alert of the
  manifest: a container or IMO number whose check digit is wrong (a tampered number is itself a
  signal), a port not in the known-ports list, an HS code that names no heading, an ETA far off.

Ingest also fills in what the codes imply: a vessel's flag from its MMSI when the feed gave none,
and the next port from an AIS destination that names a known port.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from services.ingest.errors import InvalidManifest
from services.shared.codes import containers, countries, vessels
from services.shared.codes.hs import hs_check
from services.shared.codes.ports import PortDirectory
from services.shared.models.common import Identifier, IdentifierScheme
from services.shared.models.ingest import CodeWarning
from services.shared.models.manifest import (
    PersonOnBoard,
    ShipmentManifest,
    VesselManifest,
)

Manifest = ShipmentManifest | VesselManifest

#: A report may be stamped a little ahead of the clock that receives it (feeds' clocks drift).
REPORT_CLOCK_SKEW = timedelta(days=1)
#: Older reports are refused: no feed backfills further, and a year 1970 is a broken clock.
REPORT_MAX_AGE = timedelta(days=5 * 366)
#: Beyond this an ETA is doubtful (warned, not refused: it does not route anything).
ETA_HORIZON = timedelta(days=366)
OLDEST_BIRTH = date(1900, 1, 1)


@dataclass
class Findings:
    problems: list[str] = field(default_factory=list)
    date_problems: list[str] = field(default_factory=list)
    warnings: list[CodeWarning] = field(default_factory=list)

    def warn(self, where: str, code: str, value: str, message: str) -> None:
        self.warnings.append(CodeWarning(field=where, code=code, value=value, message=message))


@dataclass(frozen=True)
class CodeBook:
    """The reference data checks need; loaded once per worker."""

    ports: PortDirectory


def check_manifest(manifest: Manifest, book: CodeBook, received_at: datetime) -> tuple[Manifest, list[CodeWarning]]:
    """The manifest with what its codes imply filled in, and its warnings; or InvalidManifest."""
    findings = Findings()
    _check_report_date(findings, manifest.reported_at, received_at)
    if isinstance(manifest, ShipmentManifest):
        _check_shipment(findings, manifest, book)
    else:
        _check_vessel_manifest(findings, manifest, book, received_at)
    if findings.problems or findings.date_problems:
        reason = "invalid_code" if findings.problems else "implausible_date"
        raise InvalidManifest(reason, "; ".join([*findings.problems, *findings.date_problems]))
    return _normalised(manifest, book), findings.warnings


# -- shipments ---------------------------------------------------------------------------------


def _check_shipment(findings: Findings, manifest: ShipmentManifest, book: CodeBook) -> None:
    ports = [("port_of_origin", manifest.port_of_origin), ("port_of_loading", manifest.port_of_loading)]
    ports += [(f"transshipment_ports[{i}]", port) for i, port in enumerate(manifest.transshipment_ports)]
    ports += [
        ("port_of_discharge", manifest.port_of_discharge),
        ("place_of_destination", manifest.place_of_destination),
    ]
    _check_ports(findings, book, ports)
    if manifest.vessel is not None:
        _check_vessel_codes(findings, "vessel", manifest.vessel.imo, manifest.vessel.mmsi, manifest.vessel.flag)
    for index, party in enumerate(manifest.parties):
        where = f"parties[{index}]"
        _check_country(findings, f"{where}.country", party.country)
        if party.address is not None:
            _check_country(findings, f"{where}.address.country", party.address.country)
        _check_identifiers(findings, f"{where}.identifiers", party.identifiers)
    for index, container in enumerate(manifest.containers):
        _check_container(findings, f"containers[{index}].number", container.number)
    for index, commodity in enumerate(manifest.commodities):
        where = f"commodities[{index}]"
        _check_hs(findings, f"{where}.hs_code", commodity.hs_code)
        if commodity.container_number:
            _check_container(findings, f"{where}.container_number", commodity.container_number)


# -- vessel manifests --------------------------------------------------------------------------


def _check_vessel_manifest(findings: Findings, manifest: VesselManifest, book: CodeBook, received: datetime) -> None:
    vessel, voyage = manifest.vessel, manifest.voyage
    _check_vessel_codes(findings, "vessel", vessel.imo, vessel.mmsi, vessel.flag)
    ports = [("voyage.last_port", voyage.last_port), ("voyage.next_port", voyage.next_port)]
    ports += [(f"voyage.port_calls[{i}].port", call.port) for i, call in enumerate(voyage.port_calls)]
    _check_ports(findings, book, ports)
    if voyage.eta is not None and abs(voyage.eta - received) > ETA_HORIZON:
        findings.warn("voyage.eta", "implausible_eta", voyage.eta.isoformat(), "ETA more than a year away")
    if voyage.destination and voyage.next_port is None and book.ports.resolve(voyage.destination) is None:
        message = "destination names no known port"
        findings.warn("voyage.destination", "unknown_destination", voyage.destination, message)
    for group, people in (("crew", manifest.crew), ("passengers", manifest.passengers)):
        for index, person in enumerate(people):
            _check_person(findings, f"{group}[{index}]", person, received.date())


def _check_person(findings: Findings, where: str, person: PersonOnBoard, today: date) -> None:
    _check_country(findings, f"{where}.nationality", person.nationality)
    _check_identifiers(findings, f"{where}.documents", person.documents)
    born = person.date_of_birth
    if born is not None and not OLDEST_BIRTH <= born <= today:
        findings.date_problems.append(f"{where}.date_of_birth: {born.isoformat()} is not a plausible date of birth")


# -- one code each -----------------------------------------------------------------------------


def _check_report_date(findings: Findings, reported: datetime, received: datetime) -> None:
    if reported > received + REPORT_CLOCK_SKEW:
        findings.date_problems.append(
            f"reported_at: {reported.isoformat()} is in the future (received {received:%Y-%m-%d})"
        )
    elif reported < received - REPORT_MAX_AGE:
        findings.date_problems.append(f"reported_at: {reported.isoformat()} is more than five years old")


def _check_country(findings: Findings, where: str, code: str | None) -> None:
    if code is not None and not countries.is_country(code):
        findings.problems.append(f"{where}: {code!r} is not an ISO 3166 country code")


def _check_ports(findings: Findings, book: CodeBook, ports: Iterable[tuple[str, str | None]]) -> None:
    for where, code in ports:
        if code is None:
            continue
        verdict = book.ports.check(code)
        if not verdict.country_known:
            findings.problems.append(f"{where}: {code!r} is not a UN/LOCODE ({code[:2]!r} is not a country)")
        elif not verdict.known:
            findings.warn(where, "unknown_port", code, f"{code} is not in the known-ports list")


def _check_vessel_codes(findings: Findings, where: str, imo: str | None, mmsi: str | None, flag: str | None) -> None:
    if imo:
        _check_imo(findings, f"{where}.imo", imo)
    if mmsi:
        _check_mmsi(findings, f"{where}.mmsi", mmsi)
    _check_country(findings, f"{where}.flag", flag)


def _check_imo(findings: Findings, where: str, value: str) -> None:
    digits = vessels.imo_digits(value)
    if digits is None:
        findings.problems.append(f"{where}: {value!r} is not an IMO number (seven digits)")
    elif vessels.imo_check_digit(digits[:6]) != int(digits[6]):
        findings.warn(where, "imo_check_digit", value, f"IMO {digits}: the check digit is wrong")


def _check_mmsi(findings: Findings, where: str, value: str) -> None:
    kind = vessels.mmsi_kind(value)
    if kind is None or not vessels.is_valid_mmsi(value):
        findings.problems.append(f"{where}: {value!r} is not an MMSI (nine digits with a country's MID)")
    elif kind is not vessels.MmsiKind.SHIP:
        findings.warn(where, "mmsi_not_a_ship", value, f"MMSI {value} is a {kind.value.replace('_', ' ')}, not a ship")


def _check_container(findings: Findings, where: str, number: str) -> None:
    if not containers.is_valid_container(number):
        findings.warn(where, "container_check_digit", number, f"{number}: the ISO 6346 check digit is wrong")


def _check_hs(findings: Findings, where: str, code: str) -> None:
    verdict = hs_check(code)
    if not verdict.exists:
        findings.warn(where, "unknown_hs_code", code, f"{code} is not a Harmonized System code")


def _check_identifiers(findings: Findings, where: str, identifiers: Iterable[Identifier]) -> None:
    for index, identifier in enumerate(identifiers):
        at = f"{where}[{index}]"
        _check_country(findings, f"{at}.country", identifier.country)
        if identifier.scheme is IdentifierScheme.IMO:
            _check_imo(findings, f"{at}.value", identifier.value)
        elif identifier.scheme is IdentifierScheme.MMSI:
            _check_mmsi(findings, f"{at}.value", identifier.value)
        elif identifier.scheme is IdentifierScheme.CONTAINER:
            _check_container(findings, f"{at}.value", identifier.value)


# -- what codes imply --------------------------------------------------------------------------


def _normalised(manifest: Manifest, book: CodeBook) -> Manifest:
    # Copied only where something changes: most manifests come in already normalised.
    updates: dict[str, Any] = {}
    vessel = manifest.vessel
    if vessel is not None:
        vessel_updates = _vessel_updates(vessel.imo, vessel.mmsi, vessel.flag)
        if vessel_updates:
            updates["vessel"] = vessel.model_copy(update=vessel_updates)
    if isinstance(manifest, VesselManifest):
        voyage = manifest.voyage
        if voyage.next_port is None and voyage.destination:
            resolved = book.ports.resolve(voyage.destination)
            if resolved is not None:
                updates["voyage"] = voyage.model_copy(update={"next_port": resolved})
    return manifest.model_copy(update=updates) if updates else manifest


def _vessel_updates(imo: str | None, mmsi: str | None, flag: str | None) -> dict[str, Any]:
    updates: dict[str, Any] = {}
    digits = vessels.imo_digits(imo) if imo else None
    if digits is not None and digits != imo:
        updates["imo"] = digits
    if mmsi and flag is None:
        implied = vessels.mid_country(mmsi)
        if implied is not None:
            updates["flag"] = implied
    return updates
