"""The CUSCAR format: the real and the project's samples, the mapping, round trips, every rejection
with its line, hostile input."""

from __future__ import annotations

import contextlib
import copy
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydifact import Characters, Parser, Tokenizer

from services.ingest.formats import cuscar
from services.ingest.formats.base import Context, Document, FormatError, Message
from services.ingest.formats.cuscar import CUSCAR_FORMAT, CuscarFormat
from services.shared.models import ManifestAdapter
from services.shared.settings import PROJECT_ROOT

# The generated shipments of the CSV tests: the same contract, so the same generator.
from tests.unit.test_format_csv import SHIPMENTS, json_shipments, normalised

SAMPLES = PROJECT_ROOT / "feeds" / "samples"
VESSEL_REPORT = SAMPLES / "cuscar-buenaventura-vessel-report.edi"
TWO_MESSAGES = SAMPLES / "cuscar-guayaquil-two-messages.edi"
MANZANILLO = SAMPLES / "cuscar-manzanillo.edi"
CONTEXT = Context(feed=None, received_at=datetime(2026, 11, 23, tzinfo=UTC))


def split(data: bytes, fmt: CuscarFormat = CUSCAR_FORMAT) -> list[Message]:
    return list(fmt.split(io.BytesIO(data)))


def decode_messages(data: bytes, context: Context = CONTEXT) -> list[Document]:
    return [document for message in split(data) for document in CUSCAR_FORMAT.decode(message.payload, context)]


# Building interchanges for the tests: UNA on line 1, UNB on line 2, then one segment a line.
BODY = (
    "BGM+85+DOC1+9",
    "DTM+137:202611200815:203",
    "CNI+1+BOL1",
    "RFF+BM:BOL1",
    "LOC+9+COBUN:139:6",
    "LOC+11+MXZLO:139:6",
    "NAD+CZ+++Shipper Co",
)


def message(
    *body: str, reference: str = "1", count: int | str | None = None, kind: str = "CUSCAR:D:95B:UN"
) -> list[str]:
    segments = [f"UNH+{reference}+{kind}", *body]
    return [*segments, f"UNT+{len(segments) + 1 if count is None else count}+{reference}"]


def interchange(
    *messages: list[str], sender: str = "SENDER", unz: str | None = None, syntax: str = "UNOC:3", una: str = ":+.? '"
) -> bytes:
    segments = [f"UNB+{syntax}+{sender}+RECIPIENT+261120:0815+REF1", *(s for m in messages for s in m)]
    segments.append(unz if unz is not None else f"UNZ+{len(messages)}+REF1")
    terminator = una[5] if una else "'"
    head = f"UNA{una}\n" if una else ""
    return (head + f"{terminator}\n".join(segments) + f"{terminator}\n").encode("utf-8")


def one(*body: str, context: Context = CONTEXT) -> Document:
    (document,) = CUSCAR_FORMAT.decode(interchange(message(*body)), context)
    return document


def rejected(data: bytes, fmt: CuscarFormat = CUSCAR_FORMAT) -> FormatError:
    with pytest.raises(FormatError) as caught:
        fmt.decode(data, CONTEXT)
    return caught.value


# --- the real sample ------------------------------------------------------------------------------


@pytest.mark.reference
def test_real_sample_simple_edi(shared_data: Path) -> None:
    data = (shared_data / "cuscar" / "simple.edi").read_bytes()
    assert CUSCAR_FORMAT.sniff(data)
    # Its UNT says 313 segments for a message of 30: the registered format refuses it for that ...
    error = rejected(data)
    assert (error.reason, error.line) == ("segment_count_mismatch", 31)
    # ... and read without the count checks, it yields this. Not invented: what the sample lacks
    # (an HS code; a container, its goods being in bulk equipment EQD+BL) the document lacks.
    lenient = CuscarFormat(check_counts=False)
    (document,) = lenient.decode(data, CONTEXT)
    assert document == {
        "kind": "shipment",
        "feed": "SENDER",  # UNB's sender, no feed being given
        "manifest_id": "DOCREF1234",  # BGM
        "reported_at": "2019-10-21T08:52:00+00:00",  # DTM+137, format 203, read as UTC
        "bill_of_lading": "DOCV373MOB909999",  # RFF+BM
        "vessel": {"name": "TEST SHIP", "call_sign": "MEANSTRANS1234"},  # TDT+20 C222, code list 103
        "voyage_number": "TRANS1234",
        "port_of_origin": "CRMOB",  # LOC+76
        "port_of_loading": "CRMOB",  # LOC+9
        "port_of_discharge": "GBPME",  # LOC+11 (LOC+60 of the transport is not mapped)
        "parties": [  # NAD+SU (supplier) is not a party of the contract
            {"role": "consignee", "name": "ANOTHER PERSON, A COMPANY, SOMEWHERE",
             "identifiers": [{"scheme": "other", "value": "MOB00995"}]},
            {"role": "shipper", "name": "ANOTHER DIFFERENT PERSON, ANOTHER COMPANY, SOMEWHERE ELSE",
             "identifiers": [{"scheme": "other", "value": "MOB00996"}]},
        ],
        "commodities": [{"description": "FREETEXT DESC, DETAILS", "gross_weight_kg": 55814.0}],
    }  # fmt: skip
    with pytest.raises(ValueError, match=r"commodities\.0\.hs_code"):
        ManifestAdapter.validate_python(document)
    (piece,) = split(data, lenient)
    assert (piece.line, piece.key) == (2, b"SENDER:DOCREF1234")
    assert piece.payload.startswith(b"UNB+UNOB:2+SENDER+RECIPIENT+191021:1052+SRC-000001'\nUNH+MREF123456+")
    assert piece.payload.endswith(b"UNT+313+MREF123456'\nUNZ+1+SRC-000001'\n")
    assert lenient.decode(piece.payload, CONTEXT) == [document]


