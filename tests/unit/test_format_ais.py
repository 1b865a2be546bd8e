"""The AIS format: NMEA 0183 sentences split, reassembled, decoded and encoded (services/ingest/formats/ais.py)."""

from __future__ import annotations

import io
from collections import Counter
from datetime import UTC, datetime, timedelta
from functools import reduce
from operator import xor
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyais import encode_dict
from pyais.constants import ShipType
from pyais.messages import to_lat_lon, to_lat_lon_600
from pyais.util import SIX_BIT_ENCODING

from services.ingest.formats.ais import (
    AIS_FORMAT,
    ETA_LOOKBACK,
    MAX_FRAGMENT_GAP,
    MAX_LINE,
    NAVIGATION_STATUSES,
    SHIP_TYPES,
)
from services.ingest.formats.base import Context, Document, FormatError, Message
from services.shared.models.ais import AisReport
from services.shared.models.manifest import VesselManifest
from services.shared.settings import PROJECT_ROOT

#: The sentences of GPSD's real sample (BSD licence, credited in tests/data/README.md).
GPSD_SAMPLE = PROJECT_ROOT / "tests" / "data" / "ais" / "gpsd-sample-sentences.aivdm"
VESSELS_SAMPLE = PROJECT_ROOT / "feeds" / "samples" / "vessels.aivdm"
RECEIVED = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
CONTEXT = Context(feed="coast-rx", received_at=RECEIVED)
#: What pyais's encode_dict takes.
AisData = dict[str, str | int | float | bytes | bool]
PROPERTIES = settings(max_examples=300, deadline=None, database=None)

# Real sentences (gpsd's sample): EVER DIADEM's static and voyage data in two fragments, and positions.
EVER_DIADEM = [
    "!AIVDM,2,1,1,A,55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp8,0*1C",
    "!AIVDM,2,2,1,A,88888888880,2*25",
]
TYPE_1 = "!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A"
TYPE_4 = "!AIVDM,1,1,,A,403OviQuMGCqWrRO9>E6fE700@GO,0*4D"
TYPE_18 = "!AIVDM,1,1,,A,B52K>;h00Fc>jpUlNV@ikwpUoP06,0*4C"
TYPE_19 = "!AIVDM,1,1,,B,C5N3SRgPEnJGEBT>NhWAwwo862PaLELTBJ:V00000000S0D:R220,0*0B"
TYPE_24A = "!AIVDM,1,1,,A,H42O55i18tMET00000000000000,2*6D"
TYPE_24B = "!AIVDM,1,1,,A,H42O55lti4hhhilD3nink000?050,0*40"
TYPE_27 = "!AIVDM,1,1,,B,KC5E2b@U19PFdLbMuc5=ROv62<7m,0*16"
REAL_SENTENCES = [*EVER_DIADEM, TYPE_1, TYPE_4, TYPE_18, TYPE_19, TYPE_24A, TYPE_24B, TYPE_27]


def decode(*lines: str, context: Context = CONTEXT) -> list[Document]:
    return AIS_FORMAT.decode("\n".join(lines).encode(), context)


def reason_of(*lines: str) -> str:
    with pytest.raises(FormatError) as caught:
        decode(*lines)
    return caught.value.reason


def split(text: str | bytes) -> list[Message]:
    data = text.encode() if isinstance(text, str) else text
    return list(AIS_FORMAT.split(io.BytesIO(data)))


def nmea(body: str) -> str:
    """A sentence with the right checksum around `body` (what lies between '!' and '*')."""
    return f"!{body}*{reduce(xor, body.encode(), 0):02X}"


def tag_block(fields: str) -> str:
    return f"\\{fields}*{reduce(xor, fields.encode(), 0):02X}\\"


def at(time: datetime) -> str:
    return tag_block(f"c:{int(time.timestamp())}")


def armour(value: int) -> str:
    return chr(value + 48 if value < 40 else value + 56)


def static_voyage(eta: tuple[int, int, int, int], time: datetime) -> list[str]:
    month, day, hour, minute = eta
    data: AisData = {"type": 5, "mmsi": 356914000, "imo": 9482263, "callsign": "3EXY7", "shipname": "AURORA PACIFICO",
            "ship_type": 70, "destination": "PA BLB", "month": month, "day": day, "hour": hour, "minute": minute}
    return [at(time) + sentence for sentence in encode_dict(data, sentence_type="VDM")]


