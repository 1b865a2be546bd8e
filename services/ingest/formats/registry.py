"""Every format by name, and recognising one from the content."""

from __future__ import annotations

from services.ingest.formats.ais import AIS_FORMAT
from services.ingest.formats.base import Format
from services.ingest.formats.csv import CSV_FORMAT
from services.ingest.formats.cuscar import CUSCAR_FORMAT
from services.ingest.formats.json import JSON_FORMAT

FORMATS: dict[str, Format] = {fmt.name: fmt for fmt in (JSON_FORMAT, CSV_FORMAT, CUSCAR_FORMAT, AIS_FORMAT)}

#: Content detection, most distinctive first: CSV recognises only its own header row, so it goes last.
_DETECTION_ORDER: tuple[Format, ...] = (CUSCAR_FORMAT, AIS_FORMAT, JSON_FORMAT, CSV_FORMAT)


def detect(head: bytes) -> Format | None:
    """The format of a file or message starting with `head`, or None when none recognises it."""
    return next((fmt for fmt in _DETECTION_ORDER if fmt.sniff(head)), None)


__all__ = ["FORMATS", "Format", "detect"]
