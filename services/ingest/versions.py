"""What makes two sendings of a manifest the same, and what changed between two versions."""

from __future__ import annotations

import hashlib
from typing import Any

from services.shared.models.manifest import ShipmentManifest, VesselManifest

Manifest = ShipmentManifest | VesselManifest
Summary = dict[str, Any]

#: Changes listed per field before the rest is counted ("... and 12 more").
MAX_CHANGES_LISTED = 8


def content_digest(manifest: Manifest) -> str:
    """SHA-256 of the content, leaving out when it was reported: an AIS ship rebroadcasts the same
    identity every few minutes, and a feed that resends a bill of lading restamps it."""
    # The models' own serialisation: fields always in the same order, so the same content gives
    # the same bytes.
    return hashlib.sha256(manifest.model_dump_json(exclude={"reported_at", "ingest"}).encode()).hexdigest()


def summary_of(manifest: Manifest) -> Summary:
    """The parts a desk cares about when a manifest is amended, as comparable values."""
    vessel = manifest.vessel
    summary: Summary = {
        "vessel": _vessel_line(vessel.name, vessel.imo, vessel.mmsi, vessel.flag) if vessel else None,
        "route": " > ".join(manifest.route_ports()),
    }
    if isinstance(manifest, ShipmentManifest):
        summary["parties"] = [_party_line(party) for party in manifest.parties]
        summary["containers"] = [container.number for container in manifest.containers]
        summary["goods"] = [f"{item.hs_code} {item.description[:60]}" for item in manifest.commodities]
    else:
        summary["destination"] = manifest.voyage.destination
        summary["eta"] = manifest.voyage.eta.isoformat() if manifest.voyage.eta else None
        summary["crew"] = [person.name for person in manifest.crew]
        summary["passengers"] = [person.name for person in manifest.passengers]
    return summary


def changes_between(before: Summary, after: Summary) -> list[str]:
    changes: list[str] = []
    for field in after:
        old, new = before.get(field), after[field]
        if old == new:
            continue
        if isinstance(new, list) or isinstance(old, list):
            changes += _list_changes(field, old or [], new or [])
        else:
            changes.append(f"{field}: {old or '(none)'} -> {new or '(none)'}")
    return changes


def _list_changes(field: str, old: list[str], new: list[str]) -> list[str]:
    added = [item for item in new if item not in old]
    removed = [item for item in old if item not in new]
    lines = [f"{field} added: {item}" for item in added] + [f"{field} removed: {item}" for item in removed]
    if len(lines) > MAX_CHANGES_LISTED:
        hidden = len(lines) - MAX_CHANGES_LISTED
        lines = [*lines[:MAX_CHANGES_LISTED], f"{field}: ... and {hidden} more"]
    return lines


def _vessel_line(name: str, imo: str | None, mmsi: str | None, flag: str | None) -> str:
    parts = [name, f"IMO {imo}" if imo else "", f"MMSI {mmsi}" if mmsi else "", f"flag {flag}" if flag else ""]
    return ", ".join(part for part in parts if part)


def _party_line(party: Any) -> str:
    ids = ", ".join(f"{identifier.scheme}:{identifier.value}" for identifier in party.identifiers)
    country = f" ({party.country})" if party.country else ""
    return f"{party.role}: {party.name}{country}" + (f" [{ids}]" if ids else "")