def mmsi_of(document: Document) -> str:
    return str(document["vessel"]["mmsi"] if document["kind"] == "vessel" else document["mmsi"])


def validate(document: Document) -> None:
    if document["kind"] == "vessel":
        VesselManifest.model_validate(document)
    else:
        AisReport.model_validate(document)


# -- the real gpsd sample --------------------------------------------------------------------------


def outcomes(data: bytes) -> tuple[list[tuple[Message, list[Document]]], list[tuple[Message, FormatError]]]:
    decoded, refused = [], []
    for message in AIS_FORMAT.split(io.BytesIO(data)):
        try:
            decoded.append((message, AIS_FORMAT.decode(message.payload, CONTEXT)))
        except FormatError as error:
            refused.append((message, error))
    return decoded, refused


@pytest.fixture(scope="module")
def gpsd_sample() -> bytes:
    return GPSD_SAMPLE.read_bytes()


def test_the_gpsd_sample_is_recognised_and_every_message_decodes_or_is_refused(gpsd_sample: bytes) -> None:
    assert AIS_FORMAT.sniff(gpsd_sample[:4096])
    decoded, refused = outcomes(gpsd_sample)
    kinds = Counter((document["kind"], document.get("message_type")) for _, documents in decoded
                    for document in documents)
    assert kinds == {
        ("vessel", None): 7,  # type 5 x3 (EVER DIADEM, and the two multiplexed ones), 19, 24 part A x3
        ("ais_report", 1): 4, ("ais_report", 2): 1, ("ais_report", 3): 1, ("ais_report", 18): 3,
        ("ais_report", 19): 1, ("ais_report", 24): 4, ("ais_report", 27): 2,
    }
    reasons = Counter(error.reason for _, error in refused)
    # Invalid: the fragment that lost its '!', and the two lines whose end is written as "\x0d\x0a" text.
    assert reasons == {"unsupported_ais_type": 79, "invalid_ais": 3}
    for message, documents in decoded:
        for document in documents:
            assert message.key == f"ais:{mmsi_of(document)}".encode()
            validate(document)


def test_ever_diadem_becomes_a_vessel_manifest(gpsd_sample: bytes) -> None:
    decoded, _ = outcomes(gpsd_sample)
    (message, documents), = [(m, d) for m, d in decoded if d[0].get("manifest_id") == "ais-351759000"]
    assert message.key == b"ais:351759000"
    assert message.payload.decode().splitlines() == EVER_DIADEM
    assert documents == [{
        "kind": "vessel", "manifest_id": "ais-351759000", "feed": "coast-rx", "reported_at": RECEIVED.isoformat(),
        "vessel": {"name": "EVER DIADEM", "imo": "9134270", "mmsi": "351759000", "call_sign": "3FOF8",
                   "vessel_type": "Cargo"},
        # The sample's comment says 16:00; the bits say 14:00 (pyais and gpsd's own decoder agree).
        "voyage": {"destination": "NEW YORK", "eta": "2026-05-15T14:00:00+00:00"},
    }]


def test_multiplexed_channels_are_reassembled_each_on_its_own(gpsd_sample: bytes) -> None:
    decoded, _ = outcomes(gpsd_sample)
    health_control = [(m.line, d[0]["vessel"]["call_sign"]) for m, d in decoded
                      if d[0].get("manifest_id") == "ais-271010059"]
    assert sorted(health_control) == [(87, "TCA2350"), (88, "TCA2350")]  # lines in the file


# -- fragments -------------------------------------------------------------------------------------


def test_fragments_in_one_payload_are_reassembled() -> None:
    (document,) = decode(*EVER_DIADEM)
    assert document["vessel"]["name"] == "EVER DIADEM"


@pytest.mark.parametrize("lines", [
    [EVER_DIADEM[0]],  # the second is missing
    [EVER_DIADEM[1]],  # the first is missing
    [EVER_DIADEM[1], EVER_DIADEM[0]],  # out of order
    [EVER_DIADEM[0], EVER_DIADEM[0], EVER_DIADEM[1]],  # the first repeated
    [EVER_DIADEM[0], nmea("AIVDM,3,2,1,A,88888888880,2")],  # the counts disagree
    [EVER_DIADEM[0], nmea("AIVDM,2,2,2,A,88888888880,2")],  # another message's second fragment
    [EVER_DIADEM[0], nmea("AIVDM,2,2,1,B,88888888880,2")],  # the other channel's
], ids=["missing-last", "missing-first", "out-of-order", "repeated", "counts-disagree", "other-id", "other-channel"])
def test_broken_fragment_groups_are_incomplete(lines: list[str]) -> None:
    assert reason_of(*lines) == "incomplete_ais"


