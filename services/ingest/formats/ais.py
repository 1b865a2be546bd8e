"""AIS: NMEA 0183 `!AIVDM` / `!AIVDO` sentences, as AIS receivers and aggregators send them.

One AIS message is one to nine sentences ("fragments", joined by `split` into one Kafka message).
A sentence may start with an NMEA 4.10 tag block, `\\c:1700000000*hh\\!AIVDM,...`, whose `c:` is
the time the receiver heard it. What the messages become:

- type 5 (static and voyage data), 19 (class B extended report) and 24 part A (class B name):
  a vessel manifest (kind "vessel", manifest_id `ais-<mmsi>`), screened like any other;
- types 1, 2, 3, 18, 19 and 27 (positions) and 24 part B (class B call sign and ship type): an
  `AisReport` (kind "ais_report"), voyage context keyed by MMSI.

Everything else is refused with a reason (see `FormatError` reasons below), never dropped.
pyais does the bit-level decoding and encoding; this module checks the NMEA layer itself
(checksums, armouring, fragment order, lengths) because pyais, built for bulk analysis, reads
truncated fields and bad characters without complaint.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import reduce
from operator import xor
from typing import IO, Any

from pyais import NMEAMessage, encode_dict
from pyais.constants import ShipType
from pyais.exceptions import AISBaseException
from pyais.messages import (
    AISSentence,
    MessageType5,
    MessageType19,
    MessageType24PartA,
    MessageType24PartB,
    MessageType24PartBAuxiliaryCraft,
    MessageType27,
)
from pyais.util import SIX_BIT_ENCODING

from services.ingest.formats.base import Context, Document, FormatError, Message

#: Reasons of the FormatErrors this format raises.
INVALID = "invalid_ais"  # not an AIS sentence, bad checksum, bad armouring, too short, too long
INCOMPLETE = "incomplete_ais"  # fragments missing, repeated or out of order
UNSUPPORTED = "unsupported_ais_type"  # a valid message of a type this system does not keep

#: NMEA sentences are at most 82 characters; a tag block and receiver metadata after the checksum
#: add some. Anything longer is not AIS, and is refused before it is parsed.
MAX_LINE = 512

#: A receiver sends the fragments of one message back to back on its channel; the other channel's
#: messages may come in between, and an aggregator merging receivers adds a few more. A group still
#: open after this many further sentences will not be completed: it is given up as incomplete.
MAX_FRAGMENT_GAP = 10

#: AIS ETAs have no year. It is the one that puts the ETA first after the report's time minus this:
#: ships often leave a past ETA broadcasting for days or weeks after arriving, while a voyage
#: announced eleven months ahead does not happen, so a date a few weeks back is read as stale, not
#: as next year's.
ETA_LOOKBACK = timedelta(days=30)

#: Receiver times outside this range are a broken clock or a corrupted field, not a report.
_EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
_LATEST = datetime(2100, 1, 1, tzinfo=UTC)

#: Message types kept, and the bits each must carry up to the last field read here (pyais reads a
#: field cut short by a truncated payload as if the missing bits were zeros).
_POSITION_TYPES = {1: 137, 2: 137, 3: 137, 18: 133, 19: 271, 27: 94}
_STATIC_VOYAGE_BITS = 422
_PART_A_BITS = 160
_PART_B_BITS = 132

# The sentence and its tag block. Talkers are any two letters (AI mobile station, AB base station,
# BS, SA ...); channel A, B, 1, 2 or empty; after the checksum, receivers such as the USCG's (NAIS,
# noaadata) append metadata fields, the last one the receive time in UNIX seconds.
_SENTENCE = re.compile(
    rb"!(?P<tag>[A-Z]{2}VD[MO]),(?P<count>\d),(?P<number>\d),(?P<seq>\d?),(?P<channel>[A-Z0-9]?),"
    rb"(?P<payload>[^,*]*),(?P<fill>\d)\*(?P<checksum>[0-9A-Fa-f]{2})(?P<trailer>(?:,[^,]*)*)"
)
_TAG_BLOCK = re.compile(rb"\\(?P<fields>[^\\*]*)\*(?P<checksum>[0-9A-Fa-f]{2})\\")
_SNIFF = re.compile(rb"(?:\\[^\\]*\\)?![A-Z]{2}VD[MO],")
_ARMOUR = re.compile(rb"[0-W`-w]*")
_BOM = b"\xef\xbb\xbf"

_CATEGORIES = {
    20: "Wing in ground",
    40: "High speed craft",
    60: "Passenger",
    70: "Cargo",
    80: "Tanker",
    90: "Other type",
}
_SHIP_TYPES: dict[int, str] = {
    30: "Fishing",
    31: "Towing",
    32: "Towing, length over 200 m or breadth over 25 m",
    33: "Dredging or underwater operations",
    34: "Diving operations",
    35: "Military operations",
    36: "Sailing",
    37: "Pleasure craft",
    50: "Pilot vessel",
    51: "Search and rescue vessel",
    52: "Tug",
    53: "Port tender",
    54: "Anti-pollution equipment",
    55: "Law enforcement",
    56: "Local vessel",
    58: "Medical transport",
    59: "Noncombatant ship",
}
for _base, _label in _CATEGORIES.items():
    _SHIP_TYPES[_base] = _label
    _SHIP_TYPES.update({_base + n: f"{_label}, hazardous category {'ABCD'[n - 1]}" for n in range(1, 5)})
    # pyais folds each category's reserved codes (x5 to x8) into x5, as it folds 56-57 into 56.
    _SHIP_TYPES[_base + 5] = f"{_label}, reserved"
    _SHIP_TYPES[_base + 9] = f"{_label}, no additional information"
#: Readable ship types by ITU-R M.1371 code (0, "not available", has none).
SHIP_TYPES: dict[int, str] = dict(sorted(_SHIP_TYPES.items()))
_SHIP_TYPE_CODES = {label.casefold(): code for code, label in SHIP_TYPES.items()}
# Vessel types as other feeds write them ("container ship", "reefer"), for encoding their documents.
_SHIP_TYPE_WORDS = (
    ("tanker", 80),
    ("cargo", 70),
    ("container", 70),
    ("reefer", 70),
    ("bulk", 70),
    ("ro-ro", 70),
    ("passenger", 60),
    ("ferry", 60),
    ("cruise", 60),
    ("fishing", 30),
    ("tug", 52),
    ("pleasure", 37),
    ("yacht", 37),
    ("sailing", 36),
)

#: Readable navigational status by code (15, "not defined", the default, has none).
NAVIGATION_STATUSES: dict[int, str] = {
    0: "Under way using engine",
    1: "At anchor",
    2: "Not under command",
    3: "Restricted manoeuvrability",
    4: "Constrained by her draught",
    5: "Moored",
    6: "Aground",
    7: "Engaged in fishing",
    8: "Under way sailing",
    9: "Reserved for high speed craft",
    10: "Reserved for wing in ground",
    11: "Power-driven vessel towing astern",
    12: "Power-driven vessel pushing ahead or towing alongside",
    13: "Reserved",
    14: "AIS-SART active",
}
_NAVIGATION_STATUS_CODES = {label.casefold(): code for code, label in NAVIGATION_STATUSES.items()}


@dataclass(frozen=True)
class _Sentence:
    """One checked NMEA sentence: its line as received and what the grouping and decoding need."""

    line: int
    raw: bytes  # the whole line, tag block and trailer kept: what a Message carries
    nmea: bytes  # the sentence alone, from '!' to the checksum: what pyais parses
    tag: bytes
    count: int
    number: int
    seq_id: bytes
    channel: bytes
    payload: bytes
    fill_bits: int
    time: datetime | None


@dataclass
class _Group:
    fragments: list[_Sentence]
    complete: bool
    last_seen: int = 0

    @property
    def line(self) -> int:
        return self.fragments[0].line


class _Assembler:
    """Groups fragments into messages as they come, the way a receiver's decoder does.

    A fragment continues the open group of its sentence tag, sequential id and channel when it is
    the next one of the same count; anything else closes that group as broken. Broken groups and
    stray fragments are handed out (incomplete) rather than dropped, so they reach the dead-letter
    topic with their reason.
    """

    def __init__(self) -> None:
        self._open: dict[tuple[bytes, bytes, bytes], _Group] = {}
        self._seen = 0

    def feed(self, sentence: _Sentence) -> list[_Group]:
        self._seen += 1
        out = [
            self._open.pop(key)
            for key, group in list(self._open.items())
            if self._seen - group.last_seen > MAX_FRAGMENT_GAP
        ]
        if sentence.count == 1:
            out.append(_Group([sentence], complete=True))
            return out
        key = (sentence.tag, sentence.seq_id, sentence.channel)
        group = self._open.pop(key, None)
        if group is not None:
            last = group.fragments[-1]
            if last.count == sentence.count and sentence.number == last.number + 1:
                group.fragments.append(sentence)
                group.last_seen = self._seen
                if sentence.number == sentence.count:
                    group.complete = True
                    out.append(group)
                else:
                    self._open[key] = group
                return out
            out.append(group)
        if sentence.number == 1:
            self._open[key] = _Group([sentence], complete=False, last_seen=self._seen)
        else:
            out.append(_Group([sentence], complete=False))
        return out

    def flush(self) -> list[_Group]:
        out = sorted(self._open.values(), key=lambda group: group.line)
        self._open.clear()
        return out


class AisFormat:
    name = "ais"

    def sniff(self, head: bytes) -> bool:
        for line in head.removeprefix(_BOM).splitlines():
            stripped = line.strip()
            if stripped and not stripped.startswith(b"#"):
                return _SNIFF.match(stripped) is not None
        return False

    def split(self, handle: IO[bytes]) -> Iterator[Message]:
        """One Message per AIS message: its fragments' lines joined by newlines, keyed `ais:<mmsi>`.

        Lines that are not AIS sentences, over-long lines, and broken fragment groups become
        Messages of their own, without a key, for `decode` to refuse with the reason.
        """
        assembler = _Assembler()
        for number, line, too_long in _read_lines(handle):
            stripped = line.strip()
            if not stripped or stripped.startswith(b"#"):
                continue  # comments may be long: only their start is read
            if too_long:
                yield Message(number, line)
                continue
            try:
                sentence = _parse_sentence(stripped, number)
            except FormatError:
                yield Message(number, stripped)
                continue
            for group in assembler.feed(sentence):
                yield _message(group)
        for group in assembler.flush():
            yield _message(group)

    def decode(self, payload: bytes, context: Context) -> list[Document]:
        """The documents of one AIS message, or of a batch of complete ones (a line or group each).

        A batch is read whole or refused whole: one bad message refuses it, with its line.
        """
        assembler = _Assembler()
        groups: list[_Group] = []
        # Lines end at '\n' only, as `split` reads them; a '\r' before it is part of the line end.
        for number, line in enumerate(payload.split(b"\n"), start=1):
            line = line.removesuffix(b"\r")
            if len(line) > MAX_LINE:
                raise FormatError(INVALID, f"line of {len(line)} bytes, longer than any AIS sentence", number)
            stripped = line.strip()
            if stripped and not stripped.startswith(b"#"):
                groups.extend(assembler.feed(_parse_sentence(stripped, number)))
        groups.extend(assembler.flush())
        if not groups:
            raise FormatError(INVALID, "no AIS sentence")
        documents: list[Document] = []
        for group in sorted(groups, key=lambda group: group.line):
            documents.extend(_documents(group, context))
        return documents

    def encode(self, documents: Sequence[Document]) -> bytes:
        """Vessel manifests as type 5, AIS reports as type 1, 2, 3, 18 or 27 (positions) or 24 part B.

        Every sentence carries a tag block with the document's time (`c:`, whole UNIX seconds).
        What AIS cannot carry is lost: see docs/feeds/ais.md.
        """
        lines: list[str] = []
        multipart = 0
        for index, document in enumerate(documents):
            channel = "AB"[index % 2]
            kind = document.get("kind")
            if kind == "vessel":
                data, time = _static_voyage_data(document), _parse_time(document.get("reported_at"))
            elif kind == "ais_report":
                data, time = _report_data(document), _parse_time(document.get("at"))
            else:
                raise ValueError(f"AIS carries vessel manifests and AIS reports, not {kind!r}")
            # pyais takes the type from `type` but writes the payload class's default `msg_type`, which
            # for types 2 and 3 (subclasses of 1) is 1: it is set as well.
            data["msg_type"] = data["type"]
            sentences = encode_dict(
                data, talker_id="AI", sentence_type="VDM", radio_channel=channel, seq_id=multipart % 10
            )
            if len(sentences) > 1:
                multipart += 1
            lines.extend(_tag_block(time) + sentence for sentence in sentences)
        return "".join(line + "\n" for line in lines).encode("ascii")


# -- reading ---------------------------------------------------------------------------------------


def _read_lines(handle: IO[bytes]) -> Iterator[tuple[int, bytes, bool]]:
    """Numbered lines, without their end; an over-long line is cut (and the rest skipped unread)
    so that a hostile file cannot make the splitter hold megabytes."""
    limit = MAX_LINE + 3  # room for the line end
    number = 0
    while line := handle.readline(limit):
        number += 1
        if number == 1:
            line = line.removeprefix(_BOM)
        complete = line.endswith(b"\n") or len(line) < limit
        body = line.rstrip(b"\r\n")
        if complete and len(body) <= MAX_LINE:
            yield number, body, False
            continue
        while not line.endswith(b"\n"):
            line = handle.readline(65536)
            if not line:
                break
        yield number, body[: MAX_LINE + 1], True


def _parse_sentence(line: bytes, number: int) -> _Sentence:
    if not line.isascii():
        raise FormatError(INVALID, "non-ASCII bytes in an NMEA sentence", number)
    time = None
    rest = line
    if line.startswith(b"\\"):
        tag_block = _TAG_BLOCK.match(line)
        if tag_block is None:
            raise FormatError(INVALID, "malformed tag block (expected \\fields*hh\\)", number)
        if _checksum(tag_block["fields"]) != int(tag_block["checksum"], 16):
            raise FormatError(INVALID, "bad tag block checksum", number)
        time = _tag_block_time(tag_block["fields"], number)
        rest = line[tag_block.end() :]
    sentence = _SENTENCE.fullmatch(rest)
    if sentence is None:
        raise FormatError(INVALID, f"not an AIS sentence (!xxVDM or !xxVDO): {_show(rest)}", number)
    nmea = rest[: sentence.end("checksum")]
    if _checksum(nmea[1:-3]) != int(sentence["checksum"], 16):
        raise FormatError(INVALID, f"bad checksum: {_show(nmea)}", number)
    count, fragment, fill_bits = int(sentence["count"]), int(sentence["number"]), int(sentence["fill"])
    if not 1 <= fragment <= count:
        raise FormatError(INVALID, f"fragment {fragment} of {count}", number)
    if fill_bits > 5:
        raise FormatError(INVALID, f"{fill_bits} fill bits (at most 5)", number)
    payload = sentence["payload"]
    if not payload or _ARMOUR.fullmatch(payload) is None:
        raise FormatError(INVALID, f"bad payload armouring (6-bit characters 0-W, `-w): {_show(payload)}", number)
    if time is None:
        time = _trailer_time(sentence["trailer"])
    return _Sentence(
        line=number,
        raw=line,
        nmea=nmea,
        tag=sentence["tag"],
        count=count,
        number=fragment,
        seq_id=sentence["seq"],
        channel=sentence["channel"],
        payload=payload,
        fill_bits=fill_bits,
        time=time,
    )


def _checksum(data: bytes) -> int:
    return reduce(xor, data, 0)


def _show(data: bytes) -> str:
    return repr(data[:100].decode("ascii", "backslashreplace"))


def _tag_block_time(fields: bytes, number: int) -> datetime | None:
    for item in fields.split(b","):
        if item.startswith(b"c:"):
            value = item[2:]
            if not value.isdigit() or len(value) > 15:
                raise FormatError(INVALID, f"tag block time c:{_show(value)} is not UNIX time", number)
            time = _unix_time(int(value))
            if time is None:
                raise FormatError(INVALID, f"tag block time c:{value.decode()} is out of range", number)
            return time
    return None


def _trailer_time(trailer: bytes) -> datetime | None:
    # Metadata after the checksum is not covered by it: a last field that is not a plausible time is
    # ignored, not refused.
    last = trailer.rsplit(b",", 1)[-1]
    if trailer and last.isdigit() and 9 <= len(last) <= 13:
        return _unix_time(int(last))
    return None


def _unix_time(value: int) -> datetime | None:
    # NMEA 4.10 says seconds; some providers send milliseconds, which no seconds value in range reaches.
    seconds = value / 1000 if value >= 100_000_000_000 else value
    if not _EARLIEST.timestamp() <= seconds < _LATEST.timestamp():
        return None
    return datetime.fromtimestamp(seconds, UTC)


def _message(group: _Group) -> Message:
    payload = b"\n".join(fragment.raw for fragment in group.fragments)
    key = None
    if group.complete:
        bits = _bits(group)
        if bits >= 38:
            key = f"ais:{_mmsi_of(group):09d}".encode()
    return Message(group.line, payload, key)


def _sixbit(character: int) -> int:
    value = character - 48
    return value - 8 if value > 40 else value


def _bits(group: _Group) -> int:
    return sum(len(fragment.payload) for fragment in group.fragments) * 6 - group.fragments[-1].fill_bits


def _mmsi_of(group: _Group) -> int:
    # Bits 8 to 37; the first seven characters hold bits 0 to 41.
    head = b"".join(fragment.payload for fragment in group.fragments)[:7]
    value = 0
    for character in head:
        value = value << 6 | _sixbit(character)
    return (value >> 4) & 0x3FFFFFFF


# -- decoding --------------------------------------------------------------------------------------


def _documents(group: _Group, context: Context) -> list[Document]:
    if not group.complete:
        numbers = ", ".join(str(fragment.number) for fragment in group.fragments)
        count = group.fragments[0].count
        raise FormatError(
            INCOMPLETE,
            f"fragments {numbers} of a {count}-fragment AIS message: missing, repeated or out of order",
            group.line,
        )
    ais_type = _sixbit(group.fragments[0].payload[0])
    bits = _bits(group)
    needed = _needed_bits(ais_type, group, bits)
    if bits < needed:
        raise FormatError(
            INVALID, f"AIS message type {ais_type} of {bits} bits, too short (needs {needed})", group.line
        )
    try:
        sentences = [NMEAMessage.from_bytes(fragment.nmea) for fragment in group.fragments]
        message = AISSentence.assemble_from_iterable(sentences).decode()
    except (AISBaseException, ValueError) as error:
        raise FormatError(INVALID, f"AIS message type {ais_type} cannot be decoded: {error}", group.line) from error

    at = next((fragment.time for fragment in group.fragments if fragment.time), None) or _utc(context.received_at)
    feed = context.feed or "ais"
    mmsi = f"{message.mmsi:09d}"
    if isinstance(message, MessageType5):
        return [_vessel(message, mmsi, feed, at, voyage=_voyage(message, at))]
    if isinstance(message, MessageType24PartA):
        return [_vessel(message, mmsi, feed, at)]
    if isinstance(message, MessageType24PartB | MessageType24PartBAuxiliaryCraft):
        return [
            {
                **_report_head(message, mmsi, feed, at),
                "call_sign": _text(message.callsign),
                "ship_type": SHIP_TYPES.get(int(ShipType.from_value(message.ship_type) or 0)),
            }
        ]
    report = _position(message, mmsi, feed, at)
    if isinstance(message, MessageType19):
        return [_vessel(message, mmsi, feed, at), report]
    return [report]


def _needed_bits(ais_type: int, group: _Group, bits: int) -> int:
    if not 1 <= ais_type <= 27:
        raise FormatError(INVALID, f"AIS message type {ais_type} does not exist (1 to 27 do)", group.line)
    if ais_type in _POSITION_TYPES:
        return _POSITION_TYPES[ais_type]
    if ais_type == 5:
        return _STATIC_VOYAGE_BITS
    if ais_type == 24:
        if bits < 40:
            return 40
        # The part number is bits 38 and 39: the low two bits of the seventh character.
        part = _sixbit(b"".join(fragment.payload for fragment in group.fragments)[6]) & 0b11
        if part == 0:
            return _PART_A_BITS
        if part == 1:
            return _PART_B_BITS
        raise FormatError(INVALID, f"AIS type 24 part number {part} (only 0, A, and 1, B, exist)", group.line)
    raise FormatError(
        UNSUPPORTED,
        f"AIS message type {ais_type} is not kept: only vessel positions (1, 2, 3, 18, "
        "19, 27) and identities (5, 19, 24)",
        group.line,
    )


def _utc(time: datetime) -> datetime:
    # A naive time from a caller is taken as UTC, the only zone receivers and brokers use.
    return time.replace(tzinfo=UTC) if time.tzinfo is None else time.astimezone(UTC)


def _text(value: Any) -> str | None:
    # pyais strips the '@' padding at the end; some transmitters pad with spaces, or leave '@' before them.
    text = str(value or "").strip().rstrip("@").strip()
    return text or None


def _vessel(message: Any, mmsi: str, feed: str, at: datetime, voyage: Document | None = None) -> Document:
    vessel: Document = {"name": _text(message.shipname)}
    if isinstance(message, MessageType5):
        vessel["imo"] = f"{message.imo:07d}" if message.imo else None
    vessel["mmsi"] = mmsi
    if isinstance(message, MessageType5):
        vessel["call_sign"] = _text(message.callsign)
    if not isinstance(message, MessageType24PartA):
        vessel["vessel_type"] = SHIP_TYPES.get(int(message.ship_type or 0))
    document: Document = {
        "kind": "vessel",
        "manifest_id": f"ais-{mmsi}",
        "feed": feed,
        "reported_at": at.isoformat(),
        # What was not broadcast is left out, so the contract's defaults and checks apply.
        "vessel": {key: value for key, value in vessel.items() if value is not None},
    }
    if voyage is not None:
        document["voyage"] = voyage
    return document


def _voyage(message: MessageType5, at: datetime) -> Document:
    voyage: Document = {}
    destination = _text(message.destination)
    if destination:
        voyage["destination"] = destination
    eta = _eta(message.month, message.day, message.hour, message.minute, at)
    if eta is not None:
        voyage["eta"] = eta.isoformat()
    return voyage


def _eta(month: int, day: int, hour: int, minute: int, reported_at: datetime) -> datetime | None:
    """The ETA in UTC, in the first year that puts it after `reported_at - ETA_LOOKBACK`.

    Month 0, day 0, hour 24 and minute 60 are AIS's "not available": no ETA then, nor for dates
    that exist in neither candidate year (31 April; 29 February two years from a leap year).
    """
    if not (1 <= month <= 12 and 1 <= day <= 31 and hour < 24 and minute < 60):
        return None
    try:
        earliest = reported_at - ETA_LOOKBACK
    except OverflowError:  # a receive time at the very start of the calendar: no year to choose
        return None
    for year in (earliest.year, earliest.year + 1):
        try:
            eta = datetime(year, month, day, hour, minute, tzinfo=UTC)
        except ValueError:  # no such day that year, or year 10000
            continue
        if eta >= earliest:
            return eta
    return None


def _report_head(message: Any, mmsi: str, feed: str, at: datetime) -> Document:
    return {
        "kind": "ais_report",
        "feed": feed,
        "mmsi": mmsi,
        "message_type": int(message.msg_type),
        "at": at.isoformat(),
    }


def _position(message: Any, mmsi: str, feed: str, at: datetime) -> Document:
    latitude: float | None = float(message.lat)
    longitude: float | None = float(message.lon)
    if not (-90 <= message.lat <= 90 and -180 <= message.lon <= 180):
        # 91 and 181 are "not available"; half a position is no position.
        latitude = longitude = None
    speed = float(message.speed)
    course = float(message.course)
    heading = None
    if isinstance(message, MessageType27):
        # Long-range broadcast: whole knots (63 not available) and degrees (511), no heading.
        speed_knots = speed if speed < 63 else None
    else:
        # Tenths of a knot, 102.3 not available (102.2 means 102.2 or more); heading 511 not available.
        speed_knots = speed if speed < 102.3 else None
        heading = int(message.heading) if message.heading < 360 else None
    status = getattr(message, "status", None)  # class B (18, 19) sends none
    return {
        **_report_head(message, mmsi, feed, at),
        "latitude": latitude,
        "longitude": longitude,
        "speed_knots": speed_knots,
        "course": course if course < 360 else None,  # 360 (3600 tenths, 511 for type 27) not available
        "heading": heading,
        "navigation_status": NAVIGATION_STATUSES.get(int(status)) if status is not None else None,
    }


# -- encoding --------------------------------------------------------------------------------------


def _parse_time(value: Any) -> datetime:
    time = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return _utc(time)


def _tag_block(time: datetime) -> str:
    fields = f"c:{int(time.timestamp())}"
    return f"\\{fields}*{_checksum(fields.encode()):02X}\\"


def _sixbit_text(value: Any, width: int) -> str:
    """Text as AIS can send it: upper case, accents folded, 6-bit characters only, `width` at most.

    '@' is AIS's padding, so it is sent as a space like any character AIS lacks.
    """
    folded = unicodedata.normalize("NFKD", str(value or "")).upper()
    kept = "".join(
        " " if character == "@" else character for character in folded if not unicodedata.combining(character)
    )
    return "".join(character if character in SIX_BIT_ENCODING else " " for character in kept)[:width].strip()


def _mmsi(document: Document) -> int:
    value = str(document.get("mmsi") or "")
    if not value.isdigit() or int(value) >= 1 << 30:
        raise ValueError(f"AIS needs a numeric MMSI, got {value!r}")
    return int(value)


def _ship_type_code(value: Any) -> int:
    if not value:
        return 0
    text = str(value).casefold()
    if text in _SHIP_TYPE_CODES:
        return _SHIP_TYPE_CODES[text]
    return next((code for word, code in _SHIP_TYPE_WORDS if word in text), 0)


def _static_voyage_data(document: Document) -> dict[str, Any]:
    vessel = document.get("vessel") or {}
    voyage = document.get("voyage") or {}
    imo = str(vessel.get("imo") or "")
    month, day, hour, minute = 0, 0, 24, 60  # "not available"
    if voyage.get("eta"):
        eta = _parse_time(voyage["eta"])
        month, day, hour, minute = eta.month, eta.day, eta.hour, eta.minute
    return {
        "type": 5,
        "mmsi": _mmsi(vessel),
        "imo": int(imo) if imo.isdigit() and int(imo) < 1 << 30 else 0,
        "callsign": _sixbit_text(vessel.get("call_sign"), 7),
        "shipname": _sixbit_text(vessel.get("name"), 20),
        "ship_type": _ship_type_code(vessel.get("vessel_type")),
        "epfd": 1,
        "month": month,
        "day": day,
        "hour": hour,
        "minute": minute,
        "destination": _sixbit_text(voyage.get("destination"), 20),
    }


def _report_data(document: Document) -> dict[str, Any]:
    message_type = int(document.get("message_type") or 1)
    mmsi = _mmsi(document)
    if message_type == 24:
        return {
            "type": 24,
            "partno": 1,
            "mmsi": mmsi,
            "callsign": _sixbit_text(document.get("call_sign"), 7),
            "ship_type": _ship_type_code(document.get("ship_type")),
        }
    latitude, longitude = document.get("latitude"), document.get("longitude")
    if latitude is None or longitude is None or not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        latitude, longitude = 91.0, 181.0
    speed, course, heading = document.get("speed_knots"), document.get("course"), document.get("heading")
    status = _NAVIGATION_STATUS_CODES.get(str(document.get("navigation_status") or "").casefold(), 15)
    if message_type == 27:
        return {
            "type": 27,
            "mmsi": mmsi,
            "status": status,
            "lat": latitude,
            "lon": longitude,
            "speed": 63 if speed is None else min(round(speed), 62),
            "course": 511 if course is None else round(course) % 360,
        }
    common = {
        "mmsi": mmsi,
        "lat": latitude,
        "lon": longitude,
        "speed": 102.3 if speed is None else min(round(speed, 1), 102.2),
        "course": 360.0 if course is None else round(course, 1) % 360,
        "heading": 511 if heading is None else int(heading) % 360,
        "second": _parse_time(document.get("at")).second,
    }
    if message_type in (18, 19):
        return {"type": 18, **common, "cs": True}
    if message_type in (1, 2, 3):
        return {"type": message_type, **common, "status": status}
    raise ValueError(f"cannot encode an AIS report of message type {message_type}")


AIS_FORMAT = AisFormat()

__all__ = ["AIS_FORMAT", "ETA_LOOKBACK", "MAX_LINE", "NAVIGATION_STATUSES", "SHIP_TYPES", "AisFormat"]
