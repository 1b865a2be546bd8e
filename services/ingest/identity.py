"""A vessel whose identity disagrees with itself: an IMO number with another MMSI or name than the
last time it was seen, an MMSI with another IMO, a flag that is not its MMSI's country.

Each is a finding of its own (an alert of kind `identity_conflict`), routed like any other:
a ship that changes its broadcast identity, or declares one identity to customs and broadcasts
another, is what flag hopping and identity laundering look like.
"""

from __future__ import annotations

import re
from datetime import UTC

from services.ingest.sightings import Previous, Sighting
from services.shared.codes import vessels
from services.shared.models.ingest import ConflictKind, IdentityConflict
from services.shared.models.manifest import ShipmentManifest, VesselManifest

_PREFIXES = re.compile(r"^(M\s?/?\s?[VTSY]|S\s?/?\s?S|MV|MT|MY|SS)\.?\s+")
_NOT_ALNUM = re.compile(r"[^0-9A-Z]+")


def sighting_of(manifest: ShipmentManifest | VesselManifest) -> Sighting | None:
    vessel = manifest.vessel
    if vessel is None or not (vessel.imo or vessel.mmsi):
        return None
    return Sighting(vessel.name, vessel.imo, vessel.mmsi, manifest.feed, manifest.reported_at)


def comparable_name(name: str) -> str:
    """Names as AIS carries them: upper case, no punctuation, no MV / M/V / MT prefix."""
    upper = name.upper().strip()
    return _NOT_ALNUM.sub("", _PREFIXES.sub("", upper))


def conflicts(seen: Sighting, before: Previous, flag: str | None) -> list[IdentityConflict]:
    name = seen.name or "?"
    found: list[IdentityConflict] = []
    known = before.by_imo
    if known is not None and seen.imo:
        if seen.mmsi and known.mmsi and seen.mmsi != known.mmsi:
            found.append(_conflict(ConflictKind.IMO_MMSI, seen, known, f"MMSI {seen.mmsi}", f"MMSI {known.mmsi}"))
        if seen.name and known.name and comparable_name(seen.name) != comparable_name(known.name):
            found.append(_conflict(ConflictKind.IMO_NAME, seen, known, seen.name, known.name))
    known = before.by_mmsi
    if known is not None and seen.mmsi and seen.imo and known.imo and seen.imo != known.imo:
        found.append(_conflict(ConflictKind.MMSI_IMO, seen, known, f"IMO {seen.imo}", f"IMO {known.imo}"))
    implied = vessels.mid_country(seen.mmsi) if seen.mmsi else None
    if flag and implied and flag != implied:
        found.append(
            IdentityConflict(
                kind=ConflictKind.FLAG_MID,
                vessel_name=name,
                imo=seen.imo,
                mmsi=seen.mmsi,
                declared=f"flag {flag}",
                known=f"MMSI country {implied}",
                explanation=f"{name} flies the flag of {flag}, but its MMSI {seen.mmsi} was issued by {implied}",
            )
        )
    return found


def _conflict(kind: ConflictKind, seen: Sighting, known: Sighting, declared: str, before: str) -> IdentityConflict:
    subject = f"IMO {seen.imo}" if kind is not ConflictKind.MMSI_IMO else f"MMSI {seen.mmsi}"
    explanation = (
        f"{seen.name or subject} ({subject}) is reported by {seen.feed} with {declared}, "
        f"but {known.feed} reported it with {before} on {known.at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    )
    return IdentityConflict(
        kind=kind,
        vessel_name=seen.name or known.name or "?",
        imo=seen.imo,
        mmsi=seen.mmsi,
        declared=declared,
        known=before,
        known_from=known.feed,
        known_at=known.at,
        explanation=explanation,
    )
