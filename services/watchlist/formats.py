"""The project's own watchlist file formats, described by the models that validate them.

JSON Lines (importers/jsonl.py): one `WatchlistEntry` object per line. `list_id`, `owner_country`
and `sharing` may be left out of a line; the import command supplies them for the whole file.
`jsonl_line_schema()` is the JSON Schema of one line, for the lead's schemas/ generator.
"""

from __future__ import annotations

from typing import Any

from services.shared.models.watchlist import WatchlistEntry

#: Fields a JSONL line may leave to the import command's --list-id, --owner and --share.
FILE_LEVEL_FIELDS = ("list_id", "owner_country", "sharing")


def jsonl_line_schema() -> dict[str, Any]:
    schema = WatchlistEntry.model_json_schema()
    schema["title"] = "WatchlistJsonlLine"
    schema["description"] = "One line of a watchlist JSON Lines file: a WatchlistEntry whose list-level fields may be omitted."
    schema["required"] = [name for name in schema.get("required", []) if name not in FILE_LEVEL_FIELDS]
    return schema
