"""`interdict desk list|show|ack|investigate|close|history` on the real broker and Redis.

Alerts are put on the desk topics as the notifier makes them; the commands authenticate with
tokens from the admin token store, write their actions to `actions.<cc>` and read the desk store.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
import redis
from typer.testing import CliRunner, Result

from services.admin.denied import DeniedLog
from services.admin.tokens import Role, TokenStore
from services.desk.cli import EXIT_NOT_ALLOWED, EXIT_NOT_FOUND, EXIT_REFUSED, desk_app
from services.shared.models import Alert
from services.shared.models.desk import DeskAlert
from services.shared.settings import PROJECT_ROOT, Settings, get_settings
from tests.support.alerts import Notifier, a_match, alerts, manifest
from tests.support.desk import actions_on, publish
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
def tokens(settings: Settings) -> dict[str, str]:
    store = TokenStore(redis.Redis.from_url(settings.redis_url), settings)
    return {
        "mx": store.create("ana.mx", Role.DESK, "MX"),
        "mx-reader": store.create("reader.mx", Role.READER, "MX"),
        "us": store.create("joe.us", Role.DESK, "US"),
    }


def desk(token: str | None, *arguments: str) -> Result:
    env = {"COLUMNS": "250", "INTERDICT_DESK_TOKEN": token or ""}
    return CliRunner().invoke(desk_app, list(arguments), env=env)


def views(result: Result) -> list[DeskAlert]:
    assert result.exit_code == 0, result.output
    return [DeskAlert.model_validate_json(line) for line in result.stdout.splitlines() if line.strip()]


async def two_desks(settings: Settings) -> tuple[Alert, Alert]:
    """An alert for Mexico (and the US, which owns the entry); and one for the US alone."""
    notifier = Notifier()
    shared = alerts(await notifier.batch(a_match("test:1", owner="US", on=manifest("M-1"))))
    us_only = alerts(await notifier.batch(a_match("test:2", owner="US", on=manifest("M-2", route=("BRSSZ",)))))
    publish(settings, *shared, *us_only)
    mexican = next(alert for alert in shared if alert.desk_country == "MX")
    american = next(alert for alert in us_only if alert.desk_country == "US")
    return mexican, american


async def test_ack_investigate_close_are_events_on_the_actions_topic_and_states_in_the_store(
    settings: Settings, tokens: dict[str, str]
) -> None:
    mexican, _ = await two_desks(settings)
    [listed] = views(desk(tokens["mx"], "list", "--country", "mx", "--json"))
    assert (listed.alert.alert_id, listed.status.state.value) == (mexican.alert_id, "new")

    for command in (["ack", "--note", "on it"], ["investigate"], ["close", "--outcome", "true-hit", "-n", "seized"]):
        result = desk(tokens["mx"], command[0], mexican.alert_id, "--country", "mx", *command[1:])
        assert result.exit_code == 0, result.output

    events = actions_on(settings, "MX")
    assert [(event.action.value, event.actor, event.alert_id) for event in events] == [
        ("acknowledge", "ana.mx", mexican.alert_id), ("investigate", "ana.mx", mexican.alert_id),
        ("close", "ana.mx", mexican.alert_id),
    ]
    assert events[0].note == "on it" and events[2].outcome is not None and events[2].outcome.value == "true_hit"
    shown = views(desk(tokens["mx"], "show", mexican.alert_id, "--country", "mx", "--json"))[0]
    assert (shown.status.state.value, shown.status.outcome, shown.status.changed_by) == (
        "closed", events[2].outcome, "ana.mx")
    history = desk(tokens["mx"], "history", mexican.alert_id, "--country", "mx", "--json")
    assert [orjson.loads(line)["effect"] for line in history.stdout.splitlines()] == ["applied"] * 3
    assert views(desk(tokens["mx"], "list", "--country", "mx", "--state", "closed", "--json"))[0].alert == mexican
    assert views(desk(tokens["mx"], "list", "--country", "mx", "--state", "open", "--json")) == []
    # closed is closed: a second closing is refused before anything is written
    again = desk(tokens["mx"], "close", mexican.alert_id, "--country", "mx", "--outcome", "not-actionable")
    assert again.exit_code == EXIT_NOT_ALLOWED
    assert len(actions_on(settings, "MX")) == 3


async def test_a_mexican_token_can_neither_read_nor_act_on_a_us_alert(
    settings: Settings, tokens: dict[str, str]
) -> None:
    _, american = await two_desks(settings)
    for arguments in (["ack", american.alert_id, "--country", "us"], ["list", "--country", "us"],
                      ["show", american.alert_id, "--country", "us"]):
        refused = desk(tokens["mx"], *arguments)
        assert refused.exit_code == EXIT_REFUSED, refused.output
        assert "desk MX, not desk US" in refused.output.replace("\n", " ")
    # on its own desk, the US alert is not there to act on
    assert desk(tokens["mx"], "ack", american.alert_id, "--country", "mx").exit_code == EXIT_NOT_FOUND
    assert actions_on(settings, "US") == [] and actions_on(settings, "MX") == []
    recorded = DeniedLog(redis.Redis.from_url(settings.redis_url), settings).recent(10)
    assert [(attempt.token, attempt.reason, attempt.path) for attempt in recorded][:1] == [
        ("ana.mx", "other-desk", "desk ack --country US")
    ]
    # the US desk's own officer may
    assert desk(tokens["us"], "ack", american.alert_id, "--country", "us").exit_code == 0


async def test_acting_needs_a_desk_token_and_reading_any_token_of_the_country(
    settings: Settings, tokens: dict[str, str]
) -> None:
    mexican, _ = await two_desks(settings)
    assert desk(None, "list", "--country", "mx").exit_code == EXIT_REFUSED
    assert desk("not-a-token", "list", "--country", "mx").exit_code == EXIT_REFUSED
    assert len(views(desk(tokens["mx-reader"], "list", "--country", "mx", "--json"))) == 1
    reader = desk(tokens["mx-reader"], "ack", mexican.alert_id, "--country", "mx")
    assert reader.exit_code == EXIT_REFUSED and actions_on(settings, "MX") == []


async def test_a_false_positive_marks_the_same_party_on_a_later_alert(
    settings: Settings, tokens: dict[str, str]
) -> None:
    mexican, _ = await two_desks(settings)
    closed = desk(tokens["mx"], "close", mexican.alert_id, "--country", "mx", "--outcome", "false-positive")
    assert closed.exit_code == 0, closed.output
    [later] = alerts(await Notifier().batch(a_match("test:1", owner="US", on=manifest("M-9", bill="B9"))), "MX")
    publish(settings, later)
    shown = views(desk(tokens["mx"], "show", later.alert_id, "--country", "mx", "--json"))[0]
    [remembered] = shown.previously_dismissed["test:1"]
    assert (remembered.actor, remembered.alert_id, remembered.party) == ("ana.mx", mexican.alert_id, "John Doe")
    assert shown.status.state.value == "new"  # marked, not suppressed
    table = desk(tokens["mx"], "list", "--country", "mx", "--state", "new")
    assert "descartada antes" in table.output  # Mexico's desk reads Spanish


async def test_the_store_is_rebuilt_from_the_topics_after_its_file_is_deleted(
    settings: Settings, tokens: dict[str, str]
) -> None:
    mexican, _ = await two_desks(settings)
    assert desk(tokens["mx"], "ack", mexican.alert_id, "--country", "mx").exit_code == 0
    before = views(desk(tokens["mx"], "show", mexican.alert_id, "--country", "mx", "--json"))
    path: Path = settings.desk_store_path("MX")
    for file in path.parent.glob(f"{path.name}*"):
        file.unlink()
    assert desk(tokens["mx"], "show", mexican.alert_id, "--country", "mx", "--json", "--no-sync").exit_code == (
        EXIT_NOT_FOUND
    )  # the empty new file, not caught up
    assert views(desk(tokens["mx"], "show", mexican.alert_id, "--country", "mx", "--json")) == before


# -- desk watch -----------------------------------------------------------------------------------------------


async def desk_twice(settings: Settings) -> tuple[Alert, Alert, Alert]:
    """Mexico's desk after `make run` twice: versions 1 and 2 of an alert, a critical one, then all again."""
    notifier = Notifier()
    [first] = alerts(await notifier.batch(a_match("test:1", on=manifest("M-1"))), "MX")
    [second] = alerts(await notifier.batch(a_match("test:2", name="ROE, Jane", on=manifest("M-1"))), "MX")
    [critical] = alerts(await notifier.batch(a_match("test:3", on=manifest("M-2", bill="B2"), score=0.99,
                                                     method="identifier:imo")), "MX")
    publish(settings, first, second, critical, first, second, critical)
    return first, second, critical


