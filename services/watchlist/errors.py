"""Errors of watchlist files and stores."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FileProblem:
    """One thing wrong with one place of a watchlist file."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.message}"


class WatchlistFileError(Exception):
    """A watchlist file is malformed. It carries every problem found, so one run shows them all.

    Importers raise it instead of skipping bad rows: a list with rows silently missing would
    let a listed party pass unmatched, so a bad file is rejected whole.
    """

    def __init__(self, problems: list[FileProblem]) -> None:
        if not problems:
            raise ValueError("WatchlistFileError needs at least one problem")
        self.problems = list(problems)
        shown = "\n".join(str(problem) for problem in self.problems[:20])
        more = f"\n... and {len(self.problems) - 20} more" if len(self.problems) > 20 else ""
        super().__init__(f"{len(self.problems)} problem(s) in watchlist file(s):\n{shown}{more}")


class WatchlistError(Exception):
    """A watchlist operation cannot be done as asked."""


class WatchlistNotFound(WatchlistError, LookupError):
    """No list or entry with that id."""


class ListNotFound(WatchlistNotFound):
    """No list with that id; `list_id` names it, so a caller can offer to create it."""

    def __init__(self, list_id: str) -> None:
        super().__init__(f"no watchlist {list_id!r}")
        self.list_id = list_id


class EntryConflict(WatchlistError):
    """The entry already exists (add), is missing (update), or belongs to another list."""


class ListExists(WatchlistError):
    """A list with that id exists already."""


class ChangeFeedGap(WatchlistError):
    """The cursor points before events the feed has trimmed: take a new snapshot."""
