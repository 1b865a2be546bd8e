"""`interdict watchlist create` and adding to a list that does not exist, against the real Redis."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from typer.testing import CliRunner

from services.shared.models.watchlist import Sharing, SharingScope
from services.shared.settings import Settings, get_settings
from services.watchlist.cli import EXIT_REJECTED, watchlist_app
from services.watchlist.errors import ListExists, ListNotFound, WatchlistError
from services.watchlist.writer import WatchlistWriter
from tests.support.tokens import administrators

pytestmark = pytest.mark.integration
#: This test's administrators' tokens (INTERDICT_TOKEN is ana's, of CO), made by the store fixture.
TOKENS: dict[str, str] = {}


@pytest.fixture
def store(stack_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[WatchlistWriter]:
    """The real Redis under a key prefix of this test's own, which the CLI picks up from the environment."""
    prefix = f"test-{uuid.uuid4().hex}"
    monkeypatch.setenv("INTERDICT_REDIS_KEY_PREFIX", prefix)
    get_settings.cache_clear()
    settings = stack_settings.model_copy(update={"redis_key_prefix": prefix})
    store = WatchlistWriter(redis.Redis.from_url(settings.redis_url), settings.redis_key_prefix)
    TOKENS.update(administrators(settings, monkeypatch))
    yield store
    store.delete_everything()
    get_settings.cache_clear()


def invoke(*arguments: str) -> tuple[int, str]:
    result = CliRunner().invoke(watchlist_app, list(arguments))
    return result.exit_code, result.output


def entry_file(tmp_path: Path, list_id: str, sharing: dict[str, object]) -> Path:
    file = tmp_path / "entry.json"
    entry = {
        "entry_id": f"{list_id}:1", "list_id": list_id, "kind": "person", "names": [{"name": "JUAN PEREZ"}],
        "owner_country": "CO", "sharing": sharing,
    }
    file.write_text(json.dumps(entry))
    return file


def test_create_then_add(store: WatchlistWriter, tmp_path: Path) -> None:
    code, output = invoke("create", "co-dijin", "--owner", "co", "--share", "countries:MX,PA", "--title", "DIJIN",
                          "--token", TOKENS["ana"])
    assert code == 0, output
    assert "created co-dijin (owner CO, sharing countries:MX,PA); list version 1" in output
    info = store.info("co-dijin")
    assert (info.owner_country, info.sharing.countries, info.title) == ("CO", ["MX", "PA"], "DIJIN")
    assert (info.version, info.entry_count, info.enabled) == (1, 0, True)

    code, output = invoke("add", str(entry_file(tmp_path, "co-dijin", {"scope": "owner"})), "--token", TOKENS["ana"])
    assert code == 0 and "list version 2" in output, output
    assert store.info("co-dijin").entry_count == 1
    assert [record.operation for record in store.history(list_id="co-dijin")] == ["create", "add"]


def test_create_is_audited(store: WatchlistWriter) -> None:
    assert invoke("create", "mx-uif", "--owner", "MX", "--share", "owner", "--token", TOKENS["luis"])[0] == 0
    [record] = store.history(actor="luis")
    assert (record.operation, record.list_id, record.version, record.entry_id) == ("create", "mx-uif", 1, None)
    assert record.details == {"owner_country": "MX", "sharing": {"scope": "owner", "countries": []}}


def test_create_refuses_an_existing_list(store: WatchlistWriter) -> None:
    assert invoke("create", "co-dijin", "--owner", "CO", "--share", "all")[0] == 0
    code, output = invoke("create", "co-dijin", "--owner", "MX", "--share", "owner", "--token", TOKENS["luis"])
    assert code == EXIT_REJECTED and "watchlist 'co-dijin' already exists" in output
    assert store.info("co-dijin").owner_country == "CO"


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        (["co:dijin", "--owner", "CO", "--share", "all"], "list id 'co:dijin'"),
        (["co-dijin", "--owner", "XX", "--share", "all"], "not a partner country"),
        (["co-dijin", "--owner", "CO", "--share", "friends"], "expected all, owner or countries"),
        (["co-dijin", "--owner", "CO"], "--share"),
    ],
)
def test_create_explains_what_is_wrong(store: WatchlistWriter, arguments: list[str], problem: str) -> None:
    code, output = invoke("create", *arguments)
    assert code != 0 and problem in output
    assert store.lists() == []


def test_adding_to_a_missing_list_says_how_to_create_it(store: WatchlistWriter, tmp_path: Path) -> None:
    file = entry_file(tmp_path, "co-new", {"scope": "countries", "countries": ["MX", "US"]})
    code, output = invoke("add", str(file))
    assert code == EXIT_REJECTED
    assert "refused: no watchlist 'co-new'" in output
    assert "interdict watchlist create co-new --owner CO --share countries:MX,US" in output
    assert "Traceback" not in output
    assert store.lists() == []

    # The command it offers works, and then the add does.
    assert invoke("create", "co-new", "--owner", "CO", "--share", "countries:MX,US")[0] == 0
    assert invoke("add", str(file))[0] == 0
    assert store.get("co-new:1").sharing.countries == ["MX", "US"]


def test_other_commands_on_a_missing_list_point_to_the_lists(store: WatchlistWriter) -> None:
    code, output = invoke("disable", "nope")
    assert code == EXIT_REJECTED
    assert "refused: no watchlist 'nope'" in output and "interdict watchlist list" in output


def test_store_create_list(store: WatchlistWriter) -> None:
    sharing = Sharing(scope=SharingScope.NAMED_COUNTRIES, countries=["PA"])
    assert store.create_list("gt-sat", owner_country="gt", sharing=sharing, actor="t") == 1
    assert store.info("gt-sat").sharing == sharing and store.info("gt-sat").owner_country == "GT"
    with pytest.raises(ListExists):
        store.create_list("gt-sat", owner_country="GT", actor="t")
    with pytest.raises(WatchlistError, match="list id"):
        store.create_list("gt sat", owner_country="GT", actor="t")
    with pytest.raises(ListNotFound) as missing:
        store.info("gt-other")
    assert missing.value.list_id == "gt-other"
    # An empty list is in no matcher's way: snapshots list its version, with no entries.
    snapshot = store.snapshot()
    assert snapshot.versions == {"gt-sat": 1} and snapshot.entries == []