# --- the project's samples ------------------------------------------------------------------------


def test_vessel_report_sample_one_manifest_per_consignment() -> None:
    data = VESSEL_REPORT.read_bytes()
    (piece,) = split(data)
    assert (piece.line, piece.key) == (3, b"SPRBUN:BUNVR2611220042")
    roses, bananas = CUSCAR_FORMAT.decode(piece.payload, CONTEXT)
    assert CUSCAR_FORMAT.decode(data, CONTEXT) == [roses, bananas]
    for document in (roses, bananas):
        ManifestAdapter.validate_python(document)
    # Several consignments: each manifest id is the BGM number and the bill of lading.
    assert roses["manifest_id"] == "BUNVR2611220042/CMDUBUN2611419"
    assert bananas["manifest_id"] == "BUNVR2611220042/SUDUBUN2611502"
    assert roses["reported_at"] == "2026-11-22T19:30:00+00:00"
    assert roses["vessel"] == bananas["vessel"] == {"name": "CMA CGM MARCO POLO", "imo": "9454436", "flag": "MT"}
    assert roses["voyage_number"] == "0MX3RS1MA"
    assert (roses["port_of_loading"], roses["transshipment_ports"], roses["port_of_discharge"]) == (
        "COBUN",
        ["PABLB"],
        "MXZLO",
    )
    assert roses["place_of_destination"] == "MXGDL" and "place_of_destination" not in bananas
    # The message's carrier (NAD+CA before the first CNI) is a party of every consignment.
    carrier = {
        "role": "carrier",
        "name": "CMA CGM S.A.",
        "country": "FR",
        "address": {"street": "4 Quai d'Arenc", "city": "Marseille", "postal_code": "13002", "country": "FR"},
        "identifiers": [{"scheme": "other", "value": "CMDU"}],
    }
    assert roses["parties"][0] == bananas["parties"][0] == carrier
    assert roses["parties"][1] == {
        "role": "shipper",
        "name": "Exportadora de Flores y Follajes del Pacífico S.A.S.",  # Latin-1 (UNOC), two C080 lines
        "country": "CO",
        "address": {"street": "Calle 7 # 3-25 Zona Franca", "city": "Buenaventura", "region": "Valle del Cauca",
                    "country": "CO"},
        "identifiers": [{"scheme": "nit", "value": "900412775-2"}],
    }  # fmt: skip
    assert roses["parties"][2]["name"] == 'Importadora "La Perla" de Jalisco, S.A. de C.V.'
    # Each consignment has the containers its goods are placed in (SGP), with their seals.
    assert roses["containers"] == [
        {"number": "CMAU5120343", "seal": "CO4471201", "size_type": "45R1"},
        {"number": "TCNU8734109", "seal": "CO4471202, DIAN0098812", "size_type": "22G1"},
    ]
    assert bananas["containers"] == [{"number": "SEGU4402183", "seal": "CO4471250", "size_type": "45G1"}]
    assert roses["commodities"] == [
        {"hs_code": "060311", "description": "FRESH CUT ROSES, IN BOXES", "gross_weight_kg": 11850.5,
         "container_number": "CMAU5120343"},
        {"hs_code": "060420", "description": "FRESH FOLIAGE (RUSCUS + EUCALYPTUS)", "gross_weight_kg": 6240.0,
         "container_number": "CMAU5120343"},
        {"hs_code": "090121", "description": "ROASTED COFFEE, NOT DECAFFEINATED IN 35 KG BAGS",
         "gross_weight_kg": 18200.0, "container_number": "TCNU8734109"},  # 18.2 TNE
    ]  # fmt: skip


