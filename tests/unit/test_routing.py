from datetime import UTC, datetime

import pytest

from services.notifier.routing import permitted_desks
from services.notifier.rulefile import load_rules
from services.notifier.severity import assess
from services.shared.models import (
    EntityKind,
    EntrySummary,
    Evidence,
    ManifestRef,
    Match,
    Severity,
    Sharing,
    SharingScope,
)
from services.shared.settings import Settings


def make_match(owner: str = "US", route: list[str] | None = None, sharing: Sharing | None = None, score: float = 0.9,
               method: str = "name:fuzzy") -> Match:
    return Match(
        match_id="match-1",
        manifest=ManifestRef(
            manifest_id="M-1",
            kind="shipment",
            feed="feed-a",
            reported_at=datetime(2026, 11, 20, tzinfo=UTC),
            route_countries=route if route is not None else ["CO", "PA", "MX"],
        ),
        entry=EntrySummary(
            entry_id="ofac-sdn:1",
            list_id="ofac-sdn",
            list_version=3,
            kind=EntityKind.PERSON,
            primary_name="DOE, John",
            owner_country=owner,
            sharing=sharing or Sharing(),
        ),
        score=score,
        evidence=[Evidence(where="parties[0]", method=method, query_value="John Doe", matched_value="DOE, John",
                           contribution=score, explanation="names match")],
        explanation="names match",
    )


def test_owner_first_then_route_partners_each_once() -> None:
    allowed, withheld = permitted_desks(make_match(route=["CO", "US", "NL", "MX", "CO"]))
    assert allowed == ["US", "CO", "MX"]  # NL is not a partner
    assert withheld == []


def test_owner_only_scope_reaches_only_the_owner() -> None:
    allowed, withheld = permitted_desks(make_match(owner="CO", sharing=Sharing(scope=SharingScope.OWNER_ONLY)))
    assert allowed == ["CO"]
    assert withheld == ["PA", "MX"]


def test_named_countries_scope() -> None:
    sharing = Sharing(scope=SharingScope.NAMED_COUNTRIES, countries=["MX"])
    allowed, withheld = permitted_desks(make_match(owner="CO", sharing=sharing))
    assert allowed == ["CO", "MX"]
    assert withheld == ["PA"]


def test_non_partner_owner_goes_to_route_desks_only() -> None:
    allowed, _ = permitted_desks(make_match(owner="GB"))
    assert allowed == ["CO", "PA", "MX"]


@pytest.mark.parametrize(
    ("score", "method", "expected"),
    [
        (0.99, "identifier:imo", Severity.CRITICAL),
        (0.99, "name:exact", Severity.HIGH),
        (0.88, "name:fuzzy", Severity.MEDIUM),
        (0.81, "name:fuzzy", Severity.LOW),
    ],
)
def test_severity(score: float, method: str, expected: Severity) -> None:
    rules = load_rules(Settings().severity_rules_file)
    assert assess(make_match(score=score, method=method), rules).severity is expected
