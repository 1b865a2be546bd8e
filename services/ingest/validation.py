"""Turning a feed's raw bytes into a validated manifest, or into a precise reason why not."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from services.ingest.errors import InvalidManifest
from services.ingest.formats.base import Context, Document, FormatError
from services.ingest.formats.json import JSON_FORMAT
from services.shared.models import ManifestAdapter
from services.shared.models.common import MAX_CODE_CHARS
from services.shared.models.manifest import ShipmentManifest, VesselManifest
from services.shared.settings import Settings

#: Larger messages are rejected before parsing: no real manifest comes near it, and parsing an
#: attacker's 100 MB JSON would stall the partition. Ingest itself takes the limit from the
#: settings (INTERDICT_MAX_MESSAGE_BYTES, the same limit the producers and topics have).
MAX_MESSAGE_BYTES = Settings.model_fields["max_message_bytes"].default
MAX_REPORTED_ERRORS = 20


def _is_limit(detail: ErrorDetails) -> bool:
    """More than a manifest may hold (README, "Limits"): too many items, or text over a length
    limit; not a code of the wrong length (a three-letter country is a schema violation)."""
    if detail["type"] == "too_long":
        return True
    limit = (detail.get("ctx") or {}).get("max_length", 0)
    return detail["type"] == "string_too_long" and limit >= MAX_CODE_CHARS


def parse_manifest(raw: bytes) -> ShipmentManifest | VesselManifest:
    """One JSON manifest, validated against the models (codes are checked by checks.py)."""
    if len(raw) > MAX_MESSAGE_BYTES:
        raise InvalidManifest("too_large", f"message of {len(raw)} bytes exceeds {MAX_MESSAGE_BYTES}")
    try:
        (document,) = JSON_FORMAT.decode(raw, Context(feed=None, received_at=datetime.now(UTC)))
    except FormatError as error:
        raise InvalidManifest(error.reason, error.message, error.__cause__) from error
    return validate_document(document)


def validate_document(document: Document) -> ShipmentManifest | VesselManifest:
    if document.get("kind") not in ("shipment", "vessel"):
        raise InvalidManifest("unknown_kind", f"'kind' must be 'shipment' or 'vessel', got {document.get('kind')!r}")
    if "ingest" in document:
        raise InvalidManifest("reserved_field", "'ingest' is written by ingest, never by a feed")
    try:
        return ManifestAdapter.validate_python(document)
    except ValidationError as error:
        over_limit = any(_is_limit(detail) for detail in error.errors(include_url=False))
        reason = "limit_exceeded" if over_limit else "schema_violation"
        raise InvalidManifest(reason, describe_validation_error(error), error) from error


def describe_validation_error(error: ValidationError) -> str:
    """One line per problem, with the JSON path, so a feed can fix its message without guessing."""
    problems = []
    for detail in error.errors(include_url=False)[:MAX_REPORTED_ERRORS]:
        location = ".".join(str(part) for part in _without_union_tag(detail["loc"]))
        problems.append(f"{location or '<root>'}: {detail['msg']}")
    hidden = error.error_count() - len(problems)
    if hidden > 0:
        problems.append(f"... and {hidden} more")
    return "; ".join(problems)


def _without_union_tag(location: tuple[int | str, ...]) -> tuple[int | str, ...]:
    # pydantic prefixes discriminated-union errors with the tag ("shipment.parties.0.name").
    return location[1:] if location and location[0] in ("shipment", "vessel") else location


__all__ = ["MAX_MESSAGE_BYTES", "InvalidManifest", "parse_manifest", "validate_document"]