def test_two_message_sample_utf8_one_line_comma_decimals() -> None:
    data = TWO_MESSAGES.read_bytes()
    pieces = split(data)
    assert [(piece.line, piece.key) for piece in pieces] == [
        (1, b"PORTGYE:GYE-2026-11-0333"),
        (1, b"PORTGYE:GYE-2026-11-0310"),
    ]
    # Each piece is the original UNA and UNB, the message, and a UNZ of one message.
    assert all(piece.payload.startswith(b"UNA:+,? '\nUNB+UNOW:4+PORTGYE:ZZZ+") for piece in pieces)
    assert all(piece.payload.endswith(b"\nUNZ+1+GYE20261121'\n") for piece in pieces)
    cocoa, shrimp = [doc for piece in pieces for doc in CUSCAR_FORMAT.decode(piece.payload, CONTEXT)]
    assert CUSCAR_FORMAT.decode(data, CONTEXT) == [cocoa, shrimp]
    for document in (cocoa, shrimp):
        ManifestAdapter.validate_python(document)
    assert cocoa["manifest_id"] == "GYE-2026-11-0333"  # D00B BGM: C106 composite, first component
    assert cocoa["vessel"] == {"name": "SEABOARD PATRIOT", "call_sign": "HPYR", "flag": "PA"}
    assert cocoa["parties"][1] == {
        "role": "notify_party",
        "name": "Leonardo Caviedes Muñoz",
        "country": "CO",
        "identifiers": [{"scheme": "cedula", "value": "16593470"}],
    }
    assert cocoa["commodities"][0]["gross_weight_kg"] == 15000.75  # "15000,75"
    assert shrimp["reported_at"] == "2026-11-20T00:00:00+00:00"  # format 102, a date alone
    assert shrimp["parties"][1] == {  # name and address unstructured (C058 only)
        "role": "consignee",
        "name": "ALIMENTOS AUSTRALES SPA",
        "country": "CL",
        "address": {"full": "AV. ANDRES BELLO 2711 LAS CONDES, SANTIAGO", "country": "CL"},
    }
    assert shrimp["commodities"][0]["description"] == "Frozen shrimp (Penaeus vannamei), 20+ kg cartons"


def test_manzanillo_sample_is_the_json_sample_manifest() -> None:
    (document,) = decode_messages(MANZANILLO.read_bytes())
    (original,) = [doc for doc in json_shipments() if doc["manifest_id"] == "MZO-2026-11-0001"]
    assert normalised(document) == normalised(as_cuscar_carries(original))


def test_documented_example_is_the_documented_manifest() -> None:
    text = (PROJECT_ROOT / "docs" / "feeds" / "cuscar.md").read_text()
    example = text.split("```edifact\n", 1)[1].split("```", 1)[0]
    manifest = text.split("```json\n", 1)[1].split("```", 1)[0]
    assert CUSCAR_FORMAT.decode(example.encode("latin-1"), CONTEXT) == [json.loads(manifest)]
    context = Context(feed="port-manzanillo-mx", received_at=CONTEXT.received_at)
    assert CUSCAR_FORMAT.decode(example.encode("latin-1"), context)[0]["feed"] == "port-manzanillo-mx"


def test_sniff() -> None:
    for sample in (VESSEL_REPORT, TWO_MESSAGES, MANZANILLO):
        assert CUSCAR_FORMAT.sniff(sample.read_bytes()[:4096])
    assert CUSCAR_FORMAT.sniff(b"\xef\xbb\xbf\r\n  UNB+UNOA:1+X+Y+261120:0815+1'")
    assert CUSCAR_FORMAT.sniff(b"UNA:+.? '\nUNB+UNOC:3")
    assert not CUSCAR_FORMAT.sniff(b"UNBELIEVABLE,header\n")
    assert not CUSCAR_FORMAT.sniff(b'{"kind": "shipment"}')
    assert not CUSCAR_FORMAT.sniff(b"!AIVDM,1,1,,A,13u?etPv2;0n:dDPwUM1U1Cb069D,0*24")
    assert not CUSCAR_FORMAT.sniff(b"UNH+1+CUSCAR:D:95B:UN'")
    assert not CUSCAR_FORMAT.sniff(b"")


# --- round trips ----------------------------------------------------------------------------------


def as_cuscar_carries(document: Document) -> Document:
    """What of a shipment document CUSCAR carries (cuscar.md, "What encode writes"): the report
    time in UTC to the second; one vessel identification; no party kind; a party's first identifier,
    without its country; one country per party (the address's, when there is an address)."""
    out = copy.deepcopy(document)
    if isinstance(out.get("reported_at"), str):
        reported = datetime.fromisoformat(out["reported_at"]).astimezone(UTC).replace(microsecond=0)
        out["reported_at"] = reported.isoformat()
    vessel = out.get("vessel")
    if vessel:
        kept = next((field for field in ("imo", "call_sign", "mmsi") if vessel.get(field)), None)
        out["vessel"] = {key: value for key, value in vessel.items() if key in ("name", "flag", kept)}
    for party in out.get("parties", []):
        party.pop("kind", None)
        identifiers = party.pop("identifiers", None) or []
        if identifiers:
            party["identifiers"] = [{key: identifiers[0][key] for key in ("scheme", "value") if key in identifiers[0]}]
        address = party.pop("address", None) or {}
        country = party.get("country") or address.get("country")
        if country:
            party["country"] = country
        rest = {key: value for key, value in address.items() if key != "country" and value}
        if rest:
            party["address"] = rest | ({"country": country} if country else {})
    return out


