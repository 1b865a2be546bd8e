"""The project's own watchlist file formats, described by the models that validate them.

JSON Lines (importers/jsonl.py): one `WatchlistEntry` object per line. `list_id`, `owner_country`
and `sharing` may be left out of a line; the import command supplies them for the whole file.
`jsonl_line_schema()` is the JSON Schema of one line, for the lead's schemas/ generator.

CSV (importers/csv_format.py): one row per entry under a header row naming the columns of
`CsvRow`; multi-valued cells are separated by "|". Meant for national lists kept in a spreadsheet.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.shared.models.watchlist import WatchlistEntry

#: Fields a JSONL line may leave to the import command's --list-id, --owner and --share.
FILE_LEVEL_FIELDS = ("list_id", "owner_country", "sharing")

#: Separates the values of a multi-valued CSV cell.
CSV_LIST_SEPARATOR = "|"


def jsonl_line_schema() -> dict[str, Any]:
    schema = WatchlistEntry.model_json_schema()
    schema["title"] = "WatchlistJsonlLine"
    schema["description"] = (
        "One line of a watchlist JSON Lines file: a WatchlistEntry whose list-level fields may be omitted."
    )
    schema["required"] = [name for name in schema.get("required", []) if name not in FILE_LEVEL_FIELDS]
    return schema


class CsvRow(BaseModel):
    """One row of a watchlist CSV file, as written: every cell is text; the importer splits and checks it."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    entry_id: str = Field(min_length=1, description="the list's own id of the entry; stored as '<list_id>:<entry_id>'")
    kind: str = Field(min_length=1, description="person | organization | vessel | aircraft | unknown")
    name: str = Field(min_length=1, description="the primary name")
    aliases: str = Field(
        default="",
        description="'|'-separated; 'weak:', 'fka:', 'nka:' or 'aka:' before a name sets its type (default aka)",
    )
    identifiers: str = Field(
        default="", description="'|'-separated 'scheme:value' or 'scheme:value:CC' (CC: issuing country)"
    )
    dates_of_birth: str = Field(
        default="", description="'|'-separated ISO dates, full or partial (1971, 1971-03, 1971-03-15)"
    )
    nationalities: str = Field(default="", description="'|'-separated ISO country codes")
    countries: str = Field(default="", description="'|'-separated ISO country codes of address or registration")
    vessel_flag: str = Field(default="", description="ISO country code of a vessel's flag")
    programs: str = Field(default="", description="'|'-separated programs or legal bases")
    remarks: str = Field(default="", description="free text")
    expires_at: str = Field(default="", description="ISO date-time with a time zone, e.g. 2026-12-31T00:00:00+00:00")


#: The columns a CSV file may have, in the documented order, and those it must have.
CSV_COLUMNS: tuple[str, ...] = tuple(CsvRow.model_fields)
CSV_REQUIRED_COLUMNS: tuple[str, ...] = tuple(name for name, info in CsvRow.model_fields.items() if info.is_required())
