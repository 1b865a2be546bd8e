"""`interdict screen`'s cached engine against the real local Redis: a change shows on the next call."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
import redis
import typer
from typer.testing import CliRunner

from services.admin.denied import DeniedLog
from services.admin.tokens import Role
from services.matcher import screen as screen_module
from services.shared.models.common import EntityKind
from services.shared.models.watchlist import EntryName, Sharing, WatchlistEntry
from services.shared.settings import Settings
from services.watchlist.writer import WatchlistWriter
from tests.support.tokens import create_token

pytestmark = pytest.mark.integration

ACTOR = "test:screen-cache"


def entry(number: int, name: str, **changes: object) -> WatchlistEntry:
    fields: dict[str, object] = {
        "entry_id": f"cache:{number}",
        "list_id": "cache",
        "kind": EntityKind.ORGANIZATION,
        "names": [EntryName(name=name)],
        "owner_country": "PA",
    }
    fields.update(changes)
    return WatchlistEntry.model_validate(fields)


@pytest.fixture
def settings(stack_settings: Settings, tmp_path: Path) -> Settings:
    return stack_settings.model_copy(
        update={"redis_key_prefix": f"test-{uuid.uuid4().hex[:10]}", "state_dir": tmp_path / "state"}
    )


@pytest.fixture
def store(settings: Settings) -> Iterator[WatchlistWriter]:
    client = redis.Redis.from_url(settings.redis_url)
    store = WatchlistWriter(client, settings.redis_key_prefix)
    listed = [entry(1, "INVERSIONES EL DORADO S.A."), entry(2, "TRANSPORTES DEL GOLFO LTDA")]
    store.import_list("cache", listed, owner_country="PA", actor=ACTOR)
    yield store
    store.delete_everything()
    client.close()


Screen = Callable[..., tuple[str, list[str]]]


@pytest.fixture
def screen(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Screen:
    """`interdict screen --name NAME --json --verbose [OPTIONS]`: the cache line and the ids matched."""
    monkeypatch.setattr(screen_module, "get_settings", lambda: settings)
    monkeypatch.setenv("INTERDICT_TOKEN", create_token(settings, "eva.pa", Role.READER, "PA"))
    application = typer.Typer()
    application.command()(screen_module.screen)
    runner = CliRunner()

    def run(name: str, *options: str) -> tuple[str, list[str]]:
        result = runner.invoke(application, ["--name", name, "--json", "--verbose", *options])
        assert result.exit_code == 0, result.output
        return result.stderr, [match["entry_id"] for match in orjson.loads(result.stdout)["matches"]]

    return run


def test_a_change_between_two_calls_shows_on_the_second(store: WatchlistWriter, screen: Screen) -> None:
    cache, found = screen("Naviera Coral del Istmo")
    assert cache.startswith("cache: miss: no cache yet;") and found == []

    cache, found = screen("Naviera Coral del Istmo")
    assert cache.startswith("cache: hit: watchlists unchanged; 2 entries") and found == []

    store.add(entry(3, "NAVIERA CORAL DEL ISTMO S.A."), actor=ACTOR)
    cache, found = screen("Naviera Coral del Istmo")
    assert cache.startswith("cache: miss: the watchlists changed;") and found == ["cache:3"]

    cache, found = screen("Naviera Coral del Istmo")
    assert cache.startswith("cache: hit: watchlists unchanged; 3 entries") and found == ["cache:3"]

    cache, found = screen("Naviera Coral del Istmo", "--no-cache")
    assert cache.startswith("cache: miss: --no-cache;") and found == ["cache:3"]


def test_updates_removals_and_disabled_lists_show_on_the_next_call(store: WatchlistWriter, screen: Screen) -> None:
    assert screen("Transportes del Golfo")[1] == ["cache:2"]

    store.update(entry(2, "TRANSPORTES DEL CARIBE LTDA"), actor=ACTOR)
    assert screen("Transportes del Golfo")[1] == []
    cache, found = screen("Transportes del Caribe")
    assert cache.startswith("cache: hit:") and found == ["cache:2"]

    store.disable_list("cache", actor=ACTOR)
    cache, found = screen("Transportes del Caribe")
    assert cache.startswith("cache: miss: the watchlists changed; 0 entries") and found == []

    store.enable_list("cache", actor=ACTOR)
    assert screen("Transportes del Caribe")[1] == ["cache:2"]
    store.remove("cache:2", actor=ACTOR)
    cache, found = screen("Transportes del Caribe")
    assert cache.startswith("cache: miss: the watchlists changed; 1 entries") and found == []

    # Importing the same content again changes nothing (same version, no event): the cache stays good.
    store.import_list("cache", store.entries("cache"), owner_country="PA", actor=ACTOR)
    cache, found = screen("Inversiones El Dorado")
    assert cache.startswith("cache: hit:") and found == ["cache:1"]


def test_an_entry_whose_expiry_passes_leaves_the_next_call(store: WatchlistWriter, screen: Screen) -> None:
    assert screen("Inversiones El Dorado")[1] == ["cache:1"]
    expires_at = datetime.now(UTC) + timedelta(seconds=2)
    store.expire("cache:1", expires_at, actor=ACTOR)
    cache, found = screen("Inversiones El Dorado")
    assert cache.startswith("cache: miss: the watchlists changed;") and found == ["cache:1"]
    cache, found = screen("Inversiones El Dorado")
    assert cache.startswith("cache: hit:") and found == ["cache:1"]

    # The expiry passes with no write at all (no version, no feed event until a sweep), yet the
    # entry must be gone from the next call.
    time.sleep(max(0.0, (expires_at - datetime.now(UTC)).total_seconds()) + 0.1)
    cache, found = screen("Inversiones El Dorado")
    assert cache.startswith("cache: miss: a cached entry has expired since;") and found == []


def test_a_desk_token_is_shown_only_what_the_entries_share_with_its_country(
    store: WatchlistWriter, screen: Screen, settings: Settings
) -> None:
    store.create_list("pa-only", owner_country="PA", sharing=Sharing.model_validate(
        {"scope": "countries", "countries": ["MX"]}), actor=ACTOR)  # fmt: skip
    withheld = entry(3, "NAVIERA CORAL DEL ISTMO S.A.").model_copy(
        update={"list_id": "pa-only", "entry_id": "pa-only:3",
                "sharing": Sharing.model_validate({"scope": "countries", "countries": ["MX"]})}
    )  # fmt: skip
    store.add(withheld, actor=ACTOR)
    us_desk = create_token(settings, "amy.us", Role.DESK, "US")
    mx_desk = create_token(settings, "luz.mx", Role.DESK, "MX")
    assert screen("Naviera Coral del Istmo", "--token", us_desk)[1] == []
    assert screen("Naviera Coral del Istmo", "--token", mx_desk)[1] == ["pa-only:3"]
    assert screen("Naviera Coral del Istmo")[1] == ["pa-only:3"]  # Panama's own


def test_screening_with_an_unknown_token_is_refused_and_recorded(settings: Settings, store: WatchlistWriter) -> None:
    application = typer.Typer()
    application.command()(screen_module.screen)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(screen_module, "get_settings", lambda: settings)
        result = CliRunner().invoke(application, ["--name", "Inversiones El Dorado", "--token", "not-a-token"])
    assert result.exit_code == screen_module.EXIT_REFUSED
    assert "INVERSIONES" not in result.stdout
    [attempt] = DeniedLog(redis.Redis.from_url(settings.redis_url), settings).recent(5)
    assert (attempt.reason, attempt.path, attempt.status) == ("invalid-token", "screen", 401)