def test_json_sample_shipments_round_trip() -> None:
    # Invalid ones included (a missing port, a malformed code): the decoder passes them through.
    documents = json_shipments()
    decoded = decode_messages(CUSCAR_FORMAT.encode(documents))
    assert [normalised(doc) for doc in decoded] == [normalised(as_cuscar_carries(doc)) for doc in documents]


def test_one_document_per_encode_concatenated_is_one_file() -> None:
    # What `interdict feed generate --format cuscar` writes: an interchange per manifest, each with its UNA.
    documents = json_shipments()
    data = b"".join(CUSCAR_FORMAT.encode([document]) for document in documents)
    decoded = decode_messages(data)
    assert [normalised(doc) for doc in decoded] == [normalised(as_cuscar_carries(doc)) for doc in documents]
    assert CUSCAR_FORMAT.decode(data, CONTEXT) == decoded


def test_encode_writes_latin1_when_it_can_and_utf8_when_it_must() -> None:
    shipment = json_shipments()[0]
    latin = CUSCAR_FORMAT.encode([shipment | {"voyage_number": "Ñandú"}])
    assert b"UNB+UNOC:3+" in latin and "Ñandú".encode("latin-1") in latin
    wide = CUSCAR_FORMAT.encode([shipment | {"voyage_number": "Łódź 東京"}])
    assert b"UNB+UNOW:4+" in wide and "Łódź 東京".encode() in wide
    assert decode_messages(wide)[0]["voyage_number"] == "Łódź 東京"


def test_encode_escapes_the_service_characters() -> None:
    shipment = json_shipments()[0]
    tricky = "O'Brien + Sons: 50% ?"
    data = CUSCAR_FORMAT.encode([shipment | {"bill_of_lading": tricky}])
    assert b"O?'Brien ?+ Sons?: 50% ??" in data
    assert decode_messages(data)[0]["bill_of_lading"] == tricky


def test_encode_wraps_long_names_at_spaces_and_keeps_unbreakable_ones_whole() -> None:
    shipment = json_shipments()[0]
    long_name = "Comercializadora Internacional de Productos Agricolas del Valle del Cauca S.A.S."
    unbreakable = "X" * 50
    parties = [{"role": "shipper", "name": long_name}, {"role": "consignee", "name": unbreakable}]
    data = CUSCAR_FORMAT.encode([shipment | {"parties": parties}])
    assert b"NAD+CZ+++Comercializadora Internacional de:Productos Agricolas del Valle del:Cauca S.A.S.'" in data
    assert [party["name"] for party in decode_messages(data)[0]["parties"]] == [long_name, unbreakable]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(SHIPMENTS)
def test_generated_shipments_round_trip(documents: list[Document]) -> None:
    # Decoded without a feed: the feed comes back from UNB's sender.
    decoded = decode_messages(CUSCAR_FORMAT.encode(documents))
    assert [ManifestAdapter.validate_python(doc) for doc in decoded] == [
        ManifestAdapter.validate_python(as_cuscar_carries(doc)) for doc in documents
    ]


# --- the mapping, segment by segment --------------------------------------------------------------


@pytest.mark.parametrize(
    ("c222", "vessel"),
    [
        ("9461374:146:11:MSC ALINA:PA", {"name": "MSC ALINA", "imo": "9461374", "flag": "PA"}),
        ("9461374:::MSC ALINA", {"name": "MSC ALINA", "imo": "9461374"}),  # unqualified, seven digits
        ("IMO9461374:ZZZ::MSC ALINA", {"name": "MSC ALINA", "imo": "IMO9461374"}),
        ("3EXV7:103::MSC ALINA", {"name": "MSC ALINA", "call_sign": "3EXV7"}),
        ("3EXV7:::MSC ALINA", {"name": "MSC ALINA", "call_sign": "3EXV7"}),
        ("352001234:::MSC ALINA", {"name": "MSC ALINA", "mmsi": "352001234"}),
        ("352001234:MMSI", {"mmsi": "352001234"}),  # no name: the model will say so
        (":::MSC ALINA", {"name": "MSC ALINA"}),
    ],
)
def test_vessel_identification(c222: str, vessel: Document) -> None:
    document = one(*BODY[:2], f"TDT+20+V1+1+++++{c222}", *BODY[2:])
    assert document["vessel"] == vessel and document["voyage_number"] == "V1"


