"""`interdict screen`: query files, JSON output, bad lines, and the cached engine (from a stub store)."""

from __future__ import annotations

import os
import pickle
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
import typer
from typer.testing import CliRunner

from services.matcher import screen as screen_module
from services.matcher import snapshot_cache
from services.matcher.engine import MatchingEngine, ScreeningQuery
from services.matcher.snapshot_cache import load_engine
from services.shared.models.common import EntityKind
from services.shared.models.watchlist import EntryName, WatchlistEntry
from services.shared.settings import Settings
from services.watchlist.events import StorePosition, WatchlistSnapshot

ENTRIES = [
    WatchlistEntry(
        entry_id="test:1",
        list_id="test",
        kind=EntityKind.PERSON,
        owner_country="CO",
        names=[EntryName(name="ABREGO GARCIA, Juan Carlos")],
        source_ids={"ent_num": "1"},
        dates_of_birth=["1962-04-12"],
    ),
    WatchlistEntry(
        entry_id="test:2",
        list_id="test",
        kind=EntityKind.ORGANIZATION,
        owner_country="MX",
        names=[EntryName(name="INVERSIONES EL DORADO S.A. DE C.V.")],
    ),
]
NEW_ENTRY = WatchlistEntry(
    entry_id="test:3",
    list_id="test",
    kind=EntityKind.ORGANIZATION,
    owner_country="PA",
    names=[EntryName(name="NAVIERA CORAL DEL ISTMO S.A.")],
)


class StubSource:
    """The store as the cache sees it; `snapshots` counts the full reads."""

    def __init__(self, entries: list[WatchlistEntry]) -> None:
        self.entries = list(entries)
        self.version = 1
        self.snapshots = 0

    def change(self, entries: list[WatchlistEntry]) -> None:
        self.entries = list(entries)
        self.version += 1

    def position(self) -> StorePosition:
        return StorePosition(versions={"test": self.version}, cursor=f"{self.version}-0")

    def snapshot(self) -> WatchlistSnapshot:
        self.snapshots += 1
        return WatchlistSnapshot(entries=self.entries, versions={"test": self.version}, cursor=f"{self.version}-0")


@pytest.fixture()
def settings(tmp_path: Path) -> Settings:
    return Settings(state_dir=tmp_path / "state")


@pytest.fixture()
def source() -> StubSource:
    return StubSource(ENTRIES)


@pytest.fixture()
def runner(monkeypatch: pytest.MonkeyPatch, settings: Settings, source: StubSource) -> CliRunner:
    monkeypatch.setattr(screen_module, "get_settings", lambda: settings)
    monkeypatch.setattr(screen_module, "watchlist_source", lambda _settings: source)
    return CliRunner()


def app() -> typer.Typer:
    application = typer.Typer()
    application.command()(screen_module.screen)
    return application


def test_one_name_as_json(runner: CliRunner) -> None:
    result = runner.invoke(app(), ["--name", "Juan Abrego Garcia", "--kind", "person", "--dob", "1962-04-12", "--json"])
    assert result.exit_code == 0, result.output
    document = orjson.loads(result.stdout)
    match = document["matches"][0]
    assert match["entry_id"] == "test:1" and match["list_id"] == "test" and match["source_ids"] == {"ent_num": "1"}
    assert match["names"] == ["ABREGO GARCIA, Juan Carlos"] and 0.8 <= match["score"] < 1.0
    assert "1962-04-12" in match["explanation"] and match["evidence"]


def test_file_gives_one_result_per_line_in_order(runner: CliRunner, tmp_path: Path) -> None:
    queries = tmp_path / "queries.jsonl"
    queries.write_text(
        '{"name": "Nobody Listed Here"}\n'
        '{"name": "Inversiones El Dorado SA de CV", "country": "MX"}\n'
        "\n"
        '{"identifiers": [{"scheme": "imo", "value": "9134271"}]}\n'
    )
    result = runner.invoke(app(), ["--file", str(queries), "--json"])
    assert result.exit_code == 0, result.output
    documents = [orjson.loads(line) for line in result.stdout.splitlines()]
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


# --- the cached engine ------------------------------------------------------------------------


