"""How urgent an alert is: the strength of its evidence and its score."""

from __future__ import annotations

from services.shared.models import Match, Severity


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
