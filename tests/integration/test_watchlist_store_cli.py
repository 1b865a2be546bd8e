"""`interdict watchlist ...` commands against the dev Redis."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from typer.testing import CliRunner

from services.shared.settings import Settings, get_settings
from services.watchlist.cli import watchlist_app
from services.watchlist.writer import WatchlistWriter
from tests.support.tokens import administrators

pytestmark = pytest.mark.integration


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> Iterator[WatchlistWriter]:
    prefix = f"test-{uuid.uuid4().hex}"
    monkeypatch.setenv("INTERDICT_REDIS_KEY_PREFIX", prefix)
    get_settings.cache_clear()
    settings = Settings()
    store = WatchlistWriter(redis.Redis.from_url(settings.redis_url), settings.redis_key_prefix)
    administrators(settings, monkeypatch)  # ana, of CO, runs the commands
    yield store
    store.delete_everything()
    get_settings.cache_clear()


def test_jsonl_import_edit_and_history(store: WatchlistWriter, tmp_path: Path) -> None:
    runner = CliRunner()
    good = tmp_path / "co.jsonl"
    good.write_text('{"entry_id": "co:1", "kind": "person", "names": [{"name": "JUAN PEREZ"}]}\n')
    result = runner.invoke(
        watchlist_app,
        [
            "import",
            "jsonl",
            str(good),
            "--list-id",
            "co",
            "--owner",
            "co",
            "--share",
            "countries:MX,US",
        ],
    )
    assert result.exit_code == 0, result.output
    entry = store.get("co:1")
    assert entry.owner_country == "CO" and entry.sharing.countries == ["MX", "US"]

    again = runner.invoke(
        watchlist_app, ["import", "jsonl", str(good), "--list-id", "co", "--owner", "CO", "--share", "countries:MX,US"]
    )
    assert again.exit_code == 0 and "unchanged at version 1" in again.output

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"entry_id": "co:2", "kind": "person", "names": []}\n\n{oops\n')
    rejected = runner.invoke(watchlist_app, ["import", "jsonl", str(bad), "--list-id", "co", "--owner", "CO"])
    assert rejected.exit_code == 2
    assert "bad.jsonl:1: names" in rejected.output and "bad.jsonl:3: not JSON" in rejected.output
    assert store.info("co").version == 1

    assert runner.invoke(watchlist_app, ["remove", "co:1"]).exit_code == 0
    assert runner.invoke(watchlist_app, ["remove", "co:1"]).exit_code == 2
    assert [record.operation for record in store.history(actor="ana")] == ["import", "import:add", "remove"]


def test_share_option_is_checked(store: WatchlistWriter, tmp_path: Path) -> None:
    file = tmp_path / "x.jsonl"
    file.write_text("")
    result = CliRunner().invoke(
        watchlist_app, ["import", "jsonl", str(file), "--list-id", "x", "--owner", "CO", "--share", "friends"]
    )
    assert result.exit_code != 0 and store.lists() == []


def test_share_countries_with_no_code_is_refused(store: WatchlistWriter, tmp_path: Path) -> None:
    # The admin API's ?share= refuses it with the same words (test_admin_api.py).
    file = tmp_path / "co.jsonl"
    file.write_text('{"entry_id": "co:1", "kind": "person", "names": [{"name": "JUAN PEREZ"}]}\n')
    result = CliRunner().invoke(
        watchlist_app,
        ["import", "jsonl", str(file), "--list-id", "co", "--owner", "CO", "--share", "countries:"],
        env={"COLUMNS": "200"},  # the error's box would wrap the message at 80
    )
    assert result.exit_code == 2
    assert "countries:CC,CC needs at least one country code; got 'countries:'" in result.output
    assert store.lists() == []
