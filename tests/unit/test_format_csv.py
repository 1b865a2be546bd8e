"""The CSV format: the sample file, round trips, every rejection with its line, hostile input."""

from __future__ import annotations

import contextlib
import io
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.ingest.formats import csv as csv_format
from services.ingest.formats.base import Context, Document, FormatError
from services.ingest.formats.csv import COLUMNS, CSV_FORMAT, REQUIRED_COLUMNS
from services.shared.models import ManifestAdapter
from services.shared.models.common import EntityKind, IdentifierScheme
from services.shared.models.manifest import PartyRole

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "feeds" / "samples" / "manifests.csv"
JSON_SAMPLE = ROOT / "feeds" / "sample-manifests.jsonl"
CONTEXT = Context(feed=None, received_at=datetime(2026, 11, 23, tzinfo=UTC))
HEADER = ",".join(COLUMNS)


def split(data: bytes) -> list[Any]:
    return list(CSV_FORMAT.split(io.BytesIO(data)))


def roundtrip(documents: list[Document], context: Context = CONTEXT) -> list[Document]:
    messages = split(CSV_FORMAT.encode(documents))
    return [document for message in messages for document in CSV_FORMAT.decode(message.payload, context)]


def json_shipments() -> list[Document]:
    """The JSON sample's shipments that are JSON (some lines are broken on purpose), valid or not."""
    documents = []
    for line in JSON_SAMPLE.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        try:
            document = json.loads(line)
        except ValueError:
            continue
        if document.get("kind") == "shipment":
            documents.append(document)
    return documents


def normalised(document: Any) -> Any:
    """A document with the contract's defaults left out and times as times: what "equal" means."""
    if isinstance(document, dict):
        out = {key: normalised(value) for key, value in document.items()}
        return {
            key: value
            for key, value in out.items()
            if value not in (None, [], {}) and not (key == "kind" and value == "unknown")
        }
    if isinstance(document, list):
        return [normalised(item) for item in document]
    if isinstance(document, int | float) and not isinstance(document, bool):
        return float(document)
    return document


def row(**cells: str) -> str:
    """A data row of the full header, the manifest-level columns filled with a valid default."""
    values = {
        "feed": "port-test",
        "manifest_id": "M-1",
        "reported_at": "2026-11-20T08:15:00Z",
        "bill_of_lading": "BOL1",
        "port_of_loading": "COBUN",
        "port_of_discharge": "MXZLO",
        "line_type": "party",
        "party_role": "shipper",
        "party_name": "Someone",
    } | cells
    return ",".join(values.get(column, "") for column in COLUMNS)


def payload(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def rejected(data: bytes, context: Context = CONTEXT) -> FormatError:
    with pytest.raises(FormatError) as caught:
        CSV_FORMAT.decode(data, context)
    return caught.value


# --- the sample file and the JSON sample -----------------------------------------------------------


def test_sample_file_splits_into_one_message_per_bill_each_valid() -> None:
    messages = split(SAMPLE.read_bytes())
    documents = [doc for message in messages for doc in CSV_FORMAT.decode(message.payload, CONTEXT)]
    assert len(messages) == len(documents) == 8
    assert messages[0].line == 2 and messages[0].key == b"customs-dian-co:BUN-2026-11-0419"
    assert all(message.payload.startswith(b"feed,manifest_id,") for message in messages)
    for document in documents:
        ManifestAdapter.validate_python(document)
    assert CSV_FORMAT.decode(SAMPLE.read_bytes(), CONTEXT) == documents  # the whole file at once, too
    rich = documents[0]
    assert rich["transshipment_ports"] == ["PABLB", "PAMIT"]
    assert rich["vessel"] == {"name": "CMA CGM MARCO POLO", "imo": "9454436", "call_sign": "9HA3581", "flag": "MT"}
    consignee = rich["parties"][1]
    assert consignee["name"] == 'Importadora "La Perla" de Jalisco, S.A. de C.V.'
    assert consignee["identifiers"] == [
        {"scheme": "rfc", "value": "IPJ0405127H3", "country": "MX"},
        {"scheme": "registration", "value": "MX-JAL-2004-118832", "country": "MX"},
    ]
    assert rich["parties"][3]["address"] == {"full": "Carrera 3 No. 2-14, Oficina 501, Buenaventura, Colombia"}
    assert rich["containers"][0] == {"number": "CMAU5120343", "seal": "CO4471201", "size_type": "45R1"}
    assert rich["commodities"][0] == {
        "hs_code": "0603.11",
        "description": "Fresh cut roses, in boxes",
        "gross_weight_kg": 11850.5,
        "container_number": "CMAU5120343",
    }


def test_documented_example_is_the_documented_manifest() -> None:
    text = (ROOT / "docs" / "feeds" / "csv.md").read_text()
    example = text.split("```csv\n", 1)[1].split("```", 1)[0]
    manifest = text.split("```json\n", 1)[1].split("```", 1)[0]
    assert CSV_FORMAT.decode(example.encode(), CONTEXT) == [json.loads(manifest)]


def test_json_sample_shipments_round_trip() -> None:
    # Invalid ones included (a missing port, a malformed code): the decoder passes them through.
    documents = json_shipments()
    assert len(documents) == 9
    assert [normalised(doc) for doc in roundtrip(documents)] == [normalised(doc) for doc in documents]


def test_one_document_per_encode_concatenated_is_one_file() -> None:
    # What `interdict feed generate --format csv` writes: each encode repeats the header.
    documents = json_shipments()
    data = b"".join(CSV_FORMAT.encode([document]) for document in documents)
    decoded = [doc for message in split(data) for doc in CSV_FORMAT.decode(message.payload, CONTEXT)]
    assert [normalised(doc) for doc in decoded] == [normalised(doc) for doc in documents]


# --- hypothesis round trip -------------------------------------------------------------------------

TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=40)
NAMES = TEXT.filter(lambda value: value.strip() != "")
COUNTRY = st.from_regex(r"[A-Z]{2}", fullmatch=True)
PORT = st.from_regex(r"[A-Z]{2}[A-Z2-9]{3}", fullmatch=True)
OPTIONAL_TEXT = st.none() | NAMES