def test_only_the_main_carriage_is_read() -> None:
    document = one(
        *BODY[:2],
        "TDT+10+FEEDER1+1+++++1234567:146:11:FEEDER",  # pre-carriage: its vessel and ports are not ours
        "LOC+9+ECGYE:139:6",
        "LOC+5+ECGYE:139:6",
        "TDT+20+V1+1+++++9461374:146:11:MSC ALINA",
        "LOC+5+COBUN:139:6",  # the main carriage's departure: the port of loading, unless a LOC+9 says
        "LOC+13+PABLB:139:6",
        "LOC+11+PECLL:139:6",
        *BODY[2:4],
        "LOC+11+MXZLO:139:6",  # the consignment's own LOC wins over the message's
        "NAD+CZ+++Shipper Co",
    )
    assert document["vessel"] == {"name": "MSC ALINA", "imo": "9461374"}
    assert (document["port_of_loading"], document["transshipment_ports"], document["port_of_discharge"]) == (
        "COBUN",
        ["PABLB"],
        "MXZLO",
    )


@pytest.mark.parametrize(
    ("dtm", "reported_at"),
    [
        ("DTM+137:20261120:102", "2026-11-20T00:00:00+00:00"),
        ("DTM+137:202611200815:203", "2026-11-20T08:15:00+00:00"),
        ("DTM+137:20261120081530:204", "2026-11-20T08:15:30+00:00"),
        ("DTM+137:261120:101", "2026-11-20T00:00:00+00:00"),
        ("DTM+137:2611200815:201", "2026-11-20T08:15:00+00:00"),
        ("DTM+137:20261120081530", "2026-11-20T08:15:30+00:00"),  # no format: told by the length
        ("DTM+132:202611250600:203", "2026-11-20T08:15:00+00:00"),  # no 137: UNB's preparation time
    ],
)
def test_dates(dtm: str, reported_at: str) -> None:
    assert one(BODY[0], dtm, *BODY[2:])["reported_at"] == reported_at


def test_arrival_is_the_last_resort_for_the_report_time() -> None:
    data = interchange(message(BODY[0], "TDT+20+V1", "DTM+132:202611250600:203", *BODY[2:]))
    data = data.replace(b"+261120:0815+", b"+2611:0815+")  # an unreadable UNB date is ignored
    assert CUSCAR_FORMAT.decode(data, CONTEXT)[0]["reported_at"] == "2026-11-25T06:00:00+00:00"


@pytest.mark.parametrize(
    ("mea", "weight"),
    [
        ("MEA+AAE+G+KGM:21400", 21400.0),
        ("MEA+AAE+G+KGM:21400.5", 21400.5),
        ("MEA+AAE+G+KGM:21400,5", 21400.5),
        ("MEA+AAE+AAB+KGM:100", 100.0),
        ("MEA+AAE+G+TNE:18.2", 18200.0),
        ("MEA+AAE+G+LBR:1000", 453.592),
        ("MEA+AAE+G+GRM:1500", 1.5),
    ],
)
def test_weights(mea: str, weight: float) -> None:
    document = one(*BODY, "GID+1", "FTX+AAA+++Goods", "PIA+5+0803.90:HS", "MEA+AAE+AAW+MTQ:30", mea)
    assert document["commodities"] == [{"hs_code": "0803.90", "description": "Goods", "gross_weight_kg": weight}]


def test_goods_items_descriptions_codes_and_placement() -> None:
    document = one(
        BODY[0],
        "EQD+CN+MSCU4719030+45R1",
        "SEL+S1",
        "EQD+TE+TRAILER1",  # not a container
        *BODY[2:],
        "GID+1+10:CT",
        "FTX+AAA+++Bananas:Cavendish",
        "FTX+AAA+++in cartons",
        "FTX+AAI+++handling remark, not the description",
        "PIA+1+ABC:SA+0803.90:HS",
        "SGP+MSCU4719030+5",
        "SGP+OTHR1234567+5",
        "GID+2",
        "FTX+AAA+++Machine parts",
        "SGP+TRAILER1",
    )
    assert document["containers"] == [{"number": "MSCU4719030", "seal": "S1", "size_type": "45R1"}]
    assert document["commodities"] == [
        {"hs_code": "0803.90", "description": "Bananas Cavendish in cartons", "container_number": "MSCU4719030"},
        {"description": "Machine parts"},  # in a trailer, not a container; no HS code: the model will say so
    ]


