"""Which feeds exist: their owner country and the format they send (feeds/feeds.toml)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

FORMAT_NAMES = ("json", "csv", "cuscar", "ais")
MAX_REMEMBERED_NAMES = 10_000


@dataclass(frozen=True)
class Feed:
    name: str
    owner: str
    format: str


class FeedDirectoryError(ValueError):
    """The feeds file is wrong: every problem, with the feed it is about."""


class FeedDirectory:
    def __init__(self, feeds: list[Feed]) -> None:
        self._exact = {feed.name: feed for feed in feeds if not _is_pattern(feed.name)}
        # Most specific pattern first: "port-manzanillo-*" before "port-*".
        self._patterns = sorted((feed for feed in feeds if _is_pattern(feed.name)), key=lambda f: -len(f.name))
        # Looked up for every message: a name is matched against the patterns once (feeds are few).
        self._matched: dict[str, Feed | None] = {}

    def get(self, name: str | None) -> Feed | None:
        if not name:
            return None
        if name in self._exact:
            return self._exact[name]
        if name not in self._matched:
            if len(self._matched) >= MAX_REMEMBERED_NAMES:
                self._matched.clear()  # a hostile stream of invented names cannot grow it without end
            self._matched[name] = next((feed for feed in self._patterns if fnmatchcase(name, feed.name)), None)
        return self._matched[name]

    def __len__(self) -> int:
        return len(self._exact) + len(self._patterns)

    def exact_names(self) -> list[str]:
        """The feeds named in full (a pattern names a family, not a feed that can log in)."""
        return sorted(self._exact)


def _is_pattern(name: str) -> bool:
    return any(char in name for char in "*?[")


def load_feeds(path: Path | None) -> FeedDirectory:
    """The feeds configured in `path`; none when it is not set. A wrong file is refused whole."""
    if path is None:
        return FeedDirectory([])
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise FeedDirectoryError(f"{path}: {error}") from error
    feeds, problems = [], []
    for name, table in (document.get("feeds") or {}).items():
        owner, format_name = str(table.get("owner", "")).upper(), str(table.get("format", ""))
        if len(owner) != 2 or not owner.isalpha():
            problems.append(f"feed {name!r}: owner must be an ISO 3166 country code, got {table.get('owner')!r}")
        if format_name not in FORMAT_NAMES:
            problems.append(f"feed {name!r}: format must be one of {', '.join(FORMAT_NAMES)}, got {format_name!r}")
        feeds.append(Feed(name, owner, format_name))
    if problems:
        raise FeedDirectoryError(f"{path}: " + "; ".join(problems))
    return FeedDirectory(feeds)