def test_split_groups_fragments_and_keys_by_mmsi() -> None:
    text = f"# a comment\n\n{EVER_DIADEM[0]}\n{EVER_DIADEM[1]}\n{TYPE_1}\n"
    messages = split(text)
    assert [(m.line, m.key) for m in messages] == [(3, b"ais:351759000"), (5, b"ais:371798000")]
    assert messages[0].payload == "\n".join(EVER_DIADEM).encode()


def test_split_interleaves_channels_as_receivers_do() -> None:
    other = [line.replace(",1,A,", ",7,B,") for line in EVER_DIADEM]
    other = [nmea(line[1:line.index("*")]) for line in other]
    messages = split("\n".join([EVER_DIADEM[0], other[0], TYPE_1, EVER_DIADEM[1], other[1]]))
    assert sorted(m.line for m in messages) == [1, 2, 3]
    for message in messages:
        assert AIS_FORMAT.decode(message.payload, CONTEXT)


def test_split_emits_broken_groups_instead_of_dropping_them() -> None:
    text = "\n".join([EVER_DIADEM[1], TYPE_1, EVER_DIADEM[0]])  # second fragment first: both incomplete
    messages = split(text)
    assert sorted(m.line for m in messages) == [1, 2, 3]
    assert [m.key for m in sorted(messages, key=lambda m: m.line)] == [None, b"ais:371798000", None]
    for message in messages:
        if message.key is None:
            with pytest.raises(FormatError) as caught:
                AIS_FORMAT.decode(message.payload, CONTEXT)
            assert caught.value.reason == "incomplete_ais"


def test_split_gives_up_a_group_left_open_too_long() -> None:
    lines = [EVER_DIADEM[0], *[TYPE_1] * (MAX_FRAGMENT_GAP + 1), EVER_DIADEM[1]]
    messages = split("\n".join(lines))
    broken = [m for m in messages if m.key is None]
    assert sorted(m.line for m in broken) == [1, len(lines)]
    assert len(messages) == len(lines)


def test_within_the_gap_a_group_is_still_completed() -> None:
    lines = [EVER_DIADEM[0], *[TYPE_1] * (MAX_FRAGMENT_GAP - 1), EVER_DIADEM[1]]
    messages = split("\n".join(lines))
    assert all(m.key is not None for m in messages)
    assert len(messages) == len(lines) - 1


def test_over_long_lines_are_cut_and_sent_to_be_refused() -> None:
    data = b"!AIVDM,1,1,,A," + b"1" * 100_000 + b",0*00\n#" + b"x" * 5000 + b"\n" + TYPE_1.encode() + b"\n"
    messages = split(data)
    assert [(m.line, m.key) for m in messages] == [(1, None), (3, b"ais:371798000")]
    assert len(messages[0].payload) == MAX_LINE + 1
    with pytest.raises(FormatError) as caught:
        AIS_FORMAT.decode(messages[0].payload, CONTEXT)
    assert caught.value.reason == "invalid_ais"


# -- what is refused -------------------------------------------------------------------------------


def test_a_bad_checksum_is_invalid() -> None:
    assert reason_of(TYPE_1.replace("*4A", "*4B")) == "invalid_ais"
    assert reason_of(TYPE_1.replace("15RT", "15RU")) == "invalid_ais"