def _without_none(**fields: Any) -> dict[str, Any]:
    return {key: value for key, value in fields.items() if value is not None}


ADDRESS = st.builds(
    _without_none,
    street=OPTIONAL_TEXT,
    city=OPTIONAL_TEXT,
    region=OPTIONAL_TEXT,
    postal_code=OPTIONAL_TEXT,
    country=st.none() | COUNTRY,
    full=OPTIONAL_TEXT,
).filter(bool)
IDENTIFIER = st.builds(
    _without_none,
    scheme=st.sampled_from([scheme.value for scheme in IdentifierScheme]),
    value=NAMES,
    country=st.none() | COUNTRY,
)
PARTY = st.builds(
    _without_none,
    role=st.sampled_from([role.value for role in PartyRole]),
    name=NAMES,
    kind=st.none() | st.sampled_from([kind.value for kind in EntityKind]),
    country=st.none() | COUNTRY,
    address=st.none() | ADDRESS,
    identifiers=st.none() | st.lists(IDENTIFIER, max_size=3),
)
CONTAINER_NUMBER = st.from_regex(r"[A-Z]{3}U\d{7}", fullmatch=True)
CONTAINER = st.builds(
    _without_none, number=CONTAINER_NUMBER, seal=OPTIONAL_TEXT, size_type=st.none() | st.sampled_from(["45G1", "22R1"])
)
WEIGHT = st.integers(1, 10**7) | st.floats(min_value=0.001, max_value=1e7, allow_nan=False, allow_infinity=False)
COMMODITY = st.builds(
    _without_none,
    hs_code=st.from_regex(r"\d{4}(\.?\d{2}){0,3}", fullmatch=True),
    description=NAMES,
    gross_weight_kg=st.none() | WEIGHT,
    container_number=st.none() | CONTAINER_NUMBER,
)
VESSEL = st.builds(
    _without_none,
    name=NAMES,
    imo=st.none() | st.from_regex(r"\d{7}", fullmatch=True),
    mmsi=st.none() | st.from_regex(r"\d{9}", fullmatch=True),
    call_sign=st.none() | st.from_regex(r"[A-Z0-9]{4,7}", fullmatch=True),
    flag=st.none() | COUNTRY,
)
ZONES = st.sampled_from([UTC, timezone(timedelta(hours=-5)), timezone(timedelta(hours=5, minutes=30))])
REPORTED = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2099, 12, 31), timezones=ZONES)
SHIPMENT = st.builds(
    _without_none,
    kind=st.just("shipment"),
    manifest_id=st.from_regex(r"[A-Za-z0-9._:/-]{1,30}", fullmatch=True),
    feed=st.from_regex(r"[a-z][a-z0-9-]{0,20}", fullmatch=True),
    reported_at=REPORTED.map(datetime.isoformat),
    bill_of_lading=NAMES,
    vessel=st.none() | VESSEL,
    voyage_number=OPTIONAL_TEXT,
    port_of_origin=st.none() | PORT,
    port_of_loading=PORT,
    transshipment_ports=st.none() | st.lists(PORT, max_size=3),
    port_of_discharge=PORT,
    place_of_destination=st.none() | PORT,
    parties=st.lists(PARTY, min_size=1, max_size=4),
    containers=st.none() | st.lists(CONTAINER, max_size=3),
    commodities=st.none() | st.lists(COMMODITY, max_size=3),
)
#: Several documents, each a different bill of lading (two documents of one bill cannot share a file).
SHIPMENTS = st.lists(
    SHIPMENT, min_size=1, max_size=4, unique_by=lambda doc: (doc["manifest_id"], doc["bill_of_lading"])
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(SHIPMENTS)
def test_generated_shipments_round_trip(documents: list[Document]) -> None:
    decoded = roundtrip(documents)
    assert [ManifestAdapter.validate_python(doc) for doc in decoded] == [
        ManifestAdapter.validate_python(doc) for doc in documents
    ]


@settings(max_examples=50, deadline=None)
@given(SHIPMENTS)
def test_generated_shipments_decode_whole_file_as_one_message(documents: list[Document]) -> None:
    assert CSV_FORMAT.decode(CSV_FORMAT.encode(documents), CONTEXT) == roundtrip(documents)


# --- reading: header, feed, keys, layout -----------------------------------------------------------


def test_columns_in_any_order_any_case_only_the_required_ones() -> None:
    header = "Line_Type,PORT_OF_DISCHARGE,bill_of_lading,Reported_At,port_of_loading,manifest_id,party_role,party_name"
    data = f"{header}\nparty,MXZLO,BOL1,2026-11-20T08:15:00Z,COBUN,M-1,Shipper,  Padded Name  \n".encode()
    (document,) = CSV_FORMAT.decode(data, Context(feed="from-header", received_at=CONTEXT.received_at))
    assert document == {
        "kind": "shipment",
        "feed": "from-header",
        "manifest_id": "M-1",
        "reported_at": "2026-11-20T08:15:00Z",
        "bill_of_lading": "BOL1",
        "port_of_loading": "COBUN",
        "port_of_discharge": "MXZLO",
        "parties": [{"role": "shipper", "name": "Padded Name"}],
    }


def test_bom_crlf_blank_lines_and_quoted_newlines_are_read() -> None:
    container = row(line_type="container", party_role="", party_name="", container_number="MSCU4719030")
    # Every line ends in CRLF, the quoted name's inner line break included.
    data = b"\xef\xbb\xbf" + payload(row(party_name='"Two\nLines"'), "", container).replace(b"\n", b"\r\n")
    messages = split(data)
    assert len(messages) == 1 and messages[0].line == 2
    (document,) = CSV_FORMAT.decode(messages[0].payload, CONTEXT)
    assert document["parties"][0]["name"] == "Two\r\nLines"
    assert document["containers"] == [{"number": "MSCU4719030"}]


def test_feed_column_wins_and_key_needs_a_feed() -> None:
    with_feed = split(payload(row()))
    assert with_feed[0].key == b"port-test:M-1"
    header = ",".join(column for column in COLUMNS if column != "feed")
    without = payload(",".join(row().split(",")[1:]), header=header)
    assert split(without)[0].key is None
    context = Context(feed="configured", received_at=CONTEXT.received_at)
    assert CSV_FORMAT.decode(without, context)[0]["feed"] == "configured"
    assert CSV_FORMAT.decode(payload(row()), context)[0]["feed"] == "port-test"  # ingest reports the mismatch


def test_missing_values_are_left_for_the_models_to_name() -> None:
    (document,) = CSV_FORMAT.decode(payload(row(port_of_discharge="", party_name="")), CONTEXT)
    assert "port_of_discharge" not in document and "name" not in document["parties"][0]
    with pytest.raises(ValueError, match="port_of_discharge") as caught:
        ManifestAdapter.validate_python(document)
    assert "parties.0.name" in str(caught.value)


def test_manifest_only_row_for_a_bill_without_lines() -> None:
    (document,) = CSV_FORMAT.decode(payload(row(line_type="", party_role="", party_name="")), CONTEXT)
    assert "parties" not in document and "containers" not in document


def test_party_id_rows_add_identifiers_to_the_party_above() -> None:
    rows = [
        row(party_id_scheme="RFC", party_id_value="DIB771110HQ1", party_id_country="MX"),
        row(line_type="party_id", party_role="", party_name="", party_id_scheme="curp", party_id_value="X1"),
    ]
    (document,) = CSV_FORMAT.decode(payload(*rows), CONTEXT)
    assert document["parties"][0]["identifiers"] == [
        {"scheme": "rfc", "value": "DIB771110HQ1", "country": "MX"},
        {"scheme": "curp", "value": "X1"},
    ]


def test_sniff() -> None:
    assert CSV_FORMAT.sniff(SAMPLE.read_bytes()[:4096])
    assert CSV_FORMAT.sniff(("\ufeff" + ",".join(reversed(REQUIRED_COLUMNS)).upper() + "\n").encode())
    # A head cut inside a UTF-8 sequence of the first line is still recognised.
    assert CSV_FORMAT.sniff((HEADER + ",x\nport-test,Café").encode()[:-1])
    assert not CSV_FORMAT.sniff(b'{"kind": "shipment"}\n')
    assert not CSV_FORMAT.sniff(b"UNA:+.? 'UNB+UNOC:3+X+Y+261120:0815+1'")
    assert not CSV_FORMAT.sniff(b"manifest_id,bill_of_lading\n")
    assert not CSV_FORMAT.sniff(b'"unterminated\n')
    assert not CSV_FORMAT.sniff(b"")


# --- rejections --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "reason", "line"),
    [
        (b"", "invalid_header", 1),
        (b"\n\n", "invalid_header", 1),
        (payload(row(), header=HEADER + ",  "), "invalid_header", 1),
        (payload(row(), header=HEADER.replace("vessel_mmsi", "Manifest_ID")), "invalid_header", 1),
        (payload(row(), header=HEADER + ",colour"), "unknown_columns", 1),
        (payload(row(), header=HEADER.replace(",port_of_discharge", "")), "missing_columns", 1),
        (payload(row(), row(party_name="Other") + ",extra"), "invalid_csv", 3),
        (payload(row(), ",".join(row().split(",")[:-1])), "invalid_csv", 3),
        (payload(row(), row(line_type="vehicle")), "invalid_csv", 3),
        (payload(row(party_role="shiper")), "invalid_csv", 2),
        (payload(row(party_kind="company")), "invalid_csv", 2),
        (payload(row(party_id_scheme="passport-ish", party_id_value="1")), "invalid_csv", 2),
        (payload(row(container_number="MSCU4719030")), "invalid_csv", 2),
        (payload(row(line_type="party_id", party_role="", party_name="", party_id_value="1")), "invalid_csv", 2),
        (payload(row(line_type="commodity", party_role="", party_name="", gross_weight_kg="21,400")), "invalid_csv", 2),
        (payload(row(line_type="commodity", party_role="", party_name="", gross_weight_kg="nan")), "invalid_csv", 2),
        (payload(row(line_type="commodity", party_role="", party_name="", gross_weight_kg="inf")), "invalid_csv", 2),
        (payload(row(), row(party_name='"unterminated')), "invalid_csv", 3),
        (payload(row(), row(party_name='"ab"c')), "invalid_csv", 3),
        (payload(row(), row(reported_at="2026-11-21T00:00:00Z")), "inconsistent_manifest", 3),
        (payload(row(), row(vessel_name="OTHER SHIP")), "inconsistent_manifest", 3),
        (payload(row(), row(bill_of_lading="BOL2"), row()), "non_consecutive_rows", 4),
        (payload(row(feed="")), "missing_feed", 2),
        (payload(row(), row()).replace(b"Someone", b"Some\xe9one", 1), "invalid_encoding", 2),
    ],
)
def test_rejections_give_reason_and_line(data: bytes, reason: str, line: int) -> None:
    error = rejected(data)
    assert (error.reason, error.line) == (reason, line), error.message
    assert error.message.startswith(f"line {line}: ")


