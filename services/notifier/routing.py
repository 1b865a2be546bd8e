"""Who receives an alert.

An alert goes to the desk of the country that owns the watchlist entry and to the desks of the
partner countries on the manifest's route, but only where the entry's sharing scope allows: an
entry shared with nobody else never reaches, nor is described to, another country's desk.
"""

from __future__ import annotations

from services.shared.codes.vessels import mid_country
from services.shared.models import Match
from services.shared.models.alert import AlertMatch, ManifestRef
from services.shared.models.ingest import IdentityConflict
from services.shared.settings import PARTNER_COUNTRIES


def candidate_desks(match: Match) -> list[str]:
    """Owner first, then the route's partner countries in route order, each once.

    An identity conflict has no owning entry: it goes to the feed's country, the route's, and the
    countries of the flags involved (the one declared and the one the MMSI implies).
    """
    return finding_desks(match, match.manifest)


def finding_desks(finding: Match | AlertMatch, manifest: ManifestRef) -> list[str]:
    """candidate_desks of a finding (a match, or an alert's match) on a manifest: also what joint
    cases check an invited desk against (services/desk/cases.py)."""
    if finding.entry is not None:
        desks = [finding.entry.owner_country, *manifest.route_countries]
    else:
        owner = [manifest.feed_owner] if manifest.feed_owner else []
        desks = [*owner, *manifest.route_countries, *_flag_countries(finding.conflict)]
    return [desk for desk in dict.fromkeys(desks) if desk in PARTNER_COUNTRIES]


def _flag_countries(conflict: IdentityConflict | None) -> list[str]:
    if conflict is None:
        return []
    implied = mid_country(conflict.mmsi) if conflict.mmsi else None
    declared = conflict.declared.removeprefix("flag ") if conflict.declared.startswith("flag ") else None
    return [country for country in (declared, implied) if country]


def permitted_desks(match: Match) -> tuple[list[str], list[str]]:
    """(desks that may see the alert, desks withheld by the entry's sharing scope).

    Sharing scopes belong to watchlist entries; an identity conflict is built from the feeds' own
    reports, which the partners share under the agreement, so every candidate desk may see it.
    """
    allowed: list[str] = []
    withheld: list[str] = []
    entry = match.entry
    for desk in candidate_desks(match):
        target = allowed if entry is None or entry.sharing.allows(entry.owner_country, desk) else withheld
        target.append(desk)
    return allowed, withheld