@pytest.mark.parametrize("line", [
    "AIVDM,2,2,1,B,00000000000,2*26",  # no '!'
    "$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47",
    nmea("AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208C~,0"),  # '~' is not 6-bit armour
    nmea("AIVDM,1,1,,A,15RTgt0PAso;90TKc,0"),  # a type 1 too short for its fields
    nmea("AIVDM,1,1,,A,,0"),  # no payload
    nmea("AIVDM,0,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0"),  # fragment 1 of 0
    nmea("AIVDM,12,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0"),  # twelve fragments
    nmea("AIVDM,2,3,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0"),  # fragment 3 of 2
    nmea("AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,6"),  # six fill bits
    nmea("AIVDM,1,1,,A,05RTgt0PAso;90TKcjM8h6g208CQ,0"),  # type 0 does not exist
    nmea("AIVDM,1,1,,A,t5RTgt0PAso;90TKcjM8h6g208CQ,0"),  # nor type 60
    "!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A\\x0d\\x0a",
    "!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0",  # no checksum
    "\\c:1700000000*00\\" + TYPE_1,  # tag block checksum wrong
    "\\c:1700000000" + TYPE_1,  # tag block not closed
    tag_block("c:12") + TYPE_1,  # 1970
    tag_block("c:99999999999999") + TYPE_1,  # milliseconds, but in 5138
    tag_block("c:17e8") + TYPE_1,
    "!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A" + "\u00e9",
    "# only a comment",
    "",
], ids=lambda line: line[:40])
def test_what_is_not_an_ais_sentence_is_invalid(line: str) -> None:
    assert reason_of(line) == "invalid_ais"


def test_type_24_parts_other_than_a_and_b_are_invalid() -> None:
    payload = TYPE_24A.split(",")[5]
    seventh = ord(payload[6]) - 48
    seventh = seventh - 8 if seventh > 40 else seventh
    part_2 = payload[:6] + armour((seventh & ~3) | 2) + payload[7:]
    assert reason_of(nmea(f"AIVDM,1,1,,A,{part_2},2")) == "invalid_ais"


@pytest.mark.parametrize("line", [TYPE_4, "!AIVDM,1,1,,B,6B?n;be:cbapalgc;i6?Ow4,2*4A",
                                  "!AIVDM,1,1,,B,91b55wi;hbOS@OdQAC062Ch2089h,0*30"])
def test_types_not_kept_are_refused_as_unsupported(line: str) -> None:
    assert reason_of(line) == "unsupported_ais_type"


def test_a_batch_is_refused_whole_with_the_line_of_its_bad_message() -> None:
    with pytest.raises(FormatError) as caught:
        decode(TYPE_1, *EVER_DIADEM, TYPE_4, TYPE_18)
    assert (caught.value.reason, caught.value.line) == ("unsupported_ais_type", 4)


def test_a_batch_of_complete_messages_decodes_in_order() -> None:
    documents = decode(TYPE_1, EVER_DIADEM[0], TYPE_18, EVER_DIADEM[1], TYPE_24B)
    assert [d.get("message_type", d["kind"]) for d in documents] == [1, "vessel", 18, 24]


# -- what the documents say ------------------------------------------------------------------------


def test_positions_become_ais_reports() -> None:
    (report,) = decode(TYPE_1)
    assert report == {
        "kind": "ais_report", "feed": "coast-rx", "mmsi": "371798000", "message_type": 1,
        "at": RECEIVED.isoformat(), "latitude": 48.381633, "longitude": -123.395383, "speed_knots": 12.3,
        "course": 224.0, "heading": 215, "navigation_status": "Under way using engine",
    }
    (class_b,) = decode(TYPE_18)
    assert (class_b["heading"], class_b["navigation_status"], class_b["speed_knots"]) == (None, None, 0.1)
    (long_range,) = decode(TYPE_27)
    assert (long_range["message_type"], long_range["heading"], long_range["speed_knots"]) == (27, None, 57.0)


def test_not_available_values_become_none() -> None:
    data: AisData = {"type": 1, "mmsi": 367514290, "lat": 91, "lon": 181, "speed": 102.3, "course": 360, "heading": 511,
            "status": 15}
    (report,) = decode(*encode_dict(data))
    assert [report[key] for key in ("latitude", "longitude", "speed_knots", "course", "heading",
                                    "navigation_status")] == [None] * 6


def test_class_b_identities() -> None:
    vessel, position = decode(TYPE_19)
    assert vessel["vessel"] == {"name": "CAPT.J.RIMES", "mmsi": "367059850", "vessel_type": "Cargo"}
    assert "voyage" not in vessel
    assert (position["message_type"], position["speed_knots"], position["course"]) == (19, 8.7, 335.9)
    (name,) = decode(TYPE_24A)
    assert name["vessel"] == {"name": "PROGUY", "mmsi": "271041815"}
    (static,) = decode(TYPE_24B)
    assert (static["call_sign"], static["ship_type"], static["message_type"]) == ("TC6163", "Passenger", 24)


