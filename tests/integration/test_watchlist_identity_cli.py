"""`interdict watchlist` changes act for the holder of a token: an administrator of the country
owning the list, named in the audit trail; anybody else is refused, and the refusal recorded."""

from __future__ import annotations

import getpass
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from typer.testing import CliRunner

from services.admin.denied import DeniedLog
from services.admin.tokens import Role
from services.shared.settings import Settings, get_settings
from services.watchlist.cli import EXIT_REJECTED, watchlist_app
from services.watchlist.writer import WatchlistWriter
from tests.support.tokens import create_token

pytestmark = pytest.mark.integration


@pytest.fixture
def settings(stack_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    prefix = f"test-{uuid.uuid4().hex}"
    monkeypatch.setenv("INTERDICT_REDIS_KEY_PREFIX", prefix)
    monkeypatch.delenv("INTERDICT_TOKEN", raising=False)
    monkeypatch.delenv("INTERDICT_DESK_TOKEN", raising=False)
    get_settings.cache_clear()
    settings = stack_settings.model_copy(update={"redis_key_prefix": prefix})
    yield settings
    WatchlistWriter(redis.Redis.from_url(settings.redis_url), prefix).delete_everything()
    get_settings.cache_clear()


@pytest.fixture
def store(settings: Settings) -> WatchlistWriter:
    store = WatchlistWriter(redis.Redis.from_url(settings.redis_url), settings.redis_key_prefix)
    store.create_list("co-dijin", owner_country="CO", actor="setup")
    return store


def invoke(*arguments: str) -> tuple[int, str]:
    result = CliRunner().invoke(watchlist_app, list(arguments))
    return result.exit_code, result.output


def entry_file(tmp_path: Path) -> Path:
    file = tmp_path / "entry.json"
    entry = {"entry_id": "co-dijin:1", "list_id": "co-dijin", "kind": "person", "names": [{"name": "JUAN PEREZ"}],
             "owner_country": "CO"}  # fmt: skip
    file.write_text(json.dumps(entry))
    return file


def denied(settings: Settings) -> list[tuple[str, str, str]]:
    attempts = DeniedLog(redis.Redis.from_url(settings.redis_url), settings).recent(10)
    return [(attempt.token, attempt.reason, attempt.path) for attempt in attempts]


def test_a_change_is_audited_as_the_tokens_holder(settings: Settings, store: WatchlistWriter, tmp_path: Path) -> None:
    token = create_token(settings, "ana.co", Role.ADMIN, "CO")
    code, output = invoke("add", str(entry_file(tmp_path)), "--token", token)
    assert code == 0, output
    [record] = store.history(entry_id="co-dijin:1")
    assert record.actor == "ana.co" != getpass.getuser()


def test_without_a_token_nothing_changes_and_the_refusal_is_recorded(
    settings: Settings, store: WatchlistWriter, tmp_path: Path
) -> None:
    code, output = invoke("add", str(entry_file(tmp_path)))
    assert code == EXIT_REJECTED and "refused" in output and "INTERDICT_TOKEN" in output
    assert store.info("co-dijin").entry_count == 0
    assert denied(settings) == [("", "missing-token", "watchlist add")]


def test_a_reader_and_another_countrys_administrator_are_refused(
    settings: Settings, store: WatchlistWriter, tmp_path: Path
) -> None:
    reader = create_token(settings, "eva.co", Role.READER, "CO")
    mexican_admin = create_token(settings, "luis.mx", Role.ADMIN, "MX")
    assert invoke("add", str(entry_file(tmp_path)), "--token", reader)[0] == EXIT_REJECTED
    code, output = invoke("disable", "co-dijin", "--token", mexican_admin)
    assert code == EXIT_REJECTED and "owned by CO, not MX" in output
    assert store.info("co-dijin").enabled and store.info("co-dijin").entry_count == 0
    assert denied(settings) == [("eva.co", "read-only", "watchlist add"), ("luis.mx", "not-owner", "watchlist disable")]


def test_an_import_for_another_country_is_refused(settings: Settings, store: WatchlistWriter, tmp_path: Path) -> None:
    file = tmp_path / "mx.jsonl"
    file.write_text('{"entry_id": "mx:1", "kind": "person", "names": [{"name": "JUAN PEREZ"}]}\n')
    token = create_token(settings, "ana.co", Role.ADMIN, "CO")
    code, output = invoke("import", "jsonl", str(file), "--list-id", "mx", "--owner", "MX", "--token", token)
    assert code == EXIT_REJECTED and "owned by MX, not CO" in output
    assert [info.list_id for info in store.lists()] == ["co-dijin"]
