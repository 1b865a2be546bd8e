"""A match as a desk reads it: what on the manifest matched, how severe, and why, in its language.

The matcher explains in English, word by word; that explanation stays on the alert as `detail`.
The desk reads the same evidence in its own language, phrase by phrase from the catalogue
(services/shared/i18n), one phrase per kind of evidence.
"""

from __future__ import annotations

from collections import defaultdict

from services.notifier.severity import Assessment
from services.shared.i18n import Translator
from services.shared.models import AlertMatch, Evidence, Match, MatchedParty, Occurrence, Programme

#: The catalogue's phrase for each kind of evidence the matcher gives (its `method` up to the colon,
#: or the whole method); anything else is said with `evidence.other`.
_PHRASES = {
    "name:exact": "evidence.name_exact",
    "name:fuzzy": "evidence.name_fuzzy",
    "name:weak_alias": "evidence.name_weak_alias",
    "corroboration:dob": "evidence.corroboration_dob",
    "corroboration:country": "evidence.corroboration_country",
    "contradiction:dob": "evidence.contradiction_dob",
    "contradiction:country": "evidence.contradiction_country",
    "contradiction:kind": "evidence.contradiction_kind",
}


def explain_evidence(item: Evidence, translate: Translator) -> str:
    family, _, detail = item.method.partition(":")
    values = {"query": item.query_value, "listed": item.matched_value}
    if family == "identifier":
        return translate("evidence.identifier", scheme=translate.label("scheme", detail), **values)
    if family == "identity":
        return translate("evidence.identity", conflict=translate.label("conflict", detail), **values)
    if item.method == "contradiction:kind":
        values = {key: translate.label("kind", value) for key, value in values.items()}
    phrase = _PHRASES.get(item.method)
    if phrase is None:
        return translate("evidence.other", method=item.method, **values)
    return translate(phrase, **values)


def matched_parties(match: Match) -> list[MatchedParty]:
    """Each place on the manifest that matched, with its name there (the identifier if no name matched)."""
    names: dict[str, str] = {}
    identifiers: dict[str, str] = {}
    for item in match.evidence:
        if item.method.startswith("name:"):
            names.setdefault(item.where, item.query_value)
        elif item.method.startswith("identifier:"):
            identifiers.setdefault(item.where, f"{item.method.removeprefix('identifier:').upper()} {item.query_value}")
    if match.conflict is not None:
        names.setdefault("vessel", match.conflict.vessel_name)
    wheres = dict.fromkeys(item.where for item in match.evidence if item.where in names or item.where in identifiers)
    return [MatchedParty(where=where, name=names.get(where) or identifiers[where]) for where in wheres]


def explain_match(match: Match, evidence: list[Evidence], translate: Translator) -> str:
    """One sentence per place on the manifest: what it matched and the evidence there."""
    by_where: dict[str, list[str]] = defaultdict(list)
    for item in evidence:
        by_where[item.where].append(item.explanation)
    sentences = []
    for where, phrases in by_where.items():
        reasons = "; ".join(phrases)
        if match.entry is not None:
            sentences.append(translate(
                "explain.watchlist", where=where, name=match.entry.primary_name, entry=match.entry.entry_id,
                score=f"{match.score:.2f}", reasons=reasons,
            ))
        else:
            assert match.conflict is not None
            conflict = translate.label("conflict", match.conflict.kind.value)
            sentences.append(translate("explain.identity_conflict", where=where, conflict=conflict, reasons=reasons))
    return " ".join(sentences)


def occurrence_of(match: Match) -> Occurrence:
    manifest = match.manifest
    return Occurrence(
        match_id=match.match_id,
        manifest_id=manifest.manifest_id,
        feed=manifest.feed,
        manifest_version=manifest.version,
        reported_at=manifest.reported_at,
        bill_of_lading=manifest.bill_of_lading,
        retroactive=match.retroactive,
    )


def alert_match(match: Match, assessment: Assessment, translate: Translator) -> AlertMatch:
    """The match for a desk reading `translate`'s language, rated by `assessment`."""
    evidence = [item.model_copy(update={"explanation": explain_evidence(item, translate)}) for item in match.evidence]
    return AlertMatch(
        kind=match.kind,
        entry=match.entry,
        conflict=match.conflict,
        match_id=match.match_id,
        parties=matched_parties(match),
        programmes=[programme for programme in Programme if programme in assessment.facts.programmes],
        score=match.score,
        severity=assessment.severity,
        severity_reasons=assessment.reasons(translate),
        evidence=evidence,
        explanation=explain_match(match, evidence, translate),
        detail=match.explanation,
        retroactive=match.retroactive,
        occurrences=[occurrence_of(match)],
    )
