"""What every importer of entries does alike: keep them in file order, each id once, and reject the
whole file when any line had a problem."""

from __future__ import annotations

from services.shared.models.watchlist import WatchlistEntry
from services.watchlist.errors import FileProblem, WatchlistFileError


class UniqueEntries:
    def __init__(self, source: str, problems: list[FileProblem]) -> None:
        self._source = source
        self._problems = problems
        self._entries: list[WatchlistEntry] = []
        self._first_line: dict[str, int] = {}

    def add(self, entry: WatchlistEntry, line: int) -> None:
        """Keep the entry, or record a problem at `line` if its id came earlier in the file."""
        first = self._first_line.setdefault(entry.entry_id, line)
        if first != line:
            self._problems.append(FileProblem(self._source, line, f"entry_id {entry.entry_id!r} repeats line {first}"))
            return
        self._entries.append(entry)

    def result(self) -> list[WatchlistEntry]:
        if self._problems:
            raise WatchlistFileError(self._problems)
        return self._entries
