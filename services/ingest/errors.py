"""Why a message is not a valid manifest."""

from __future__ import annotations


class InvalidManifest(Exception):
    """A message that is not a valid manifest; `reason` is a short code for metrics and headers."""

    def __init__(self, reason: str, message: str, cause: BaseException | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.error_class = type(self).__qualname__
        if cause is not None:
            self.error_class = f"{type(cause).__module__}.{type(cause).__qualname__}"


#: Every reason ingest dead-letters a message for (the `interdict.errors.reason` header), and what
#: the feed should do about it. The README's dead-letter table is written from this.
REJECTION_REASONS: dict[str, str] = {
    "empty_message": "the message has no content",
    "too_large": "over INTERDICT_MAX_MESSAGE_BYTES; send smaller messages (one manifest each)",
    "unrecognised_format": "not JSON, CSV, CUSCAR nor AIS NMEA: set the interdict.format header",
    "unknown_format": "the interdict.format header names a format ingest does not read",
    "invalid_encoding": "the bytes are not in the format's character encoding (UTF-8 for JSON and CSV)",
    "invalid_json": "not JSON",
    "not_an_object": "JSON, but not one object",
    "invalid_csv": "the CSV cannot be read (quoting, row length)",
    "missing_columns": "the CSV header lacks required columns",
    "unknown_columns": "the CSV header has columns nobody reads: a misspelling?",
    "invalid_header": "the CSV header row is missing or malformed",
    "too_many_rows": "more CSV rows in one message than a manifest may have",
    "invalid_value": "a value cannot be read as what its column or element holds",
    "invalid_date": "a date cannot be read",
    "missing_feed": "nothing says which feed sent the message (the interdict.feed header or a feed column)",
    "line_too_long": "a CSV line longer than any bill of lading row",
    "field_too_long": "a CSV cell longer than any field may be",
    "non_consecutive_rows": "the rows of one bill of lading are not together in the CSV",
    "inconsistent_manifest": "rows of one bill of lading disagree on a manifest-level column",
    "invalid_edifact": "not UN/EDIFACT syntax",
    "segment_too_long": "an EDIFACT segment longer than any CUSCAR segment",
    "segment_count_mismatch": "UNT's segment count is not the message's: something was lost in transit",
    "message_count_mismatch": "UNZ's message count is not the interchange's: something was lost in transit",
    "reference_mismatch": "UNT or UNZ does not repeat the reference of its UNH or UNB",
    "no_consignment": "a CUSCAR message with no consignment (bill of lading) to read",
    "invalid_envelope": "the UNB/UNZ interchange envelope is wrong",
    "missing_unh": "an EDIFACT message without its UNH header",
    "missing_unt": "an EDIFACT message without its UNT trailer, or with a wrong segment count",
    "too_many_segments": "more EDIFACT segments than a cargo report may have",
    "unsupported_message": "an EDIFACT message other than CUSCAR",
    "unsupported_document": "a CUSCAR document type ingest does not read",
    "invalid_ais": "not AIS NMEA: checksum, armouring or sentence structure",
    "incomplete_ais": "fragments of a multi-part AIS message are missing or out of order",
    "unsupported_ais_type": "an AIS message type that says nothing about a vessel (base stations, aircraft...)",
    "unknown_kind": "'kind' is neither 'shipment' nor 'vessel'",
    "reserved_field": "the feed sent 'ingest', which only ingest writes",
    "schema_violation": "a field is missing, unknown or of the wrong type (the message names each)",
    "limit_exceeded": "more parties, containers, crew... or longer text than a manifest may have (README, Limits)",
    "feed_mismatch": "the manifest names another feed than its interdict.feed header",
    "invalid_code": "a code that is no code: country, port, IMO, MMSI (the message names each)",
    "implausible_date": "a report dated in the future or years ago, or an impossible date of birth",
}