def test_the_tag_block_time_is_used() -> None:
    time = datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    (report,) = decode(tag_block("s:rx-1,c:1700000000") + TYPE_1)
    assert report["at"] == time.isoformat()
    (report,) = decode(tag_block("c:1700000000123,s:rx-1") + TYPE_1)  # milliseconds
    assert report["at"].startswith("2023-11-14T22:13:20.123")
    (vessel,) = decode(*(tag_block("c:1700000000") + line for line in EVER_DIADEM))
    assert vessel["reported_at"] == time.isoformat()
    assert vessel["voyage"]["eta"] == "2024-05-15T14:00:00+00:00"


def test_receiver_metadata_after_the_checksum_is_accepted_and_its_time_used() -> None:
    (report,) = decode(TYPE_1 + ",s28089,d-103,T39.44353985,x147521,r08TPHI1,1242958962")
    assert report["at"] == datetime.fromtimestamp(1242958962, UTC).isoformat()
    (report,) = decode(TYPE_1 + ",b003660465")
    assert report["at"] == RECEIVED.isoformat()


def test_without_a_time_the_receive_time_is_used_naive_taken_as_utc() -> None:
    (report,) = decode(TYPE_1, context=Context(feed=None, received_at=datetime(2026, 1, 2, 3, 4, 5)))
    assert (report["at"], report["feed"]) == ("2026-01-02T03:04:05+00:00", "ais")


@pytest.mark.parametrize(("reported", "eta", "expected"), [
    (datetime(2026, 3, 2, 14, tzinfo=UTC), (3, 4, 6, 30), "2026-03-04T06:30:00+00:00"),
    (datetime(2026, 1, 5, tzinfo=UTC), (12, 28, 8, 0), "2025-12-28T08:00:00+00:00"),  # stale, not next year's
    (datetime(2026, 12, 20, tzinfo=UTC), (1, 3, 8, 0), "2027-01-03T08:00:00+00:00"),  # across the new year
    (datetime(2026, 3, 2, tzinfo=UTC), (1, 15, 8, 0), "2027-01-15T08:00:00+00:00"),  # beyond the lookback
    (datetime(2027, 6, 1, tzinfo=UTC), (2, 29, 12, 0), "2028-02-29T12:00:00+00:00"),  # the next leap year
    (datetime(2026, 6, 1, tzinfo=UTC), (2, 29, 12, 0), None),  # no 29 February in 2026 or 2027
    (datetime(2026, 3, 2, tzinfo=UTC), (4, 31, 12, 0), None),
    (datetime(2026, 3, 2, tzinfo=UTC), (0, 0, 24, 60), None),  # AIS's "not available"
    (datetime(2026, 3, 2, tzinfo=UTC), (3, 4, 24, 0), None),
    (datetime(2026, 3, 2, tzinfo=UTC), (3, 4, 6, 60), None),
    (datetime(2026, 3, 2, tzinfo=UTC), (3, 0, 6, 0), None),
    (datetime(2026, 3, 2, tzinfo=UTC), (15, 4, 6, 0), None),
])
def test_the_eta_year_is_the_first_after_the_report_minus_the_lookback_of_30_days(
    reported: datetime, eta: tuple[int, int, int, int], expected: str | None
) -> None:
    (vessel,) = decode(*static_voyage(eta, reported))
    assert vessel["voyage"].get("eta") == expected
    assert vessel["voyage"]["destination"] == "PA BLB"


def test_every_ship_type_has_a_readable_name() -> None:
    assert {member.value for member in ShipType} - {0} == set(SHIP_TYPES)
    assert SHIP_TYPES[70] == "Cargo" and SHIP_TYPES[84] == "Tanker, hazardous category D"
    assert len(set(SHIP_TYPES.values())) == len(SHIP_TYPES)


# -- sniffing --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("head", "expected"), [
    (TYPE_1.encode(), True),
    (b"!AIVDO,1,1,,,B>qc:003wk?8mP=18D3Q3wgTiT;T,0*13", True),
    (b"\xef\xbb\xbf# receiver dump\n\n" + b"!BSVDM,1,1,,B,15M67FC000G?ufbE`FepT@3n00Sa,0*5C", True),
    (b"\\s:2573535,c:1671533231*08\\!ABVDM,2,2,8,B,00000000000,2*36", True),
    (b'{"kind": "vessel"}', False),
    (b"$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47", False),
    (b"manifest_id,feed,kind\n", False),
    (b"UNA:+.? 'UNB+UNOA:2", False),
    (b"", False),
])
def test_sniff(head: bytes, expected: bool) -> None:
    assert AIS_FORMAT.sniff(head) is expected


