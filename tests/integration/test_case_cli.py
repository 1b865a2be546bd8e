"""`interdict case ...` through a desk console served over HTTP, and the desk store service, on the real
broker and Redis: the `cases` topic, each desk's store holding its own cases only, an invited desk's
store reading the case's past back from the topic, refusals recorded, and time to acknowledge
observed by the service."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import orjson
import pytest
import redis
from typer.testing import CliRunner, Result

from services.admin.tokens import Role, TokenStore
from services.desk.case_cli import case_app
from services.desk.cli import EXIT_NOT_FOUND, EXIT_REFUSED, EXIT_UNREACHABLE, desk_app
from services.desk.service import DeskStoreService
from services.shared.models.case import CaseAction, CaseState, CaseStatus, CaseView
from services.shared.settings import Settings, get_settings
from tests.fakes import sample
from tests.support.cases import events_on, route_alerts
from tests.support.console import serving_console
from tests.support.pipeline import wait_for

pytestmark = pytest.mark.integration


@pytest.fixture
def settings(isolated_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """The commands read get_settings(): point it at the private namespace through the environment."""
    for name, value in isolated_settings.as_environment().items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield isolated_settings
    get_settings.cache_clear()


@pytest.fixture
def console(settings: Settings) -> Iterator[str]:
    """The console the case commands call (it alone may publish case events)."""
    with serving_console(settings, ["MX", "CO", "PA", "BR"]) as url:
        yield url


@pytest.fixture
def tokens(settings: Settings, console: str) -> dict[str, str]:
    store = TokenStore(redis.Redis.from_url(settings.redis_url), settings)
    return {
        "mx": store.create("ana.mx", Role.DESK, "MX"),
        "mx-reader": store.create("reader.mx", Role.READER, "MX"),
        "co": store.create("luis.co", Role.DESK, "CO"),
        "pa": store.create("eva.pa", Role.DESK, "PA"),
        "br": store.create("rui.br", Role.DESK, "BR"),
    }


def case(token: str, *arguments: str) -> Result:
    return CliRunner().invoke(case_app, list(arguments), env={"COLUMNS": "250", "INTERDICT_DESK_TOKEN": token})


def json_of(result: Result) -> dict[str, object]:
    assert result.exit_code == 0, result.output
    parsed: dict[str, object] = orjson.loads(result.stdout.splitlines()[-1])
    return parsed


async def test_a_joint_case_opened_shared_refused_and_worked_by_two_desks(
    settings: Settings, tokens: dict[str, str]
) -> None:
    sent = await route_alerts(settings)
    opened = json_of(
        case(tokens["mx"], "open", "--country", "mx", "--alert", sent["MX"].alert_id, "--title", "SEA STAR", "--json")
    )
    assert opened["effect"] == "applied"
    case_id = CaseStatus.model_validate(opened["case"]).case_id

    refused = case(tokens["mx"], "invite", case_id, "--country", "mx", "--desk", "br")
    assert refused.exit_code == EXIT_REFUSED and "no recibió" in refused.output
    assert case(tokens["mx"], "invite", case_id, "--country", "mx", "--desk", "co").exit_code == 0
    # Colombia's store reads the case's past back from the topic on its first sync.
    assert case(tokens["co"], "note", case_id, "--country", "co", "--note", "shipper known").exit_code == 0
    assert case(tokens["co"], "state", case_id, "active", "--country", "co").exit_code == 0

    for desk in ("mx", "co"):
        view = CaseView.model_validate(json_of(case(tokens[desk], "show", case_id, "--country", desk, "--json")))
        assert [(item.event.action, item.effect) for item in view.history] == [
            (CaseAction.OPEN, "applied"),
            (CaseAction.INVITE, "refused"),
            (CaseAction.INVITE, "applied"),
            (CaseAction.NOTE, "applied"),
            (CaseAction.STATE, "applied"),
        ]
        assert (view.case.desks, view.case.state) == (["MX", "CO"], CaseState.ACTIVE)
        assert [alert.summary for alert in view.alerts] == [sent[desk.upper()].summary]
    [listed] = [
        CaseStatus.model_validate_json(line)
        for line in case(tokens["mx-reader"], "list", "--country", "mx", "--json").stdout.splitlines()
    ]
    assert listed.case_id == case_id
    text = case(tokens["mx"], "show", case_id, "--country", "mx")
    assert text.exit_code == 0 and "luis.co" in text.output and "shipper known" in text.output

    # Brazil and Panama take no part: no such case on their desks; a reader of Mexico may not act.
    assert case(tokens["br"], "show", case_id, "--country", "br").exit_code == EXIT_NOT_FOUND
    assert case(tokens["pa"], "list", "--country", "pa", "--json").stdout.strip() == ""
    assert case(tokens["mx-reader"], "note", case_id, "--country", "mx", "--note", "x").exit_code == EXIT_REFUSED
    on_topic = events_on(settings)
    assert [(event.actor, event.action, event.refused) for event in on_topic] == [
        ("ana.mx", CaseAction.OPEN, None),
        ("ana.mx", CaseAction.INVITE, "not_received"),
        ("ana.mx", CaseAction.INVITE, None),
        ("luis.co", CaseAction.NOTE, None),
        ("luis.co", CaseAction.STATE, None),
    ]


async def test_an_entry_withheld_from_a_desk_keeps_it_out_of_the_case(
    settings: Settings, tokens: dict[str, str]
) -> None:
    sent = await route_alerts(settings)
    opened = json_of(
        case(
            tokens["mx"],
            "open",
            "--country",
            "mx",
            "--alert",
            sent["MX"].alert_id,
            "--alert",
            sent["MX-withheld"].alert_id,
            "--title",
            "two manifests",
            "--json",
        )
    )
    case_id = CaseStatus.model_validate(opened["case"]).case_id
    refused = case(tokens["mx"], "invite", case_id, "--country", "mx", "--desk", "pa")
    assert refused.exit_code == EXIT_REFUSED and "test:2" in refused.output
    assert case(tokens["pa"], "show", case_id, "--country", "pa").exit_code == EXIT_NOT_FOUND


async def test_the_desk_store_service_keeps_each_desks_cases_and_observes_time_to_acknowledge(
    settings: Settings, tokens: dict[str, str]
) -> None:
    sent = await route_alerts(settings)
    service = DeskStoreService(settings, ["MX", "CO", "PA"], clock=lambda: datetime(2000, 1, 1, tzinfo=UTC))
    try:
        service.start()
        severity = sent["MX"].severity.value
        before = sample("interdict_desk_time_to_acknowledge_seconds_count", desk="MX", severity=severity)
        acked = CliRunner().invoke(
            desk_app, ["ack", sent["MX"].alert_id, "--country", "mx"], env={"INTERDICT_DESK_TOKEN": tokens["mx"]}
        )
        assert acked.exit_code == 0, acked.output
        opened = json_of(
            case(tokens["mx"], "open", "--country", "mx", "--alert", sent["MX"].alert_id, "--title", "t", "--json")
        )
        case_id = CaseStatus.model_validate(opened["case"]).case_id
        assert case(tokens["mx"], "invite", case_id, "--country", "mx", "--desk", "co").exit_code == 0

        def colombias_cases() -> list[str]:
            service.step(timeout_ms=200)
            return [item.case_id for item in service.stores["CO"].cases.cases()]

        # Colombia's store, kept by the service alone, gets the case from the invitation on.
        assert wait_for(colombias_cases, "the case in Colombia's store") == [case_id]
        # The command applied the acknowledgement to the store itself; the service observes it all the same.
        assert sample("interdict_desk_time_to_acknowledge_seconds_count", desk="MX", severity=severity) == before + 1
        assert service.stores["PA"].cases.cases() == []
        service.update_gauges()
        assert sample("interdict_desk_cases", desk="CO", state="open") == 1
    finally:
        service.close()


def test_without_a_console_the_case_commands_say_how_to_start_one(settings: Settings) -> None:
    # the settings' console port is free (nothing serves it in this test), so nothing answers there
    listed = case("any-token", "list", "--country", "mx")
    assert listed.exit_code == EXIT_UNREACHABLE
    assert "interdict desk serve" in listed.output and str(settings.console_port) in listed.output