def test_second_call_loads_the_cache_and_a_change_rebuilds_it(runner: CliRunner, source: StubSource) -> None:
    first = runner.invoke(app(), ["--name", "Naviera Coral del Istmo", "--json", "--verbose"])
    assert first.exit_code == 0, first.output
    assert first.stderr.startswith("cache: miss: no cache yet;") and orjson.loads(first.stdout)["matches"] == []

    second = runner.invoke(app(), ["--name", "Naviera Coral del Istmo", "--json", "--verbose"])
    assert second.stderr.startswith("cache: hit:") and source.snapshots == 1

    source.change([*ENTRIES, NEW_ENTRY])
    third = runner.invoke(app(), ["--name", "Naviera Coral del Istmo", "--json", "--verbose"])
    assert third.stderr.startswith("cache: miss: the watchlists changed;") and source.snapshots == 2
    assert [match["entry_id"] for match in orjson.loads(third.stdout)["matches"]] == ["test:3"]

    fourth = runner.invoke(app(), ["--name", "Naviera Coral del Istmo", "--json", "--verbose"])
    assert fourth.stderr.startswith("cache: hit:") and source.snapshots == 2
    assert [match["entry_id"] for match in orjson.loads(fourth.stdout)["matches"]] == ["test:3"]


def test_no_cache_rebuilds_and_rewrites_the_cache(runner: CliRunner, source: StubSource, settings: Settings) -> None:
    assert runner.invoke(app(), ["--name", "Juan Abrego Garcia"]).exit_code == 0
    result = runner.invoke(app(), ["--name", "Juan Abrego Garcia", "--no-cache", "-v"])
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("cache: miss: --no-cache;") and source.snapshots == 2
    assert runner.invoke(app(), ["--name", "Juan Abrego Garcia", "-v"]).stderr.startswith("cache: hit:")
    assert source.snapshots == 2