def test_parties_roles_and_names() -> None:
    document = one(
        *BODY[:6],
        "NAD+MS+SENDERID",  # message sender: not a party of the contract
        "NAD+SU+++Supplier",
        "NAD+CZ+DIB771110HQ1:RFC++Shipper:Company SA+Street 1:Floor 2+City+Region+12345+MX",
        "NAD+CN++Consignee Ltd:10 Harbour Road:Kingston",
        "NAD+N1+X1:160:ZZZ+++++++JM",
        "NAD+N2+++Second Notify",
        "NAD+CA+++Carrier",
        "NAD+FW+++Forwarder",
    )
    assert document["parties"] == [
        {"role": "shipper", "name": "Shipper Company SA", "country": "MX",
         "address": {"street": "Street 1 Floor 2", "city": "City", "region": "Region", "postal_code": "12345",
                     "country": "MX"},
         "identifiers": [{"scheme": "rfc", "value": "DIB771110HQ1"}]},
        {"role": "consignee", "name": "Consignee Ltd", "address": {"full": "10 Harbour Road Kingston"}},
        {"role": "notify_party", "country": "JM", "identifiers": [{"scheme": "other", "value": "X1"}]},
        {"role": "notify_party", "name": "Second Notify"},
        {"role": "carrier", "name": "Carrier"},
        {"role": "freight_forwarder", "name": "Forwarder"},
    ]  # fmt: skip


def test_bill_of_lading_falls_back_to_cni() -> None:
    assert one(BODY[0], "CNI+1+DOC42", "NAD+CZ+++S")["bill_of_lading"] == "DOC42"
    assert one(BODY[0], "CNI+1+DOC42", "RFF+BH:HOUSE1", "NAD+CZ+++S")["bill_of_lading"] == "HOUSE1"


def test_feed_given_with_the_message_wins_over_the_sender() -> None:
    context = Context(feed="configured-feed", received_at=CONTEXT.received_at)
    assert one(*BODY, context=context)["feed"] == "configured-feed"
    assert one(*BODY)["feed"] == "SENDER"


def test_missing_values_are_left_for_the_models_to_name() -> None:
    document = one("BGM+85++9", "CNI+1", "NAD+CZ")
    assert document == {
        "kind": "shipment",
        "feed": "SENDER",
        "reported_at": "2026-11-20T08:15:00+00:00",
        "parties": [{"role": "shipper"}],
    }


def test_several_interchanges_each_with_its_own_service_characters() -> None:
    first = interchange(message(*BODY))
    second = interchange(message(*(segment.replace("+", "*") for segment in BODY)), una=":*.? '").replace(
        b"UNB+UNOC:3+SENDER+RECIPIENT+261120:0815+REF1", b"UNB*UNOC:3*OTHER*RECIPIENT*261120:0815*REF1"
    )
    second = second.replace(b"UNH+1+", b"UNH*1*").replace(b"UNT+", b"UNT*").replace(b"+1'", b"*1'")
    second = second.replace(b"UNZ+1+REF1", b"UNZ*1*REF1")
    third = interchange(message(*BODY), una="")  # no UNA after a UNZ: the defaults again
    data = b"\xef\xbb\xbf\n" + first + second + third
    documents = CUSCAR_FORMAT.decode(data, CONTEXT)
    assert [doc["feed"] for doc in documents] == ["SENDER", "OTHER", "SENDER"]
    assert documents[0] == documents[2] == documents[1] | {"feed": "SENDER"}
    assert decode_messages(data) == documents
    assert [piece.line for piece in split(data)] == [4, 16, 27]


def test_functional_groups_are_counted_by_unz() -> None:
    segments = ["UNG+CUSCAR+SENDER+RECIPIENT+261120:0815+G1+UN+D:95B", *message(*BODY), "UNE+1+G1"]
    data = interchange(segments, unz="UNZ+1+REF1")
    assert CUSCAR_FORMAT.decode(data, CONTEXT)[0]["manifest_id"] == "DOC1"
    assert [doc["manifest_id"] for doc in decode_messages(data)] == ["DOC1"]


# --- rejections -------------------------------------------------------------------------------------


def _bad_una(text: str) -> bytes:
    return f"UNA{text}\nUNB+UNOC:3+S+R+261120:0815+1'".encode()


