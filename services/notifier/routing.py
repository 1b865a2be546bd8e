"""Who receives an alert, and how urgent it is.

An alert goes to the desk of the country that owns the watchlist entry and to the desks of the
partner countries on the manifest's route, but only where the entry's sharing scope allows: an
entry shared with nobody else never reaches, nor is described to, another country's desk.
"""

from __future__ import annotations

from services.shared.models import Alert, Match, Severity
from services.shared.models.alert import alert_id_for
from services.shared.settings import PARTNER_COUNTRIES


def candidate_desks(match: Match) -> list[str]:
    """Owner first, then the route's partner countries in route order, each once."""
    desks = [match.entry.owner_country, *match.manifest.route_countries]
    return [desk for desk in dict.fromkeys(desks) if desk in PARTNER_COUNTRIES]


def permitted_desks(match: Match) -> tuple[list[str], list[str]]:
    """(desks that may see the alert, desks withheld by the entry's sharing scope)."""
    allowed: list[str] = []
    withheld: list[str] = []
    for desk in candidate_desks(match):
        target = allowed if match.entry.sharing.allows(match.entry.owner_country, desk) else withheld
        target.append(desk)
    return allowed, withheld


def severity_of(match: Match) -> Severity:
    """Identifier hits are the strongest signal an officer can act on; names alone rank by score."""
    identifier_hit = any(item.method.startswith("identifier:") and item.contribution > 0 for item in match.evidence)
    if identifier_hit and match.score >= 0.95:
        return Severity.CRITICAL
    if match.score >= 0.92:
        return Severity.HIGH
    if match.score >= 0.85:
        return Severity.MEDIUM
    return Severity.LOW


def alert_for_desk(match: Match, desk: str) -> Alert:
    return Alert(
        alert_id=alert_id_for(match.manifest.feed, match.manifest.manifest_id, match.entry.entry_id),
        desk_country=desk,
        severity=severity_of(match),
        manifest=match.manifest,
        entry=match.entry,
        score=match.score,
        evidence=match.evidence,
        explanation=match.explanation,
        retroactive=match.retroactive,
    )