def test_rejection_messages_name_the_column_and_the_choices() -> None:
    error = rejected(payload(row(party_role="shiper")))
    assert "column 'party_role' is 'shiper', expected one of shipper, consignee, notify_party" in error.message
    error = rejected(payload(row(), row(voyage_number="V2")))
    assert "column 'voyage_number' is 'V2' here but '' on line 2" in error.message


def test_split_rejects_what_cannot_be_framed() -> None:
    for data, reason in [
        (payload(row(), row(bill_of_lading="BOL2"), row()), "non_consecutive_rows"),
        (payload(row(), header=HEADER + ",colour"), "unknown_columns"),
        (b"", "invalid_header"),
        (payload(row(), row() + ",extra"), "invalid_csv"),
    ]:
        with pytest.raises(FormatError) as caught:
            split(data)
        assert caught.value.reason == reason


def test_split_leaves_content_errors_to_decode() -> None:
    messages = split(payload(row(party_role="shiper"), row(bill_of_lading="BOL2")))
    assert len(messages) == 2
    assert rejected(messages[0].payload).reason == "invalid_csv"
    assert CSV_FORMAT.decode(messages[1].payload, CONTEXT)[0]["bill_of_lading"] == "BOL2"


def test_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csv_format, "MAX_ROWS", 3)
    assert rejected(payload(*[row()] * 4)).reason == "too_many_rows"
    assert len(CSV_FORMAT.decode(payload(*[row()] * 3), CONTEXT)) == 1
    monkeypatch.setattr(csv_format, "MAX_FIELD_CHARS", 100)
    error = rejected(payload(row(), row(party_name='"' + "x\n" * 60 + '"')))
    assert (error.reason, error.line) == ("field_too_long", 3)
    monkeypatch.setattr(csv_format, "MAX_LINE_BYTES", 1000)
    error = rejected(payload(row(), row(party_name="y" * 1000)))
    assert (error.reason, error.line) == ("line_too_long", 3)


