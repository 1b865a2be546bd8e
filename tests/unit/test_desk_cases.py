"""Joint cases: the operations of several desks on real stores, with the `cases` topic in memory."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.admin.tokens import Principal, Role
from services.desk.cases import CaseNotAllowed, CaseNotFound, CaseOperations, InviteRefused
from services.desk.store import DeskStore
from services.shared.models import Alert, Severity
from services.shared.models.case import CaseAction, CaseState
from services.shared.models.watchlist import Sharing, SharingScope
from tests.fakes import MemoryCasesTopic
from tests.support.alerts import Feed, Notifier, a_match, alerts, manifest

NOW = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)


@dataclass
class Partners:
    """Desks sharing one `cases` topic, each with its own store holding its own alerts."""

    tmp: Path
    topic: MemoryCasesTopic
    stores: dict[str, DeskStore]
    feeds: dict[str, Feed]

    def store(self, desk: str) -> DeskStore:
        if desk not in self.stores:
            self.stores[desk] = DeskStore(self.tmp / f"{desk.lower()}.sqlite3", desk)
        return self.stores[desk]

    def receive(self, *sent: Alert) -> None:
        for alert in sent:
            feed = self.feeds.setdefault(alert.desk_country, Feed())  # each desk's topic at growing offsets
            self.store(alert.desk_country).apply([feed.alert(alert)])

    def desk(self, desk: str, officer: str | None = None) -> CaseOperations:
        store = self.store(desk)
        principal = Principal(name=officer or f"officer.{desk.lower()}", role=Role.DESK, country=desk)
        return CaseOperations(desk, principal, store, lambda: self.topic.sync(store), self.topic, clock=lambda: NOW)


@pytest.fixture
def partners(tmp_path: Path) -> Partners:
    return Partners(tmp_path, MemoryCasesTopic(), {}, {})


async def route_alerts(
    partners: Partners, sharing: Sharing | None = None, manifest_id: str = "M-1"
) -> dict[str, Alert]:
    """A US entry matched on a manifest bound Colombia → Panama → Mexico: each desk's alert, as sent."""
    sent = alerts(await Notifier().batch(a_match("test:1", owner="US", sharing=sharing, on=manifest(manifest_id))))
    partners.receive(*sent)
    return {alert.desk_country: alert for alert in sent}


async def test_a_desk_opens_a_case_on_its_alerts_with_their_highest_severity_as_priority(partners: Partners) -> None:
    sent = await route_alerts(partners)
    result = partners.desk("MX", "ana.mx").open([sent["MX"].alert_id], "SEA STAR cocaine route")
    assert result.effect == "applied" and result.case is not None
    assert (result.case.priority, result.case.desks, result.case.state) == (sent["MX"].severity, ["MX"], CaseState.OPEN)
    view = partners.desk("MX").case(result.case.case_id)
    assert [alert.alert_id for alert in view.alerts] == [sent["MX"].alert_id]
    [opening] = view.history
    assert (opening.event.actor, opening.event.desk_country, opening.event.at) == ("ana.mx", "MX", NOW)
    with pytest.raises(CaseNotFound):  # not invited: the US desk's store has no such case
        partners.desk("US").case(result.case.case_id)


async def test_an_invited_desk_sees_the_case_from_its_opening_and_each_others_notes(partners: Partners) -> None:
    sent = await route_alerts(partners)
    mexico = partners.desk("MX", "ana.mx")
    case_id = mexico.open([sent["MX"].alert_id], "joint").event.case_id
    mexico.note(case_id, "boarding planned at Manzanillo")
    assert mexico.invite(case_id, "co").effect == "applied"
    colombia = partners.desk("CO", "luis.co")
    colombia.note(case_id, "the shipper is known to us")
    colombia.set_state(case_id, CaseState.ACTIVE)
    for desk in ("MX", "CO"):
        view = partners.desk(desk).case(case_id)
        assert [(item.event.action, item.event.actor) for item in view.history] == [
            (CaseAction.OPEN, "ana.mx"),
            (CaseAction.NOTE, "ana.mx"),
            (CaseAction.INVITE, "ana.mx"),
            (CaseAction.NOTE, "luis.co"),
            (CaseAction.STATE, "luis.co"),
        ]
        assert (view.case.desks, view.case.state) == (["MX", "CO"], CaseState.ACTIVE)
        # each desk sees the case's alert as its own store has it: its own version, in its language
        [alert] = view.alerts
        assert alert.summary == sent[desk].summary