def test_cache_file_is_private_and_keyed_by_namespace(settings: Settings, source: StubSource) -> None:
    loaded = load_engine(settings, source)
    assert loaded.status == "miss" and loaded.path == snapshot_cache.cache_path(settings)
    assert stat.S_IMODE(loaded.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(loaded.path.parent.stat().st_mode) == 0o700
    other_prefix = settings.model_copy(update={"redis_key_prefix": "other"})
    assert snapshot_cache.cache_path(other_prefix) != loaded.path
    assert load_engine(other_prefix, source).status == "miss"
    assert load_engine(settings, source).status == "hit"
    assert sorted(loaded.path.parent.iterdir()) == sorted({loaded.path, snapshot_cache.cache_path(other_prefix)})


def test_a_changed_engine_or_threshold_does_not_use_the_old_pickle(settings: Settings, source: StubSource) -> None:
    load_engine(settings, source, fingerprint=lambda _settings: "engine-a")
    assert load_engine(settings, source, fingerprint=lambda _settings: "engine-a").status == "hit"
    changed = load_engine(settings, source, fingerprint=lambda _settings: "engine-b")
    assert changed.status == "miss" and changed.reason == "the engine's code, settings or libraries changed"
    # the real fingerprint covers the threshold and the engine's sources
    stricter = settings.model_copy(update={"match_threshold": 0.9})
    assert snapshot_cache.engine_fingerprint(stricter) != snapshot_cache.engine_fingerprint(settings)
    assert load_engine(settings, source).status == "miss"
    assert load_engine(stricter, source).status == "miss"
    assert load_engine(stricter, source).engine.threshold == 0.9


def test_engine_fingerprint_follows_the_source_files(tmp_path: Path, settings: Settings) -> None:
    engine_dir = tmp_path / "engine"
    engine_dir.mkdir()
    (engine_dir / "matcher.py").write_text("A = 1\n")
    before = snapshot_cache.engine_fingerprint(settings, (engine_dir,))
    (engine_dir / "matcher.py").write_text("A = 2\n")
    assert snapshot_cache.engine_fingerprint(settings, (engine_dir,)) != before


def test_an_expired_entry_makes_the_cache_stale(
    settings: Settings, source: StubSource, monkeypatch: pytest.MonkeyPatch
) -> None:
    soon = datetime.now(UTC) + timedelta(hours=1)
    source.change([*ENTRIES, NEW_ENTRY.model_copy(update={"expires_at": soon})])
    assert load_engine(settings, source).status == "miss"
    assert load_engine(settings, source).status == "hit"
    monkeypatch.setattr(snapshot_cache.time, "time", lambda: soon.timestamp() + 1)
    source.entries = ENTRIES  # what the store's snapshot gives once the expiry has passed
    stale = load_engine(settings, source)
    assert stale.status == "miss" and stale.reason == "a cached entry has expired since"
    assert "test:3" not in stale.engine


def test_a_file_others_may_write_is_refused_and_replaced(settings: Settings, source: StubSource) -> None:
    path = load_engine(settings, source).path
    assert path is not None
    path.chmod(0o666)
    refused = load_engine(settings, source)
    assert refused.status == "miss" and refused.reason.startswith(
        "refused: the cache file is writable by group or others"
    )
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_engine(settings, source).status == "hit"


def test_a_file_of_another_user_is_refused(
    settings: Settings, source: StubSource, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_engine(settings, source)
    real_uid = os.getuid()
    monkeypatch.setattr(snapshot_cache.os, "getuid", lambda: real_uid + 1)
    refused = load_engine(settings, source)
    assert refused.status == "miss" and "refused: the cache directory is owned by uid" in refused.reason
    assert "not cached" in refused.reason  # nor written into a directory that is not ours


def test_a_directory_others_may_write_is_refused(settings: Settings, source: StubSource) -> None:
    path = load_engine(settings, source).path
    assert path is not None
    path.parent.chmod(0o777)
    try:
        refused = load_engine(settings, source)
        assert refused.status == "miss" and refused.reason.startswith("refused: the cache directory is writable")
        assert "not cached" in refused.reason
    finally:
        path.parent.chmod(0o700)


def test_a_symlink_is_refused(settings: Settings, source: StubSource, tmp_path: Path) -> None:
    path = load_engine(settings, source).path
    assert path is not None
    elsewhere = tmp_path / "elsewhere.pickle"
    path.rename(elsewhere)
    path.symlink_to(elsewhere)
    refused = load_engine(settings, source)
    assert refused.status == "miss" and refused.reason.startswith("refused: cannot open the cache file safely")
    assert not path.is_symlink()  # replaced by a file of our own


@pytest.mark.parametrize("damage", [b"", b"garbage", b"interdict-screen-cache\n\x00\x00"])
def test_a_damaged_file_is_rebuilt(settings: Settings, source: StubSource, damage: bytes) -> None:
    path = load_engine(settings, source).path
    assert path is not None
    path.write_bytes(damage)
    rebuilt = load_engine(settings, source)
    assert rebuilt.status == "miss" and rebuilt.reason.startswith("unreadable cache file")
    assert load_engine(settings, source).status == "hit"


def test_a_truncated_pickle_is_rebuilt(settings: Settings, source: StubSource) -> None:
    path = load_engine(settings, source).path
    assert path is not None
    path.write_bytes(path.read_bytes()[:-1000])
    rebuilt = load_engine(settings, source)
    assert rebuilt.status == "miss" and rebuilt.reason.startswith("unreadable cache file (")
    assert len(rebuilt.engine) == len(ENTRIES)


def test_an_engine_that_cannot_be_pickled_still_screens(
    settings: Settings, source: StubSource, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_args: object, **_kwargs: object) -> bytes:
        raise pickle.PicklingError("cannot pickle 'lock' object")

    monkeypatch.setattr(snapshot_cache.pickle, "dumps", refuse)
    loaded = load_engine(settings, source)
    assert loaded.status == "miss" and "not cached: the engine cannot be pickled" in loaded.reason
    assert loaded.engine.screen(ScreeningQuery(name="Juan Carlos Abrego Garcia"))[0].entry.entry_id == "test:1"


def test_the_unpickled_engine_answers_as_the_built_one(settings: Settings, source: StubSource) -> None:
    built = load_engine(settings, source).engine
    cached = load_engine(settings, source)
    assert cached.status == "hit" and isinstance(cached.engine, MatchingEngine)
    query = ScreeningQuery(name="Juan Abrego Garcia", kind=EntityKind.PERSON, date_of_birth="1962-04-12")
    assert cached.engine.screen(query) == built.screen(query)


@pytest.mark.parametrize(
    ("uid_offset", "mode", "problem"),
    [
        (0, 0o100600, None),
        (0, 0o100644, None),
        (1, 0o100600, "owned by uid"),
        (0, 0o100620, "writable by group or others (mode 620)"),
        (0, 0o100602, "writable by group or others (mode 602)"),
    ],
)
def test_what_may_be_trusted(uid_offset: int, mode: int, problem: str | None) -> None:
    info = os.stat_result((mode, 0, 0, 1, os.getuid() + uid_offset, 0, 0, 0, 0, 0))
    found = snapshot_cache._unsafe(info, "the cache file")
    assert found is None if problem is None else (found is not None and problem in found)