# -- encoding --------------------------------------------------------------------------------------


def test_encoded_vessels_are_two_fragments_with_the_time_in_tag_blocks() -> None:
    document = {"kind": "vessel", "manifest_id": "ais-356914000", "feed": "coast-rx",
                "reported_at": "2026-03-02T14:00:00+00:00",
                "vessel": {"name": "Aurora Pacífico", "imo": "9482263", "mmsi": "356914000", "call_sign": "3EXY7",
                           "vessel_type": "container ship"},
                "voyage": {"destination": "PA BLB", "eta": "2026-03-02T18:30:00-05:00"}}
    lines = AIS_FORMAT.encode([document]).decode().splitlines()
    assert len(lines) == 2
    for line in lines:
        assert line.startswith(at(datetime(2026, 3, 2, 14, tzinfo=UTC)) + "!AIVDM,2,")
        assert len(line.split("\\")[-1]) <= 82
    (message,) = split("\n".join(lines))
    (decoded,) = AIS_FORMAT.decode(message.payload, CONTEXT)
    assert decoded["vessel"] == {"name": "AURORA PACIFICO", "imo": "9482263", "mmsi": "356914000",
                                 "call_sign": "3EXY7", "vessel_type": "Cargo"}
    assert decoded["voyage"] == {"destination": "PA BLB", "eta": "2026-03-02T23:30:00+00:00"}


def test_what_ais_cannot_carry_is_lost_as_documented() -> None:
    document = {"kind": "vessel", "manifest_id": "x", "feed": "f", "reported_at": "2026-03-02T14:00:00.750+00:00",
                "vessel": {"name": "María José Ñandú del Océano Pacífico ~ II", "mmsi": "730156000",
                           "call_sign": "hk-cs2-extra", "vessel_type": "a floating thing", "owner": "dropped"},
                "voyage": {"destination": "Puerto de Cartagena de Indias, CO", "voyage_number": "dropped"}}
    (decoded,) = AIS_FORMAT.decode(AIS_FORMAT.encode([document]), CONTEXT)
    assert decoded["vessel"] == {"name": "MARIA JOSE NANDU DEL", "mmsi": "730156000", "call_sign": "HK-CS2-"}
    assert decoded["voyage"] == {"destination": "PUERTO DE CARTAGENA"}
    assert decoded["reported_at"] == "2026-03-02T14:00:00+00:00"


@pytest.mark.parametrize("document", [
    {"kind": "shipment", "manifest_id": "x"},
    {"kind": "vessel", "reported_at": "2026-03-02T14:00:00+00:00", "vessel": {"name": "NO MMSI"}},
    {"kind": "ais_report", "mmsi": "12345678X", "message_type": 1, "at": "2026-03-02T14:00:00+00:00"},
    {"kind": "ais_report", "mmsi": "123456789", "message_type": 4, "at": "2026-03-02T14:00:00+00:00"},
])
def test_what_ais_cannot_say_is_not_encoded(document: Document) -> None:
    with pytest.raises(ValueError):
        AIS_FORMAT.encode([document])


# -- round trip ------------------------------------------------------------------------------------

_SIX_BIT = sorted(set(SIX_BIT_ENCODING) - {"@"})  # '@' is AIS's padding


def _text(size: int) -> st.SearchStrategy[str]:
    return st.text(st.sampled_from(_SIX_BIT), min_size=1, max_size=size).map(str.strip).filter(bool)


_TIMES = st.integers(int(datetime(2001, 1, 1, tzinfo=UTC).timestamp()),
                     int(datetime(2098, 1, 1, tzinfo=UTC).timestamp())).map(lambda t: datetime.fromtimestamp(t, UTC))
_MMSIS = st.integers(0, 999_999_999).map("{:09d}".format)


