"""JSON Schema files in schemas/, generated from the pydantic models (never edited by hand)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from pydantic import BaseModel, TypeAdapter

from services.shared.models import Alert, Manifest, Match, ShipmentManifest, VesselManifest, WatchlistEntry
from services.shared.models.ais import AisReport
from services.shared.models.case import CaseEvent
from services.shared.models.desk import DeskAction
from services.shared.settings import PROJECT_ROOT

SCHEMA_DIR = PROJECT_ROOT / "schemas"

SCHEMAS: dict[str, type[BaseModel] | TypeAdapter[Any]] = {
    "manifest": TypeAdapter(Manifest),
    "shipment-manifest": ShipmentManifest,
    "vessel-manifest": VesselManifest,
    "watchlist-entry": WatchlistEntry,
    "match": Match,
    "alert": Alert,
    "desk-action": DeskAction,
    "case-event": CaseEvent,
    "ais-report": AisReport,
}


def _file_schemas() -> dict[str, dict[str, Any]]:
    """The files people write: watchlists in the project's formats, the severity rules."""
    # Imported here: those packages depend on the shared models, not the other way round.
    from services.notifier.severity import SeverityRules
    from services.watchlist.formats import CsvRow, jsonl_line_schema

    return {
        "watchlist-jsonl-line": jsonl_line_schema(),
        "watchlist-csv-row": CsvRow.model_json_schema(),
        "severity-rules": SeverityRules.model_json_schema(),
    }


def _model_schemas() -> dict[str, dict[str, Any]]:
    return {
        name: model.json_schema() if isinstance(model, TypeAdapter) else model.model_json_schema()
        for name, model in SCHEMAS.items()
    }


def schema_documents() -> dict[str, bytes]:
    documents = {}
    for name, schema in {**_model_schemas(), **_file_schemas()}.items():
        schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": f"{name}.schema.json", **schema}
        if name == "manifest":
            schema["title"] = "Manifest"
        documents[f"{name}.schema.json"] = (
            orjson.dumps(schema, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
        )
    return documents


def write_schemas(directory: Path = SCHEMA_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for filename, content in schema_documents().items():
        path = directory / filename
        path.write_bytes(content)
        written.append(path)
    return written


def stale_schemas(directory: Path = SCHEMA_DIR) -> list[str]:
    """Files that differ from what the models generate (missing ones included)."""
    return [
        filename
        for filename, content in schema_documents().items()
        if not (directory / filename).exists() or (directory / filename).read_bytes() != content
    ]