async def test_watch_replays_each_alert_once_with_the_list_filters(settings: Settings, tokens: dict[str, str]) -> None:
    first, second, critical = await desk_twice(settings)
    replay = desk(tokens["mx"], "watch", "--country", "mx", "--json", "--no-follow")
    assert replay.exit_code == 0, replay.output
    shown = sorted((alert["alert_id"], alert["version"]) for alert in map(orjson.loads, replay.stdout.splitlines()))
    assert shown == sorted([(second.alert_id, 2), (critical.alert_id, 1)])
    # the reported `--severity critical` → "No such option"
    critical_only = desk(tokens["mx"], "watch", "--country", "mx", "--severity", "critical", "--json", "--no-follow")
    assert [orjson.loads(line)["alert_id"] for line in critical_only.stdout.splitlines()] == [critical.alert_id]
    readable = desk(tokens["mx"], "watch", "--country", "mx", "--no-follow")
    assert readable.exit_code == 0 and readable.output.count(f"{first.alert_id} versión 2") == 1
    assert desk(tokens["us"], "watch", "--country", "mx", "--no-follow").exit_code == EXIT_REFUSED


async def test_watch_following_shows_a_new_alert_and_not_a_replayed_one(
    settings: Settings, tokens: dict[str, str]
) -> None:
    first, second, critical = await desk_twice(settings)
    env = {**os.environ, **settings.as_environment(), "INTERDICT_DESK_TOKEN": tokens["mx"]}
    command = [sys.executable, "-m", "services", "desk", "watch", "--country", "mx", "--json", "--max-alerts", "3"]
    watcher = subprocess.Popen(command, stdout=subprocess.PIPE, env=env, cwd=PROJECT_ROOT, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(watcher.stdout or []), daemon=True)
    reader.start()
    try:
        wait_for(lambda: len(lines) >= 2, "the watcher to show the two alerts as they stand", timeout_s=60)
        [later] = alerts(await Notifier().batch(a_match("test:4", on=manifest("M-3", bill="B3"))), "MX")
        # the replayed version first, on the same partition as the new alert: read before it
        publish(settings, first, later, key=later.alert_id)
        assert watcher.wait(timeout=60) == 0
    finally:
        if watcher.poll() is None:
            watcher.kill()
    reader.join(timeout=10)
    shown = [(orjson.loads(line)["alert_id"], orjson.loads(line)["version"]) for line in lines]
    assert sorted(shown[:2]) == sorted([(second.alert_id, 2), (critical.alert_id, 1)])
    assert shown[2:] == [(later.alert_id, 1)]