async def test_a_desk_that_did_not_receive_the_alerts_is_refused_and_the_refusal_recorded(partners: Partners) -> None:
    sent = await route_alerts(partners)
    mexico = partners.desk("MX")
    case_id = mexico.open([sent["MX"].alert_id], "joint").event.case_id
    with pytest.raises(InviteRefused) as refused:
        mexico.invite(case_id, "BR")  # Brazil is not on the route and does not own the entry
    assert (refused.value.code, refused.value.detail) == ("case-not-received", sent["MX"].alert_id)
    view = mexico.case(case_id)
    assert [(item.event.action, item.event.refused, item.effect) for item in view.history][-1] == (
        CaseAction.INVITE,
        "not_received",
        "refused",
    )
    assert view.case.desks == ["MX"]
    with pytest.raises(CaseNotFound):
        partners.desk("BR").case(case_id)


async def test_a_desk_an_entrys_scope_withholds_is_never_invited(partners: Partners) -> None:
    only_mexico = Sharing(scope=SharingScope.NAMED_COUNTRIES, countries=["MX"])
    sent = await route_alerts(partners, sharing=only_mexico)
    assert set(sent) == {"US", "MX"}  # Panama and Colombia are on the route, but withheld
    mexico = partners.desk("MX")
    case_id = mexico.open([sent["MX"].alert_id], "joint").event.case_id
    with pytest.raises(InviteRefused) as refused:
        mexico.invite(case_id, "PA")
    assert (refused.value.code, refused.value.detail) == ("case-scope", f"{sent['MX'].alert_id}: test:1")
    assert mexico.case(case_id).history[-1].event.refused == "scope"
    with pytest.raises(CaseNotFound):
        partners.desk("PA").case(case_id)
    assert mexico.invite(case_id, "US").effect == "applied"  # the owner may be


async def test_only_the_opening_desk_changes_the_priority_and_the_most_relevant_cases_come_first(
    partners: Partners,
) -> None:
    first = await route_alerts(partners, manifest_id="M-1")
    second = await route_alerts(partners, manifest_id="M-2")
    mexico = partners.desk("MX")
    low = mexico.open([first["MX"].alert_id], "low one", priority=Severity.LOW).event.case_id
    high = mexico.open([second["MX"].alert_id], "high one", priority=Severity.HIGH).event.case_id
    assert [case.case_id for case in mexico.cases()] == [high, low]
    mexico.invite(low, "CO")
    with pytest.raises(CaseNotAllowed) as refused:
        partners.desk("CO").set_priority(low, Severity.CRITICAL)
    assert refused.value.code == "not_opener"
    mexico.set_priority(low, Severity.CRITICAL, "the consignee is the same on both")
    assert [case.case_id for case in mexico.cases()] == [low, high]
    assert [case.case_id for case in partners.desk("CO").cases()] == [low]


async def test_a_closed_case_stays_closed_and_a_refused_change_is_not_published(partners: Partners) -> None:
    sent = await route_alerts(partners)
    mexico = partners.desk("MX")
    case_id = mexico.open([sent["MX"].alert_id], "joint").event.case_id
    mexico.set_state(case_id, CaseState.CLOSED)
    published = len(partners.topic.records)
    with pytest.raises(CaseNotAllowed) as refused:
        mexico.set_state(case_id, CaseState.ACTIVE)
    assert refused.value.code == "closed" and len(partners.topic.records) == published
    assert [case.case_id for case in mexico.cases([CaseState.OPEN, CaseState.ACTIVE])] == []
    assert [case.case_id for case in mexico.cases([CaseState.CLOSED])] == [case_id]


async def test_a_rebuilt_store_holds_the_same_cases(partners: Partners, tmp_path: Path) -> None:
    sent = await route_alerts(partners)
    mexico = partners.desk("MX")
    case_id = mexico.open([sent["MX"].alert_id], "joint").event.case_id
    mexico.invite(case_id, "CO")
    partners.desk("CO").note(case_id, "seen")
    rebuilt = DeskStore(tmp_path / "rebuilt" / "co.sqlite3", "CO")
    partners.topic.sync(rebuilt)
    assert rebuilt.cases.history(case_id) == partners.store("CO").cases.history(case_id)
    assert rebuilt.cases.case(case_id) == partners.store("CO").cases.case(case_id)
