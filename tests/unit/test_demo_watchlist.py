"""The OFAC SDN subset bundled for clones without ../shared/data, and how the demo chooses its list."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from services.ingest.validation import InvalidManifest, parse_manifest
from services.matcher.engine import MatchingEngine
from services.matcher.screening import screen_manifest
from services.shared.models.common import EntityKind
from services.shared.models.watchlist import WatchlistEntry
from services.shared.settings import PROJECT_ROOT
from services.watchlist.demo_source import BUNDLED_OFAC_DIR, SHARED_DATA, demo_ofac_dir
from services.watchlist.importers.ofac_sdn import parse_ofac_sdn

FILES = ("sdn.csv", "alt.csv", "add.csv", "sdn_comments.csv")
GENERATOR = PROJECT_ROOT / "scripts" / "make_demo_watchlist.py"
SAMPLE_FEED = PROJECT_ROOT / "feeds" / "sample-manifests.jsonl"
#: (manifest, entry) pairs the sample feed is written to hit: tests/e2e/test_pipeline.py EXPECTED_HITS.
SAMPLE_FEED_HITS = {
    ("MZO-2026-11-0001", "ofac-sdn:7156"),
    ("CTG-2026-11-0042", "ofac-sdn:4106"),
    ("SSZ-2026-11-0777", "ofac-sdn:7157"),
    ("AIS-2026-11-9187655", "ofac-sdn:15037"),
    ("PCR-2026-11-0055", "ofac-sdn:4107"),
    ("GYE-2026-11-0333", "ofac-sdn:4149"),
}


@pytest.fixture(scope="module")
def bundled() -> dict[str, WatchlistEntry]:
    return {entry.entry_id: entry for entry in parse_ofac_sdn(BUNDLED_OFAC_DIR)}


def test_bundled_subset_parses_and_holds_every_sample_feed_hit(bundled: dict[str, WatchlistEntry]) -> None:
    assert {entry_id for _manifest, entry_id in SAMPLE_FEED_HITS} <= set(bundled)
    assert bundled["ofac-sdn:4106"].primary_name == "HERRERA BUITRAGO, Helmer"
    assert bundled["ofac-sdn:15037"].kind is EntityKind.VESSEL


def test_bundled_subset_is_small_but_varied(bundled: dict[str, WatchlistEntry]) -> None:
    kinds = [entry.kind for entry in bundled.values()]
    assert 200 <= len(bundled) <= 600
    assert kinds.count(EntityKind.PERSON) >= 100
    assert kinds.count(EntityKind.ORGANIZATION) >= 100
    assert kinds.count(EntityKind.VESSEL) >= 30
    assert sum(len(entry.names) > 1 for entry in bundled.values()) >= 100, "aliases from alt.csv"
    assert sum(bool(entry.addresses) for entry in bundled.values()) >= 100, "addresses from add.csv"
    assert sum((BUNDLED_OFAC_DIR / name).stat().st_size for name in FILES) < 300_000


def test_bundled_subset_credits_its_source() -> None:
    readme = (BUNDLED_OFAC_DIR / "README.md").read_text()
    assert "Office of Foreign Assets Control" in readme and "public domain" in readme
    assert "Snapshot: July 2021" in readme and "subset" in readme


def test_sample_feed_hits_the_same_entries_with_the_subset_as_with_the_full_list(
    bundled: dict[str, WatchlistEntry],
) -> None:
    # Word weights depend on the whole list, so a subset could push a designed hit under the threshold.
    engine = MatchingEngine()
    engine.load(bundled.values())
    hits = set()
    for line in SAMPLE_FEED.read_bytes().splitlines():
        if not line.strip() or line.startswith(b"#"):
            continue
        try:
            manifest = parse_manifest(line)
        except InvalidManifest:
            continue  # the feed's deliberately invalid messages
        hits |= {(manifest.manifest_id, match.subject_id) for match in screen_manifest(manifest, engine, {})}
    assert hits == SAMPLE_FEED_HITS


@pytest.mark.reference
def test_generator_rebuilds_the_bundled_subset_byte_for_byte(shared_data: Path, tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(GENERATOR), "--source", str(shared_data / "ofac-sdn"), "--output", str(tmp_path)],
        check=True, capture_output=True,
    )
    for name in (*FILES, "README.md"):
        assert (tmp_path / name).read_bytes() == (BUNDLED_OFAC_DIR / name).read_bytes(), name


def test_generator_refuses_a_folder_without_the_files(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(GENERATOR), "--source", str(tmp_path), "--output", str(tmp_path / "out")],
        capture_output=True, text=True,
    )
    assert result.returncode == 1 and "lacks sdn.csv" in result.stderr
    assert not (tmp_path / "out").exists()


def test_demo_prefers_the_full_list_beside_the_checkout(tmp_path: Path) -> None:
    full = tmp_path / "ofac-sdn"
    full.mkdir()
    (full / "sdn.csv").write_text("")
    assert demo_ofac_dir(tmp_path) == full


def test_demo_falls_back_to_the_bundled_subset(tmp_path: Path) -> None:
    assert demo_ofac_dir(tmp_path) == BUNDLED_OFAC_DIR
    (tmp_path / "ofac-sdn").mkdir()  # an empty folder is not a list
    assert demo_ofac_dir(tmp_path) == BUNDLED_OFAC_DIR


def test_default_is_the_shared_data_folder_beside_the_checkout() -> None:
    expected = SHARED_DATA / "ofac-sdn" if (SHARED_DATA / "ofac-sdn" / "sdn.csv").is_file() else BUNDLED_OFAC_DIR
    assert demo_ofac_dir() == expected
    assert PROJECT_ROOT.parent / "shared" / "data" == SHARED_DATA