@st.composite
def vessel_documents(draw: st.DrawFn) -> Document:
    reported = draw(_TIMES)
    mmsi = draw(_MMSIS)
    vessel = {"name": draw(_text(20)), "imo": draw(st.none() | st.integers(1, 9_999_999).map("{:07d}".format)),
              "mmsi": mmsi, "call_sign": draw(st.none() | _text(7)),
              "vessel_type": draw(st.none() | st.sampled_from(sorted(SHIP_TYPES.values())))}
    voyage = {"destination": draw(st.none() | _text(20))}
    if draw(st.booleans()):
        # Within the representable range: whole minutes, inside the year that follows the lookback.
        earliest = reported - ETA_LOOKBACK
        first = earliest.replace(second=0) + timedelta(minutes=1 if earliest.second else 0)
        voyage["eta"] = (first + timedelta(minutes=draw(st.integers(0, 364 * 24 * 60 - 1)))).isoformat()
    return {"kind": "vessel", "manifest_id": f"ais-{mmsi}", "feed": CONTEXT.feed, "reported_at": reported.isoformat(),
            "vessel": {k: v for k, v in vessel.items() if v is not None},
            "voyage": {k: v for k, v in voyage.items() if v is not None}}


@st.composite
def report_documents(draw: st.DrawFn) -> Document:
    message_type = draw(st.sampled_from([1, 2, 3, 18, 24, 27]))
    head = {"kind": "ais_report", "feed": CONTEXT.feed, "mmsi": draw(_MMSIS), "message_type": message_type,
            "at": draw(_TIMES).isoformat()}
    if message_type == 24:
        return {**head, "call_sign": draw(st.none() | _text(7)),
                "ship_type": draw(st.none() | st.sampled_from(sorted(SHIP_TYPES.values())))}
    statuses = st.none() | st.sampled_from(sorted(NAVIGATION_STATUSES.values()))
    if message_type == 27:  # tenths of a minute, whole knots and degrees, no heading
        position = draw(st.none() | st.tuples(st.integers(-54_000, 54_000), st.integers(-108_000, 108_000)))
        latitude, longitude = (to_lat_lon_600(position[0]), to_lat_lon_600(position[1])) if position else (None, None)
        speed = draw(st.none() | st.integers(0, 62).map(float))
        course = draw(st.none() | st.integers(0, 359).map(float))
        heading, status = None, draw(statuses)
    else:  # ten-thousandths of a minute, tenths of a knot and of a degree
        position = draw(st.none() | st.tuples(st.integers(-54_000_000, 54_000_000),
                                              st.integers(-108_000_000, 108_000_000)))
        latitude, longitude = (to_lat_lon(position[0]), to_lat_lon(position[1])) if position else (None, None)
        speed = draw(st.none() | st.integers(0, 1022).map(lambda n: n / 10))
        course = draw(st.none() | st.integers(0, 3599).map(lambda n: n / 10))
        heading = draw(st.none() | st.integers(0, 359))
        status = None if message_type == 18 else draw(statuses)
    return {**head, "latitude": latitude, "longitude": longitude, "speed_knots": speed, "course": course,
            "heading": heading, "navigation_status": status}


@PROPERTIES
@given(st.lists(vessel_documents() | report_documents(), min_size=1, max_size=12))
def test_round_trip(documents: list[Document]) -> None:
    messages = split(AIS_FORMAT.encode(documents))
    assert len(messages) == len(documents)
    decoded = [document for message in messages for document in AIS_FORMAT.decode(message.payload, CONTEXT)]
    assert decoded == documents
    for message, document in zip(messages, documents, strict=True):
        assert message.key == f"ais:{mmsi_of(document)}".encode()


# -- hostile input ---------------------------------------------------------------------------------


def decodes_or_refuses(payload: bytes) -> list[Document]:
    """What decode must do with anything: documents, or a FormatError. Any other exception fails."""
    try:
        documents = AIS_FORMAT.decode(payload, CONTEXT)
    except FormatError as error:
        assert error.reason in ("invalid_ais", "incomplete_ais", "unsupported_ais_type")
        return []
    assert documents and all(document["kind"] in ("vessel", "ais_report") for document in documents)
    return documents


def split_loses_nothing(data: bytes) -> None:
    messages = split(data)
    sent = Counter(part for message in messages for part in message.payload.split(b"\n"))
    lines = [line.strip() for line in data.split(b"\n")]
    expected = Counter(line for line in lines if line and not line.startswith(b"#") and len(line) <= MAX_LINE)
    assert sent == expected
    for message in messages:
        decodes_or_refuses(message.payload)


