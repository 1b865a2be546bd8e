"""Severity from the rule file: evidence, score, programme and route; the file checked and reloaded."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.notifier.rulefile import RulesFile, RulesFileError, load_rules
from services.notifier.severity import EvidenceKind, SeverityRules, assess, evidence_kind
from services.shared.i18n import Translator
from services.shared.models import EntityKind, EntrySummary, Evidence, ManifestRef, Match, Programme, Severity
from services.shared.settings import Settings
from tests.fakes import sample

DEFAULT_RULES = load_rules(Settings().severity_rules_file)


def a_match(
    score: float = 0.9,
    method: str = "name:fuzzy",
    programs: list[str] | None = None,
    route: list[str] | None = None,
) -> Match:
    ports = route if route is not None else ["MXZLO", "USLAX"]
    return Match(
        match_id="match-1",
        manifest=ManifestRef(
            manifest_id="M-1", kind="shipment", feed="feed-a", reported_at=datetime(2026, 11, 20, tzinfo=UTC),
            route_ports=ports, route_countries=list(dict.fromkeys(port[:2] for port in ports)),
        ),
        entry=EntrySummary(
            entry_id="ofac-sdn:1", list_id="ofac-sdn", list_version=3, kind=EntityKind.PERSON,
            primary_name="DOE, John", owner_country="US", programs=programs or [],
        ),
        score=score,
        evidence=[Evidence(where="parties[0]", method=method, query_value="x", matched_value="y",
                           contribution=score, explanation="")],
        explanation="",
    )


# -- the rules in the repository ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "method", "expected"),
    [
        (0.99, "identifier:imo", Severity.CRITICAL),
        (0.94, "identifier:imo", Severity.HIGH),  # an identifier, but the score is held down by contradictions
        (0.99, "name:exact", Severity.HIGH),  # the same score on a name alone: a namesake is possible
        (0.88, "name:fuzzy", Severity.MEDIUM),
        (0.81, "name:fuzzy", Severity.LOW),
    ],
)
def test_identifier_beats_name_then_the_score_decides(score: float, method: str, expected: Severity) -> None:
    assert assess(a_match(score, method), DEFAULT_RULES).severity is expected


def test_narcotics_through_a_producing_country_is_one_step_up_and_elsewhere_not() -> None:
    from_colombia = a_match(0.93, programs=["SDNT"], route=["COCTG", "PABLB", "USHOU"])
    from_brazil = a_match(0.93, programs=["SDNT"], route=["BRSSZ", "MXVER"])
    assert assess(from_colombia, DEFAULT_RULES).severity is Severity.CRITICAL
    assert assess(from_brazil, DEFAULT_RULES).severity is Severity.HIGH


def test_people_at_risk_are_one_step_up_on_any_route() -> None:
    assessment = assess(a_match(0.86, programs=["migrant smuggling"]), DEFAULT_RULES)
    assert assessment.severity is Severity.HIGH
    assert [adjustment.id for adjustment, _ in assessment.steps] == ["people-at-risk"]


def test_programme_codes_map_whatever_their_case_and_unknown_ones_are_sanctions() -> None:
    assert DEFAULT_RULES.programmes_of(["sdntk", "TCO", "IRAN", "human_trafficking"]) == [
        Programme.NARCOTICS, Programme.MONEY_LAUNDERING, Programme.HUMAN_TRAFFICKING, Programme.SANCTIONS
    ]
    assert DEFAULT_RULES.programmes_of([]) == []


def test_evidence_kind_counts_an_identifier_only_when_it_weighed_for_the_match() -> None:
    assert evidence_kind(a_match(method="identifier:passport")) is EvidenceKind.IDENTIFIER
    assert evidence_kind(a_match(method="name:exact")) is EvidenceKind.NAME


def test_reasons_are_in_the_desk_language() -> None:
    assessment = assess(a_match(0.93, programs=["SDNTK"], route=["ECGYE", "COBUN"]), DEFAULT_RULES)
    assert assessment.reasons(Translator("es")) == [
        "evidencia de nombre con puntaje 0.93: alta",
        "narcotráfico por un país productor: sube a crítica",
    ]
    assert assessment.reasons(Translator("en"))[1] == "narcotics through a producing country: raised to critical"


# -- the rules' own arithmetic ----------------------------------------------------------------------


def rules(**changes: object) -> SeverityRules:
    document: dict[str, object] = {"version": 7, "base": [{"severity": "medium"}], **changes}
    return SeverityRules.model_validate(document)


def test_adjustments_add_up_and_stop_at_the_ends() -> None:
    up = {"id": "up", "steps": 2, "reason": {"en": "up"}}
    down = {"id": "down", "steps": -3, "programmes": ["sanctions"], "reason": {"en": "down"}}
    assert assess(a_match(), rules(adjust=[up])).severity is Severity.CRITICAL  # medium + 2 stops at critical
    lowered = assess(a_match(programs=["IRAN"]), rules(adjust=[down]))
    assert lowered.severity is Severity.LOW
    assert lowered.rules_version == 7


def test_route_ports_and_evidence_conditions() -> None:
    at_balboa = {"id": "balboa", "steps": 1, "route_ports": ["PABLB"], "evidence": ["name"], "reason": {"en": "b"}}
    ruled = rules(adjust=[at_balboa])
    assert assess(a_match(route=["COCTG", "PABLB"]), ruled).severity is Severity.HIGH
    assert assess(a_match(route=["COCTG", "PAMIT"]), ruled).severity is Severity.MEDIUM
    assert assess(a_match(method="identifier:imo", route=["PABLB"]), ruled).severity is Severity.MEDIUM


# -- the file: refused with every problem named -----------------------------------------------------


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        ('version = 1\n[[base]]\nseverity = "urgent"\n', ["base[0].severity: Input should be 'critical'"]),
        ('version = 1\n[[base]]\nmin_score = 0.9\nseverity = "high"\n', ["the last base rule must have no condition"]),
        ('version = 1\n[[base]]\nseverity = "low"\n[programmes]\nnarcotics = ["TCO"]\nsanctions = ["tco"]\n',
         ["programme code 'tco' is under both narcotics and sanctions"]),
        ('version = 1\n[[base]]\nseverity = "low"\n[[adjust]]\nid = "x"\nsteps = 0\nreason = { es = "x" }\n',
         ["adjust[0].steps: Value error, an adjustment of 0 steps",
          "adjust[0].reason: Value error, needs at least an English"]),
        ('[[base]]\nseverity = "low"\nspeed = 3\n',
         ["version: Field required", "base[0].speed: Extra inputs are not permitted"]),
    ],
)
def test_a_wrong_file_is_refused_with_every_problem_where_it_is(tmp_path: Path, text: str, problems: list[str]) -> None:
    with pytest.raises(RulesFileError) as refused:
        load_rules(write(tmp_path / "severity.toml", text))
    message = str(refused.value)
    assert message.startswith(f"{tmp_path / 'severity.toml'}: {len(problems)} problem(s):")
    assert all(problem in message for problem in problems), message


def test_a_file_that_is_not_toml_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(RulesFileError, match=r"not a TOML file: .*line 2"):
        load_rules(write(tmp_path / "severity.toml", 'version = 1\nbase = = 2\n'))


def test_a_missing_file_stops_the_notifier_at_start(tmp_path: Path) -> None:
    with pytest.raises(RulesFileError, match="cannot be read"):
        RulesFile(tmp_path / "nowhere.toml")


# -- reloaded on change -----------------------------------------------------------------------------


def edit(path: Path, text: str) -> None:
    """Rewrite the file and move its modification time on, as a later edit would."""
    before = path.stat().st_mtime_ns
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(before + 1_000_000_000, before + 1_000_000_000))


def test_an_edit_is_in_force_at_the_next_batch_and_a_bad_one_keeps_the_rules_in_force(tmp_path: Path) -> None:
    path = write(tmp_path / "severity.toml", 'version = 1\n[[base]]\nseverity = "low"\n')
    rule_file = RulesFile(path)
    assert rule_file.current().version == 1
    edit(path, 'version = 2\n[[base]]\nseverity = "high"\n')
    assert rule_file.current().version == 2
    assert assess(a_match(), rule_file.current()).severity is Severity.HIGH
    rejected = sample("interdict_severity_rules_rejected_total")
    edit(path, 'version = 3\n[[base]]\nseverity = "hihg"\n')
    assert rule_file.current().version == 2
    assert sample("interdict_severity_rules_rejected_total") == rejected + 1
    assert rule_file.current().version == 2  # refused once, not at every batch
    assert sample("interdict_severity_rules_rejected_total") == rejected + 1
    edit(path, 'version = 4\n[[base]]\nseverity = "critical"\n')
    assert rule_file.current().version == 4
