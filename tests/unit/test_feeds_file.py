"""The feeds file: every feed found by name or pattern, and a wrong file refused whole."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.ingest.feeds import FeedDirectoryError, load_feeds
from services.shared.settings import Settings


def test_the_projects_feeds_file_loads_and_names_the_generators_feeds() -> None:
    feeds = load_feeds(Settings().feeds_file)
    assert feeds.get("port-manzanillo-mx") is not None and feeds.get("port-manzanillo-mx").owner == "MX"  # type: ignore[union-attr]
    assert feeds.get("ais-caribbean").format == "ais"  # type: ignore[union-attr]
    assert feeds.get("nobody") is None and feeds.get(None) is None


def test_the_most_specific_pattern_wins(tmp_path: Path) -> None:
    path = tmp_path / "feeds.toml"
    path.write_text(
        '[feeds."port-*"]\nowner = "US"\nformat = "json"\n'
        '[feeds."port-*-co"]\nowner = "CO"\nformat = "csv"\n'
        '[feeds.port-exact-co]\nowner = "PA"\nformat = "ais"\n'
    )
    feeds = load_feeds(path)
    assert [feeds.get(name).owner for name in ("port-x", "port-y-co", "port-exact-co")] == ["US", "CO", "PA"]  # type: ignore[union-attr]


def test_a_wrong_feeds_file_is_refused_whole_naming_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "feeds.toml"
    path.write_text('[feeds.a]\nowner = "Mexico"\nformat = "json"\n[feeds.b]\nowner = "MX"\nformat = "xml"\n')
    with pytest.raises(FeedDirectoryError) as refused:
        load_feeds(path)
    assert "feed 'a': owner" in str(refused.value) and "feed 'b': format" in str(refused.value)


def test_a_missing_or_broken_feeds_file_is_refused_with_its_path(tmp_path: Path) -> None:
    with pytest.raises(FeedDirectoryError, match=r"absent\.toml"):
        load_feeds(tmp_path / "absent.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[feeds\n")
    with pytest.raises(FeedDirectoryError, match=r"broken\.toml"):
        load_feeds(broken)
