import uuid
from collections.abc import Iterator

import pytest
import redis
from typer.testing import CliRunner

from services.admin.tokens import Role
from services.shared.models import EntityKind, EntryName, WatchlistEntry
from services.shared.models.watchlist import Sharing, SharingScope
from services.shared.settings import Settings, get_settings
from services.watchlist.cli import changed_fields, entry_changes, watchlist_app
from services.watchlist.writer import WatchlistWriter
from tests.support.tokens import create_token

pytestmark = pytest.mark.integration


def person(number: int, name: str, dob: list[str] | None = None) -> WatchlistEntry:
    return WatchlistEntry(
        entry_id=f"mx-uif:{number}",
        list_id="mx-uif",
        kind=EntityKind.PERSON,
        names=[EntryName(name=name)],
        dates_of_birth=dob or [],
        owner_country="MX",
    )


@pytest.fixture
def settings(stack_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """A key prefix of the test's own, which the commands pick up from the environment."""
    settings = stack_settings.model_copy(update={"redis_key_prefix": f"test-diff-{uuid.uuid4().hex[:8]}"})
    monkeypatch.setenv("INTERDICT_REDIS_KEY_PREFIX", settings.redis_key_prefix)
    get_settings.cache_clear()
    yield settings
    get_settings.cache_clear()


@pytest.fixture
def store(settings: Settings) -> Iterator[WatchlistWriter]:
    client = redis.Redis.from_url(settings.redis_url)
    yield WatchlistWriter(client, settings.redis_key_prefix)
    for key in client.scan_iter(match=f"{settings.redis_key_prefix}*"):
        client.delete(key)


def test_diff_between_versions_names_each_entry_and_field(store: WatchlistWriter) -> None:
    store.import_list("mx-uif", [person(1, "Ana Lopez"), person(2, "Luis Rey")], owner_country="MX", actor="a")
    store.import_list("mx-uif", [person(1, "Ana Lopez", ["1970"]), person(3, "Eva Paz")], owner_country="MX", actor="a")
    store.add(person(4, "Raul Sol"), actor="b")

    changes = entry_changes(store.history(list_id="mx-uif"), 1, 2)
    assert {entry_id: (before is None, after is None) for entry_id, (before, after) in changes.items()} == {
        "mx-uif:1": (False, False),
        "mx-uif:2": (False, True),
        "mx-uif:3": (True, False),
    }
    assert changed_fields(*changes["mx-uif:1"]) == ["dates_of_birth"]
    assert set(entry_changes(store.history(list_id="mx-uif"), 1, 3)) == {"mx-uif:1", "mx-uif:2", "mx-uif:3", "mx-uif:4"}


def test_diff_command_prints_the_changes(
    store: WatchlistWriter, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.import_list("mx-uif", [person(1, "Ana Lopez")], owner_country="MX", actor="a")
    store.import_list("mx-uif", [person(1, "Ana Lopez", ["1970"])], owner_country="MX", actor="a")
    monkeypatch.setattr("services.watchlist.cli._writer", lambda: store)
    token = create_token(settings, "eva.mx", Role.READER, "MX")
    result = CliRunner().invoke(watchlist_app, ["diff", "mx-uif", "--token", token], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "mx-uif:1" in result.output and "changed" in result.output and "dates_of_birth" in result.output


def test_the_commands_show_only_what_is_shared_with_the_tokens_country(
    store: WatchlistWriter, settings: Settings
) -> None:
    owner_only = {"sharing": Sharing(scope=SharingScope.OWNER_ONLY)}
    store.import_list("mx-uif", [person(1, "Ana Lopez")], owner_country="MX", actor="a")
    store.import_list(
        "mx-uif", [person(1, "Ana Lopez", ["1970"]), person(2, "Luis Rey").model_copy(update=owner_only)],
        owner_country="MX", actor="a",
    )  # fmt: skip
    us, mx = (create_token(settings, f"reader.{c}", Role.READER, c.upper()) for c in ("us", "mx"))

    def run(*arguments: str) -> tuple[int, str]:
        result = CliRunner().invoke(watchlist_app, list(arguments), env={"COLUMNS": "200"})
        return result.exit_code, result.output

    code, output = run("show", "mx-uif:2", "--token", us)
    assert code == 2 and "not shared with US" in output and "LUIS" not in output.upper()
    assert run("show", "mx-uif:2", "--token", mx)[0] == 0
    assert "mx-uif:2" not in run("diff", "mx-uif", "--token", us)[1]
    assert "mx-uif:2" in run("diff", "mx-uif", "--token", mx)[1]
    assert "mx-uif:2" not in run("history", "--list", "mx-uif", "--token", us)[1]
    assert "mx-uif:2" in run("history", "--list", "mx-uif", "--token", mx)[1]
    assert run("list")[0] == 2  # no token: refused
