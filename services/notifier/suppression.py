"""Suppression: the same entry on the same voyage or bill of lading, within a window, is one alert.

A vessel rebroadcasting its identity, a bill of lading filed by the carrier and again by customs,
every bill of lading of one voyage naming the same listed vessel: each is a manifest of its own,
and without this each would raise an alert of its own. Instead the first raises the alert, and
the others within INTERDICT_SUPPRESSION_WINDOW_SECONDS (measured on the manifests' reported
times, so a replay decides as the first pass did) are counted on it as sightings: one alert with
a count, each sighting listed.

The notifier remembers, per desk and entry, which alert holds each voyage and bill of lading: a
Sighting under a key made of `voyage_keys`.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from pydantic import AwareDatetime, BaseModel, ConfigDict

from services.shared.models import ManifestRef

#: The key of a voyage whose vessel or voyage is not said.
_UNKNOWN = "-"


class Sighting(BaseModel):
    """The alert that holds a voyage's or bill of lading's hits on one entry, since when."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    alert_id: str
    first_reported_at: AwareDatetime


def voyage_keys(manifest: ManifestRef) -> list[str]:
    """The bill of lading and the voyage the manifest belongs to, as far as it says.

    A voyage is the vessel (IMO number, else MMSI, else name) and its voyage number, else where it
    is bound (a vessel manifest's next port, a shipment's last port of call); a manifest that names
    no vessel has no voyage, and one with no bill of lading has none either.
    """
    keys = []
    if manifest.bill_of_lading:
        keys.append(f"bl:{_normal(manifest.bill_of_lading)}")
    vessel = manifest.vessel_imo or manifest.vessel_mmsi or manifest.vessel_name
    if vessel:
        keys.append(f"voyage:{_normal(vessel)}:{_normal(_voyage(manifest))}")
    return keys


def _voyage(manifest: ManifestRef) -> str:
    if manifest.voyage_number:
        return manifest.voyage_number
    if manifest.kind == "vessel":
        return manifest.next_port or _UNKNOWN
    return manifest.route_ports[-1] if manifest.route_ports else _UNKNOWN


def _normal(text: str) -> str:
    """Case and spacing do not make another voyage: 'msc alina ' is MSC ALINA."""
    return re.sub(r"\s+", " ", text.strip().upper())


def within(window: timedelta, first: datetime, later: datetime) -> bool:
    """Whether a sighting reported at `later` falls in the window opened by the one at `first`."""
    return window > timedelta(0) and abs(later - first) <= window
