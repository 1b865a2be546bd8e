"""A vessel identity conflict found by ingest becomes a finding of its own, beside watchlist matches."""

from __future__ import annotations

from services.shared.models import ManifestRef, Match
from services.shared.models.alert import Evidence, FindingKind, match_id_for
from services.shared.models.ingest import ConflictKind, IdentityConflict

#: How strongly each kind of disagreement points at identity fraud (it sets the alert's severity).
CONFLICT_SCORES = {
    ConflictKind.IMO_MMSI: 1.0,
    ConflictKind.MMSI_IMO: 1.0,
    ConflictKind.IMO_NAME: 0.9,
    ConflictKind.FLAG_MID: 0.86,
}


def conflict_matches(reference: ManifestRef, found: list[IdentityConflict]) -> list[Match]:
    return [_match(reference, conflict) for conflict in found]


def _match(reference: ManifestRef, conflict: IdentityConflict) -> Match:
    evidence = Evidence(
        where="vessel",
        method=f"identity:{conflict.kind.value}",
        query_value=conflict.declared,
        matched_value=conflict.known,
        contribution=1.0,
        explanation=conflict.explanation,
    )
    subject = f"identity:{conflict.kind.value}:{conflict.imo or ''}:{conflict.mmsi or ''}"
    return Match(
        kind=FindingKind.IDENTITY_CONFLICT,
        match_id=match_id_for(reference.feed, reference.manifest_id, subject, reference.version),
        manifest=reference,
        conflict=conflict,
        score=CONFLICT_SCORES[conflict.kind],
        evidence=[evidence],
        explanation=conflict.explanation,
    )