def test_the_real_limits_hold_against_a_huge_unterminated_field() -> None:
    error = rejected(payload(row()) + b'"' + b"z" * 300_000)
    assert error.reason in ("line_too_long", "field_too_long", "invalid_csv")


def test_encode_refuses_what_csv_cannot_carry() -> None:
    shipment = json_shipments()[0]
    for documents in (
        [{"kind": "vessel", "manifest_id": "V-1"}],
        [shipment | {"colour": "red"}],
        [shipment | {"vessel": {"name": "X", "owner": "Y"}}],
        [shipment, shipment],
        [shipment | {"transshipment_ports": ["PA;BLB"]}],
        [shipment | {"voyage_number": {"nested": 1}}],
    ):
        with pytest.raises(FormatError) as caught:
            CSV_FORMAT.encode(documents)
        assert caught.value.reason == "unsupported_document"


# --- hostile input and size ------------------------------------------------------------------------


def _decode_or_format_error(data: bytes) -> None:
    with contextlib.suppress(FormatError):
        CSV_FORMAT.decode(data, CONTEXT)
    try:
        for message in split(data):
            CSV_FORMAT.decode(message.payload, CONTEXT)
    except FormatError:
        pass


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_give_only_format_errors(data: bytes) -> None:
    _decode_or_format_error(data)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_after_a_valid_header_give_only_format_errors(tail: bytes) -> None:
    _decode_or_format_error(HEADER.encode() + b"\n" + tail)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_truncated_and_mutated_samples_give_only_format_errors(data: st.DataObject) -> None:
    sample = SAMPLE.read_bytes()
    cut = data.draw(st.integers(0, len(sample)))
    _decode_or_format_error(sample[:cut])
    mutated = bytearray(sample)
    for _ in range(data.draw(st.integers(1, 8))):
        mutated[data.draw(st.integers(0, len(sample) - 1))] = data.draw(st.sampled_from(b',"\n\r;\x00\xff\xc3ax '))
    _decode_or_format_error(bytes(mutated))


def test_five_thousand_rows_split_and_decode() -> None:
    # 500 bills of ten rows: a large customs export. No timing assertion; this must simply be quick.
    documents = []
    for number in range(500):
        document = json_shipments()[0] | {"manifest_id": f"MZO-{number:05d}", "bill_of_lading": f"BOL{number:05d}"}
        document["commodities"] = document["commodities"] * 6
        documents.append(document)
    data = CSV_FORMAT.encode(documents)
    assert data.count(b"\n") == 1 + 500 * 10
    decoded = [doc for message in split(data) for doc in CSV_FORMAT.decode(message.payload, CONTEXT)]
    assert len(decoded) == 500 and len(decoded[-1]["commodities"]) == 6
    assert len(CSV_FORMAT.decode(data, CONTEXT)) == 500