@pytest.mark.parametrize(
    ("data", "reason", "line"),
    [
        (b"UNA:+", "invalid_edifact", 1),
        (_bad_una("::.? '"), "invalid_edifact", 1),
        (_bad_una(":+.A '"), "invalid_edifact", 1),
        (interchange(message(*BODY))[:-8], "invalid_edifact", 12),  # cut inside UNZ
        (interchange(message(*BODY, "ftx+AAA+++lower case tag")), "invalid_edifact", 11),
        (interchange(message(*BODY, "FTX+AAA+++A?\nB")), "invalid_edifact", 11),
        (
            interchange(message(*BODY, "NAD+CZ+++Caf\xe9"), syntax="UNOA:1").replace(b"\xc3\xa9", b"\xe9"),
            "invalid_encoding",
            11,
        ),  # UNOA, read as UTF-8
        (interchange(message(*BODY), syntax="UNOW:4").replace(b"Shipper", b"Sh\xffpper"), "invalid_encoding", 10),
        (b"\n".join(interchange(message(*BODY)).splitlines()[2:]), "invalid_envelope", 1),  # no UNA, no UNB
        (interchange(message(*BODY))[: -len(b"UNZ+1+REF1'\n")], "invalid_envelope", 2),
        (interchange(message(*BODY)).replace(b"UNZ", b"UNA:+.? 'UNZ"), "invalid_envelope", 12),  # UNA before UNZ
        (interchange(message(*BODY), unz="UNB+UNOC:3+S+R+261120:0815+2"), "invalid_envelope", 12),
        (interchange(["BGM+85+X+9"]), "missing_unh", 3),
        (interchange(), "missing_unh", 1),
        (interchange(message(*BODY)[:-1], message(*BODY, reference="2")), "missing_unt", 11),
        (interchange(message(*BODY)[:-1]), "missing_unt", 11),
        (interchange(message(*BODY, count=99)), "segment_count_mismatch", 11),
        (interchange(message(*BODY, count=None)).replace(b"UNT+9+", b"UNT+nine+"), "segment_count_mismatch", 11),
        (interchange(message(*BODY, count="9" * 5000)), "segment_count_mismatch", 11),
        (interchange(message(*BODY), unz="UNZ+2+REF1"), "message_count_mismatch", 12),
        (interchange(message(*BODY)).replace(b"UNT+9+1", b"UNT+9+2"), "reference_mismatch", 11),
        (interchange(message(*BODY), unz="UNZ+1+OTHER"), "reference_mismatch", 12),
        (interchange(message(*BODY, kind="IFTMIN:D:95B:UN")), "unsupported_message", 3),
        (interchange(message(*BODY[:2], "NAD+CZ+++S")), "no_consignment", 3),
        (interchange(message(*BODY), sender=""), "missing_feed", 2),
        (interchange(message("DTM+137:20261320:102", *BODY[2:])), "invalid_date", 4),
        (interchange(message("DTM+137:2026-11-20:102", *BODY[2:])), "invalid_date", 4),
        (interchange(message("DTM+137:20261120:999", *BODY[2:])), "invalid_date", 4),
        (interchange(message("DTM+137:2026112:102", *BODY[2:])), "invalid_date", 4),
        (interchange(message(*BODY, "GID+1", "MEA+AAE+G+XYZ:10")), "invalid_value", 12),
        (interchange(message(*BODY, "GID+1", "MEA+AAE+G+KGM:1e5")), "invalid_value", 12),
        (interchange(message(*BODY, "GID+1", "MEA+AAE+G+KGM:" + "9" * 400)), "invalid_value", 12),
        (interchange(message(*BODY, "FTX+AAA+++" + "x" * 70_000)), "segment_too_long", 11),
    ],
)
def test_rejections_give_reason_and_line(data: bytes, reason: str, line: int) -> None:
    error = rejected(data)
    assert (error.reason, error.line) == (reason, line), error.message
    assert error.message.startswith(f"line {line}: ")


def test_segment_count_and_size_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    # The real limit, with a message of tens of thousands of repeated segments.
    flood = interchange(message(*BODY, *["GID+1"] * cuscar.MAX_SEGMENTS))
    assert len(flood) < cuscar.MAX_PAYLOAD_BYTES
    assert rejected(flood).reason == "too_many_segments"
    assert rejected(b"UNB+UNOC:3+S+R+261120:0815+1'" + b" " * cuscar.MAX_PAYLOAD_BYTES).reason == "too_large"
    monkeypatch.setattr(cuscar, "MAX_SEGMENTS", 12)
    assert rejected(interchange(message(*BODY, "GID+1"))).reason == "too_many_segments"
    assert CUSCAR_FORMAT.decode(interchange(message(*BODY)), CONTEXT)


def test_split_checks_the_envelope_and_leaves_the_message_to_decode() -> None:
    bad_count = interchange(message(*BODY, count=99), message(*BODY, reference="2"))
    first, second = split(bad_count)
    assert rejected(first.payload).reason == "segment_count_mismatch"
    assert CUSCAR_FORMAT.decode(second.payload, CONTEXT)[0]["manifest_id"] == "DOC1"
    for data, reason in [
        (interchange(message(*BODY), unz="UNZ+2+REF1"), "message_count_mismatch"),
        (interchange(message(*BODY), unz="UNZ+1+OTHER"), "reference_mismatch"),
        (interchange(message(*BODY)[:-1]), "missing_unt"),
        (interchange(["BGM+85+X+9"]), "missing_unh"),
        (interchange(message(*BODY))[:-8], "invalid_edifact"),
        (b"UNH+1+CUSCAR:D:95B:UN'", "invalid_envelope"),
    ]:
        with pytest.raises(FormatError) as caught:
            split(data)
        assert caught.value.reason == reason


