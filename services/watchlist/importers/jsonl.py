"""The project's own watchlist format: JSON Lines, one WatchlistEntry object per line.

`list_id`, `owner_country` and `sharing` may be left out of each line and given once for the
file; a line that states a different list_id is an error, not silently moved to another list.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from services.shared.models.watchlist import Sharing, WatchlistEntry
from services.watchlist.errors import FileProblem, WatchlistFileError
from services.watchlist.importers.collect import UniqueEntries


def parse_jsonl(
    path: Path, *, list_id: str, owner_country: str, sharing: Sharing | None = None
) -> list[WatchlistEntry]:
    """Every entry of the file, or WatchlistFileError with every bad line (1-based numbers)."""
    name = Path(path).name
    try:
        lines = Path(path).read_bytes().splitlines()
    except OSError as error:
        raise WatchlistFileError([FileProblem(name, None, f"cannot read: {error.strerror or error}")]) from error
    problems: list[FileProblem] = []
    entries = UniqueEntries(name, problems)
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            fields = orjson.loads(line)
        except orjson.JSONDecodeError as error:
            problems.append(FileProblem(name, number, f"not JSON: {error}"))
            continue
        if not isinstance(fields, dict):
            problems.append(FileProblem(name, number, "expected a JSON object"))
            continue
        entry = entry_from_fields(fields, list_id, owner_country, sharing, name, number, problems)
        if entry is not None:
            entries.add(entry, number)
    return entries.result()


def entry_from_fields(
    fields: dict[str, Any], list_id: str, owner_country: str, sharing: Sharing | None, name: str, number: int,
    problems: list[FileProblem],
) -> WatchlistEntry | None:
    """One JSON object as an entry, list-level fields filled in; None (and problems noted) if invalid."""
    if fields.setdefault("list_id", list_id) != list_id:
        problems.append(
            FileProblem(name, number, f"list_id {fields['list_id']!r} differs from the list imported, {list_id!r}")
        )
        return None
    fields.setdefault("owner_country", owner_country)
    if sharing is not None:
        fields.setdefault("sharing", sharing.model_dump(mode="json"))
    try:
        return WatchlistEntry.model_validate(fields)
    except ValidationError as error:
        for detail in error.errors():
            location = ".".join(str(part) for part in detail["loc"]) or "(entry)"
            problems.append(FileProblem(name, number, f"{location}: {detail['msg']}"))
        return None


def dump_jsonl(entries: list[WatchlistEntry], path: Path) -> None:
    with Path(path).open("wb") as out:
        for entry in entries:
            out.write(entry.model_dump_json(exclude_defaults=True).encode() + b"\n")
