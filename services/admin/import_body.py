"""The body of POST /lists/{id}/import: a JSON array of entries, or JSON Lines (one entry per line).

As in the JSON Lines file format, an entry may leave out list_id, owner_country and sharing; a
bad item rejects the whole body with every problem and its line (JSON Lines) or item number.
"""

from __future__ import annotations

from typing import Any

import orjson

from services.shared.models.watchlist import Sharing, WatchlistEntry
from services.watchlist.errors import FileProblem
from services.watchlist.importers.collect import UniqueEntries
from services.watchlist.importers.jsonl import entry_from_fields

BODY = "request body"


def parse_import_body(
    body: bytes, *, list_id: str, owner_country: str, sharing: Sharing | None
) -> list[WatchlistEntry]:
    items = _items(body)
    problems: list[FileProblem] = []
    entries = UniqueEntries(BODY, problems)
    for number, item in items:
        if isinstance(item, FileProblem):
            problems.append(item)
            continue
        entry = _entry(item, number, list_id, owner_country, sharing, problems)
        if entry is not None:
            entries.add(entry, number)
    return entries.result()


def _items(body: bytes) -> list[tuple[int, Any]]:
    """(line or item number, parsed JSON or the problem with it)."""
    if body.lstrip().startswith(b"["):
        try:
            array = orjson.loads(body)
        except orjson.JSONDecodeError as error:
            return [(1, FileProblem(BODY, None, f"not JSON: {error}"))]
        return list(enumerate(array, start=1))
    items: list[tuple[int, Any]] = []
    for number, line in enumerate(body.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            items.append((number, orjson.loads(line)))
        except orjson.JSONDecodeError as error:
            items.append((number, FileProblem(BODY, number, f"not JSON: {error}")))
    return items


def _entry(
    item: Any, number: int, list_id: str, owner_country: str, sharing: Sharing | None, problems: list[FileProblem]
) -> WatchlistEntry | None:
    if not isinstance(item, dict):
        problems.append(FileProblem(BODY, number, "expected a JSON object"))
        return None
    return entry_from_fields(item, list_id, owner_country, sharing, BODY, number, problems)
