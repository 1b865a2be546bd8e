"""How urgent a match is: the kind of evidence, the score, the entry's programmes and the route.

The rules are data, not code: config/severity.toml (INTERDICT_SEVERITY_RULES_FILE), validated by
SeverityRules below and read by rulefile.py. A base rule (the first that applies) gives the
severity from the evidence and the score; every adjustment that applies then moves it a step or
more, for the programme and the route. The assessment keeps which rules gave it, so a desk reads
why an alert is as severe as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property

from pydantic import Field, field_validator, model_validator

from services.shared.i18n import Language, Translator
from services.shared.models import Match, Programme, Severity
from services.shared.models.alert import FindingKind
from services.shared.models.common import CountryCode, StrictModel, UNLocode

#: An adjustment's id: short, stable, for logs and for the alert's record of why.
RULE_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,63}$"


class EvidenceKind(StrEnum):
    """What matched. An identifier (IMO, passport, tax number) beats a name: it is not a namesake."""

    IDENTIFIER = "identifier"
    NAME = "name"
    IDENTITY_CONFLICT = "identity_conflict"


@dataclass(frozen=True)
class Facts:
    """What the rules look at in a match."""

    evidence: EvidenceKind
    score: float
    programmes: frozenset[Programme]
    route_countries: frozenset[str]
    route_ports: frozenset[str]


class Condition(StrictModel):
    """When a rule applies: every condition given holds (a list holds when any of its items does)."""

    evidence: list[EvidenceKind] = Field(default_factory=list, description="what matched; empty: anything")
    min_score: float = Field(default=0.0, ge=0, le=1, description="the match's score at least this")
    programmes: list[Programme] = Field(default_factory=list, description="the entry has one of these programmes")
    route_countries: list[CountryCode] = Field(default_factory=list, description="the route touches one of these")
    route_ports: list[UNLocode] = Field(default_factory=list, description="the route calls at one of these ports")

    def holds(self, facts: Facts) -> bool:
        return (
            (not self.evidence or facts.evidence in self.evidence)
            and facts.score >= self.min_score
            and (not self.programmes or not facts.programmes.isdisjoint(self.programmes))
            and (not self.route_countries or not facts.route_countries.isdisjoint(self.route_countries))
            and (not self.route_ports or not facts.route_ports.isdisjoint(self.route_ports))
        )

    @property
    def unconditional(self) -> bool:
        return self == Condition()


class BaseRule(Condition):
    severity: Severity


class Adjustment(Condition):
    id: str = Field(pattern=RULE_ID_PATTERN)
    steps: int = Field(ge=-3, le=3, description="severity steps up (negative: down)")
    reason: dict[Language, str] = Field(description="what a desk reads, per language; English required")

    @field_validator("steps")
    @classmethod
    def _moves(cls, steps: int) -> int:
        if steps == 0:
            raise ValueError("an adjustment of 0 steps changes nothing; remove it")
        return steps

    @field_validator("reason")
    @classmethod
    def _english_given(cls, reason: dict[Language, str]) -> dict[Language, str]:
        if not reason.get("en", "").strip():
            raise ValueError("needs at least an English reason: reason = { en = \"...\" }")
        return reason


class SeverityRules(StrictModel):
    """config/severity.toml: base rules, adjustments, and which programme codes mean what."""

    version: int = Field(ge=1, description="raise it at every change: every alert records the version that rated it")
    description: str = ""
    default_programme: Programme = Programme.SANCTIONS
    programmes: dict[Programme, list[str]] = Field(default_factory=dict)
    base: list[BaseRule] = Field(min_length=1)
    adjust: list[Adjustment] = Field(default_factory=list)

    @field_validator("base")
    @classmethod
    def _ends_with_a_catch_all(cls, base: list[BaseRule]) -> list[BaseRule]:
        if not Condition.model_validate(base[-1].model_dump(exclude={"severity"})).unconditional:
            raise ValueError("the last base rule must have no condition, so that every match gets a severity")
        return base

    @model_validator(mode="after")
    def _codes_and_ids_once(self) -> SeverityRules:
        owners: dict[str, Programme] = {}
        for programme, codes in self.programmes.items():
            for code in codes:
                other = owners.setdefault(_code_key(code), programme)
                if other is not programme:
                    raise ValueError(f"programme code {code!r} is under both {other.value} and {programme.value}")
        ids = [rule.id for rule in self.adjust]
        repeated = sorted({rule_id for rule_id in ids if ids.count(rule_id) > 1})
        if repeated:
            raise ValueError(f"adjustment ids used twice: {', '.join(repeated)}")
        return self

    @cached_property
    def _by_code(self) -> dict[str, Programme]:
        """Every code's programme, worked out once per rule file (it is asked for every match)."""
        by_code = {_code_key(programme.value): programme for programme in Programme}
        return by_code | {_code_key(code): programme for programme, codes in self.programmes.items() for code in codes}

    def programmes_of(self, codes: list[str]) -> list[Programme]:
        """The programmes a list's codes belong to, in Programme order; the default for unknown codes."""
        found = {self._by_code.get(_code_key(code), self.default_programme) for code in codes}
        return [programme for programme in Programme if programme in found]


def _code_key(code: str) -> str:
    return re.sub(r"[\s_]+", "-", code.strip().upper())


def evidence_kind(match: Match) -> EvidenceKind:
    if match.kind is FindingKind.IDENTITY_CONFLICT:
        return EvidenceKind.IDENTITY_CONFLICT
    identifier = any(item.method.startswith("identifier:") and item.contribution > 0 for item in match.evidence)
    return EvidenceKind.IDENTIFIER if identifier else EvidenceKind.NAME


def facts_of(match: Match, rules: SeverityRules) -> Facts:
    programmes = rules.programmes_of(match.entry.programs) if match.entry is not None else []
    return Facts(
        evidence=evidence_kind(match),
        score=match.score,
        programmes=frozenset(programmes),
        route_countries=frozenset(match.manifest.route_countries),
        route_ports=frozenset(match.manifest.route_ports),
    )


@dataclass(frozen=True)
class Assessment:
    """A match's severity and the rules that gave it."""

    severity: Severity
    facts: Facts
    base: BaseRule
    #: (adjustment, the severity after it), in the order they applied
    steps: list[tuple[Adjustment, Severity]] = field(default_factory=list)
    rules_version: int = 0

    def reasons(self, translate: Translator) -> list[str]:
        """Why, in the desk's language: the base rule's grounds, then each adjustment."""
        base = translate(
            "explain.severity_base",
            evidence=translate.label("evidence_kind", self.facts.evidence.value),
            score=f"{self.facts.score:.2f}",
            severity=translate.label("severity", self.base.severity.value),
        )
        lines = [base]
        for adjustment, severity in self.steps:
            reason = adjustment.reason.get(translate.language) or adjustment.reason["en"]
            key = "explain.severity_raised" if adjustment.steps > 0 else "explain.severity_lowered"
            lines.append(translate(key, reason=reason, severity=translate.label("severity", severity.value)))
        return lines


def assess(match: Match, rules: SeverityRules) -> Assessment:
    facts = facts_of(match, rules)
    base = next(rule for rule in rules.base if rule.holds(facts))  # the last rule always holds
    severity = base.severity
    steps: list[tuple[Adjustment, Severity]] = []
    for adjustment in rules.adjust:
        if adjustment.holds(facts):
            moved = Severity.of_rank(severity.rank + adjustment.steps)
            if moved is not severity:
                severity = moved
                steps.append((adjustment, severity))
    return Assessment(severity, facts, base, steps, rules.version)
