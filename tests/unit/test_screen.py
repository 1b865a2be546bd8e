"""`interdict screen`: query files, JSON output, bad lines (the engine is loaded from a stub store)."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
import typer
from typer.testing import CliRunner

from services.matcher import screen as screen_module
from services.shared.models.common import EntityKind
from services.shared.models.watchlist import EntryName, WatchlistEntry

ENTRIES = [
    WatchlistEntry(entry_id="test:1", list_id="test", kind=EntityKind.PERSON, owner_country="CO",
                   names=[EntryName(name="ABREGO GARCIA, Juan Carlos")], source_ids={"ent_num": "1"},
                   dates_of_birth=["1962-04-12"]),
    WatchlistEntry(entry_id="test:2", list_id="test", kind=EntityKind.ORGANIZATION, owner_country="MX",
                   names=[EntryName(name="INVERSIONES EL DORADO S.A. DE C.V.")]),
]


@pytest.fixture()
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setattr(screen_module, "load_entries", lambda settings: ENTRIES)
    return CliRunner()


def app() -> typer.Typer:
    application = typer.Typer()
    application.command()(screen_module.screen)
    return application


def test_one_name_as_json(runner: CliRunner) -> None:
    result = runner.invoke(app(), ["--name", "Juan Abrego Garcia", "--kind", "person", "--dob", "1962-04-12", "--json"])
    assert result.exit_code == 0, result.output
    document = orjson.loads(result.output)
    match = document["matches"][0]
    assert match["entry_id"] == "test:1" and match["list_id"] == "test" and match["source_ids"] == {"ent_num": "1"}
    assert match["names"] == ["ABREGO GARCIA, Juan Carlos"] and 0.8 <= match["score"] < 1.0
    assert "1962-04-12" in match["explanation"] and match["evidence"]


def test_file_gives_one_result_per_line_in_order(runner: CliRunner, tmp_path: Path) -> None:
    queries = tmp_path / "queries.jsonl"
    queries.write_text(
        '{"name": "Nobody Listed Here"}\n'
        '{"name": "Inversiones El Dorado SA de CV", "country": "MX"}\n'
        '\n'
        '{"identifiers": [{"scheme": "imo", "value": "9134271"}]}\n'
    )
    result = runner.invoke(app(), ["--file", str(queries), "--json"])
    assert result.exit_code == 0, result.output
    documents = [orjson.loads(line) for line in result.output.splitlines()]
    assert [len(document["matches"]) for document in documents] == [0, 1, 0]
    assert documents[1]["matches"][0]["entry_id"] == "test:2"
    assert "check digit" in documents[2]["identifier_problems"][0]


def test_a_bad_line_is_rejected_with_its_number(runner: CliRunner, tmp_path: Path) -> None:
    queries = tmp_path / "queries.jsonl"
    queries.write_text('{"name": "Juan Abrego"}\n{"name": "x", "colour": "red"}\n')
    result = runner.invoke(app(), ["--file", str(queries), "--json"])
    assert result.exit_code == 2 and "matches" not in result.output
    with pytest.raises(screen_module.QueryLineError, match=r"queries\.jsonl:2: unknown field\(s\): colour"):
        list(screen_module.read_queries(queries))


def test_name_or_file_is_required(runner: CliRunner) -> None:
    assert runner.invoke(app(), ["--json"]).exit_code != 0


def test_table_output_names_the_entry(runner: CliRunner) -> None:
    result = runner.invoke(app(), ["--name", "Juan Carlos Abrego Garcia"])
    assert result.exit_code == 0, result.output
    assert "test:1" in result.output