@PROPERTIES
@given(st.binary(max_size=600))
def test_random_bytes(data: bytes) -> None:
    decodes_or_refuses(data)
    AIS_FORMAT.sniff(data)
    list(AIS_FORMAT.split(io.BytesIO(data)))


_REAL = st.sampled_from(REAL_SENTENCES)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    line = draw(_REAL)
    match draw(st.sampled_from(["truncate", "replace", "insert", "delete", "checksum", "fragments", "non-ascii",
                                "tag-block"])):
        case "truncate":
            return line[: draw(st.integers(0, len(line)))]
        case "replace":
            index = draw(st.integers(0, len(line) - 1))
            return line[:index] + draw(st.characters(max_codepoint=127)) + line[index + 1:]
        case "insert":
            index = draw(st.integers(0, len(line)))
            return line[:index] + draw(st.text(st.characters(max_codepoint=127), max_size=5)) + line[index:]
        case "delete":
            index = draw(st.integers(0, len(line) - 1))
            return line[:index] + line[index + draw(st.integers(1, 5)):]
        case "checksum":
            return line[: line.index("*") + 1] + draw(st.text("0123456789ABCDEFabcdefXYZ*,", max_size=4))
        case "fragments":
            fields = line[1: line.index("*")].split(",")
            count = draw(st.integers(-20, 1_000_000_000_000))
            fields[1], fields[2] = str(count), str(draw(st.integers(-5, 30)))
            fields[3] = draw(st.sampled_from(["", "0", "9", "12", "-1", "x"]))
            return nmea(",".join(fields))
        case "non-ascii":
            index = draw(st.integers(0, len(line)))
            return line[:index] + draw(st.characters(min_codepoint=128, codec="utf-8")) + line[index:]
        case _:
            text = draw(st.text(st.characters(max_codepoint=127, exclude_characters="\\\n\r"), max_size=30))
            return draw(st.sampled_from([tag_block(text), f"\\{text}\\", "\\" + text])) + line


@PROPERTIES
@given(st.lists(mutated() | _REAL, min_size=1, max_size=8))
def test_mutations_of_real_sentences(lines: list[str]) -> None:
    data = "\n".join(lines).encode("utf-8")
    decodes_or_refuses(data)
    for line in lines:
        decodes_or_refuses(line.encode("utf-8"))
    split_loses_nothing(data)


@PROPERTIES
@given(st.lists(st.sampled_from([*REAL_SENTENCES, "# comment", "", "  "]), max_size=30))
def test_split_never_loses_a_line(lines: list[str]) -> None:
    split_loses_nothing("\n".join(lines).encode())


# -- the project's sample feed ---------------------------------------------------------------------


def _imo_is_valid(imo: str) -> bool:
    return int(imo[6]) == sum(int(digit) * weight for digit, weight in zip(imo[:6], range(7, 1, -1), strict=True)) % 10


def test_the_sample_feed_decodes_whole() -> None:
    data = VESSELS_SAMPLE.read_bytes()
    assert AIS_FORMAT.sniff(data[:4096])
    documents: list[dict[str, Any]] = []
    for message in split(data):
        assert message.key is not None
        documents.extend(AIS_FORMAT.decode(message.payload, CONTEXT))
    for document in documents:
        validate(document)
    vessels = [d for d in documents if d["kind"] == "vessel"]
    reports = Counter(d["message_type"] for d in documents if d["kind"] == "ais_report")
    assert len(vessels) == 9 and reports == {1: 4, 2: 1, 3: 2, 18: 2, 19: 1, 24: 1}
    mids = {"Panama": ("351", "352", "353", "354", "355", "356", "357", "370", "371", "372", "373"),
            "Liberia": ("636",), "Colombia": ("730",), "Mexico": ("345",), "Ecuador": ("735",),
            "United States": ("338", "366", "367", "368", "369")}
    assert all(vessel["vessel"]["mmsi"].startswith(sum(mids.values(), ())) for vessel in vessels)
    with_voyage = [v for v in vessels if "voyage" in v]
    assert len(with_voyage) == 7 and all(_imo_is_valid(v["vessel"]["imo"]) for v in with_voyage)
    destinations = {v["voyage"]["destination"] for v in with_voyage}
    assert {"PA BLB", "COCTG", "MANZANILLO MX"} <= destinations
    assert all(datetime.fromisoformat(d.get("at") or d["reported_at"]) >= datetime(2026, 3, 2, 14, tzinfo=UTC)
               for d in documents)