def test_encode_refuses_what_cuscar_cannot_carry() -> None:
    shipment = json_shipments()[0]
    for documents in (
        [{"kind": "vessel", "manifest_id": "V-1", "feed": "f"}],
        [shipment | {"colour": "red"}],
        [shipment | {"feed": None}],
        [shipment | {"reported_at": "yesterday"}],
        [shipment | {"parties": [{"role": "owner", "name": "X"}]}],
        [shipment | {"commodities": [{"hs_code": "0803", "description": "x", "gross_weight_kg": "heavy"}]}],
        [shipment | {"commodities": [{"hs_code": "0803", "description": "x", "gross_weight_kg": float("inf")}]}],
        [shipment | {"voyage_number": 12}],
    ):
        with pytest.raises(FormatError) as caught:
            CUSCAR_FORMAT.encode(documents)
        assert caught.value.reason == "unsupported_document"


# --- hostile input ----------------------------------------------------------------------------------


def _decode_or_format_error(data: bytes) -> None:
    with contextlib.suppress(FormatError):
        CUSCAR_FORMAT.decode(data, CONTEXT)
    try:
        for piece in split(data):
            CUSCAR_FORMAT.decode(piece.payload, CONTEXT)
    except FormatError:
        pass


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_give_only_format_errors(data: bytes) -> None:
    _decode_or_format_error(data)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from([b"UNA:+.? '", b"UNB+", b"UNA:+.? 'UNB+UNOC:3+S+R+261120:0815+1'UNH+1+"]), st.binary(max_size=99)
)
def test_random_bytes_after_an_edifact_start_give_only_format_errors(head: bytes, tail: bytes) -> None:
    _decode_or_format_error(head + tail)


SEGMENTS = [
    line
    for sample in (VESSEL_REPORT, TWO_MESSAGES, MANZANILLO)
    for line in sample.read_bytes().replace(b"'", b"'\n").splitlines()
    if line.strip()
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(SEGMENTS), max_size=60))
def test_valid_segments_in_any_order_give_only_format_errors(segments: list[bytes]) -> None:
    _decode_or_format_error(b"\n".join(segments))


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_truncated_and_mutated_samples_give_only_format_errors(data: st.DataObject) -> None:
    sample = data.draw(st.sampled_from([VESSEL_REPORT, TWO_MESSAGES, MANZANILLO])).read_bytes()
    cut = data.draw(st.integers(0, len(sample)))
    _decode_or_format_error(sample[:cut])
    mutated = bytearray(sample)
    for _ in range(data.draw(st.integers(1, 8))):
        mutated[data.draw(st.integers(0, len(sample) - 1))] = data.draw(st.sampled_from(b"'+:?\n\x00\xffUNAZ 9"))
    _decode_or_format_error(bytes(mutated))


def test_every_truncation_of_a_sample_is_refused_or_a_whole_message() -> None:
    sample = MANZANILLO.read_bytes()
    complete = CUSCAR_FORMAT.decode(sample, CONTEXT)
    for cut in range(len(sample)):
        try:
            documents = CUSCAR_FORMAT.decode(sample[:cut], CONTEXT)
        except FormatError:
            continue
        assert documents == complete, cut  # only the trailing newline may be cut


def test_many_messages_split_and_decode() -> None:
    # 500 bills of lading in one file: no timing assertion, this must simply be quick.
    documents = [
        json_shipments()[0] | {"manifest_id": f"MZO-{number:05d}", "bill_of_lading": f"BOL{number:05d}"}
        for number in range(500)
    ]
    decoded = decode_messages(CUSCAR_FORMAT.encode(documents))
    assert [doc["manifest_id"] for doc in decoded] == [doc["manifest_id"] for doc in documents]


def test_documents_are_plain_json() -> None:
    documents = CUSCAR_FORMAT.decode(VESSEL_REPORT.read_bytes(), CONTEXT)
    assert json.loads(json.dumps(documents)) == documents


@settings(max_examples=1000)
@given(
    st.lists(
        st.lists(st.text(alphabet="AB9 .-/:+?'\n", min_size=0, max_size=6), min_size=1, max_size=4),
        min_size=1,
        max_size=8,
    )
)
def test_the_fast_segment_split_is_pydifacts(elements: list[list[str]]) -> None:
    """Where the fast path answers, it answers what pydifact's tokenizer and parser answer."""
    characters = Characters()
    text = "TAG+" + "+".join(":".join(element) for element in elements) + "'"
    fast = cuscar.split_plain_segment(text, characters)
    if fast is None:
        return
    tokens = Tokenizer().get_tokens(text, characters)
    assert fast == next(iter(Parser(characters=characters).convert_tokens_to_raw_segments(tokens)))
