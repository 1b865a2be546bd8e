"""CUSCAR: the UN/EDIFACT customs cargo report (directory D95B and later), as carriers send customs.

An interchange (UNA, UNB ... UNZ) holds messages (UNH ... UNT); a CUSCAR message reports a
voyage (BGM, DTM, TDT, LOC) and its equipment (EQD), then one consignment (CNI group) per bill of
lading with its parties (NAD) and goods items (GID). Each consignment becomes one shipment
manifest. The mapping, with what is read from where and what is refused, is
docs/feeds/cuscar.md.

pydifact reads and writes the segments (its tokenizer for the release character and the
separators, its Serializer for escaping). The framing around it is done here, on the bytes,
because pydifact's own parser and Interchange (0.2) do not fit input from outside: `Parser.parse`
looks for a UNA anywhere after a segment terminator and silently drops what precedes it,
`Interchange` asserts (and so crashes) on a malformed UNH, checks neither the UNT segment count
nor the references, and neither keeps the line a segment starts on. Scanning the bytes for the
terminators here also lets `split` cut a file without decoding it and keep its original bytes.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import IO, Any

from pydifact import Characters, Parser, Segment, Serializer, Tokenizer

from services.ingest.formats.base import (
    UNSUPPORTED_DOCUMENT,
    Context,
    Document,
    FormatError,
    Message,
    plain_text,
    require_fields,
)
from services.shared.models.common import IdentifierScheme

#: Reasons of the FormatErrors this format raises.
INVALID_EDIFACT = "invalid_edifact"  # bad UNA, a segment without terminator, a malformed segment
INVALID_ENCODING = "invalid_encoding"  # bytes that are not the character set UNB declares
INVALID_ENVELOPE = "invalid_envelope"  # a segment before UNB, an interchange without UNZ, UNA or UNB inside one
MISSING_UNH = "missing_unh"  # no message, or a segment outside UNH ... UNT
MISSING_UNT = "missing_unt"  # a message not closed by UNT
SEGMENT_COUNT_MISMATCH = "segment_count_mismatch"  # UNT's segment count is not the message's
MESSAGE_COUNT_MISMATCH = "message_count_mismatch"  # UNZ's count is not the interchange's messages (or groups)
REFERENCE_MISMATCH = "reference_mismatch"  # UNT's reference is not UNH's, or UNZ's not UNB's
UNSUPPORTED_MESSAGE = "unsupported_message"  # a message that is not CUSCAR
NO_CONSIGNMENT = "no_consignment"  # a CUSCAR message without a CNI: no bill of lading to report
MISSING_FEED = "missing_feed"  # neither the message's feed nor a UNB sender
INVALID_DATE = "invalid_date"  # a DTM this decoder reads that is not a date of a format it knows
INVALID_VALUE = "invalid_value"  # a weight that is not a number, or in a unit not converted here
TOO_MANY_SEGMENTS = "too_many_segments"  # more than MAX_SEGMENTS segments in one payload
SEGMENT_TOO_LONG = "segment_too_long"  # a segment of more than MAX_SEGMENT_BYTES
TOO_LARGE = "too_large"  # a payload over MAX_PAYLOAD_BYTES

#: Segments one payload may hold. A cargo report of a large ship lists a few thousand bills of
#: lading of ten to thirty segments each; beyond this it is an error or an attack.
MAX_SEGMENTS = 50_000
#: Bytes one segment may hold: the longest of the directory (FTX, five lines of 512) is under 3 KB.
MAX_SEGMENT_BYTES = 64 * 1024
#: Bytes one payload may hold (the same limit as ingest's for any message): pydifact tokenises
#: character by character, so this bounds the time one message may take.
MAX_PAYLOAD_BYTES = 2 * 1024 * 1024

#: The message type and version `encode` writes.
MESSAGE_TYPE = ("CUSCAR", "D", "95B", "UN")
#: The recipient `encode` writes in UNB.
RECIPIENT = "INTERDICT"

#: NAD party qualifiers (3035) read as parties, and the one each role is written with.
PARTY_QUALIFIERS = {
    "CZ": "shipper",  # consignor
    "CN": "consignee",
    "N1": "notify_party",
    "N2": "notify_party",
    "CA": "carrier",
    "FW": "freight_forwarder",
}
ROLE_QUALIFIERS = {"shipper": "CZ", "consignee": "CN", "notify_party": "N1", "carrier": "CA", "freight_forwarder": "FW"}

#: LOC qualifiers (3227) per field, the first found winning; a consignment's own LOC wins over the
#: message's.
LOCATIONS = {
    "port_of_origin": ("76",),  # original port of loading
    "port_of_loading": ("9", "5"),  # place/port of loading, else place of departure
    "port_of_discharge": ("11", "12"),  # place/port of discharge, port of discharge
    "place_of_destination": ("7", "8"),  # place of delivery, place of destination
}
TRANSSHIPMENT = "13"

#: UNB syntax identifiers and the character set of the bytes. Level A and B are subsets of ASCII;
#: they are read as UTF-8 (of which ASCII is a subset) so that a sender who declares UNOA but
#: writes UTF-8 is still read. Unknown identifiers are read as UTF-8 too.
CHARSETS = {
    "UNOC": "latin-1",
    "UNOD": "iso8859-2",
    "UNOE": "iso8859-5",
    "UNOF": "iso8859-7",
    "UNOG": "iso8859-3",
    "UNOH": "iso8859-4",
    "UNOI": "iso8859-6",
    "UNOJ": "iso8859-8",
    "UNOK": "iso8859-9",
}

#: Weight units (6411) read, with their factor to kilograms.
WEIGHT_UNITS = {"KGM": 1.0, "TNE": 1000.0, "GRM": 0.001, "LBR": 0.45359237}

#: Date formats (2379): the layout of the digits. Dates carry no zone: they are read as UTC.
DATE_FORMATS = {"102": "%Y%m%d", "203": "%Y%m%d%H%M", "204": "%Y%m%d%H%M%S", "101": "%y%m%d", "201": "%y%m%d%H%M"}
#: The digits of each format: strptime alone would read "2026112" as 2 November.
_DATE_LENGTHS = {"102": 8, "203": 12, "204": 14, "101": 6, "201": 10}
#: Without a format code, the format is told by the length.
_FORMAT_BY_LENGTH = {8: "102", 12: "203", 14: "204"}

_SCHEMES = frozenset(scheme.value for scheme in IdentifierScheme)
_BOM = b"\xef\xbb\xbf"
_GAP = re.compile(rb"[ \t\r\n]*")
_TAG = re.compile(rb"[A-Z]{3}")
_NUMBER = re.compile(r"-?(?:\d+(?:[.,]\d*)?|[.,]\d+)")
_DIGITS = re.compile(r"\d+")
_IMO = re.compile(r"(?:IMO)?\d{7}")
_MMSI = re.compile(r"\d{9}")
_SNIFF = re.compile(rb"UNA.{6}\s*UNB|UNB\+", re.DOTALL)

Element = str | list[str]


# --- syntax: service characters, segments ----------------------------------------------------------


def _default_characters() -> Characters:
    # ISO 9735's defaults when there is no UNA (the full stop as decimal mark; both are read).
    return Characters(":", "+", ".", "?", " ", "'")


def _start(data: bytes) -> int:
    """Where the interchange starts: after a byte order mark and blank lines."""
    position = len(_BOM) if data.startswith(_BOM) else 0
    gap = _GAP.match(data, position)
    return gap.end() if gap else position


def _advice(data: bytes, position: int, line: int) -> Characters:
    """The service characters a UNA (service string advice) at `position` sets."""
    advice = data[position + 3 : position + 9]
    if len(advice) < 6 or not advice.isascii():
        raise FormatError(
            INVALID_EDIFACT, f"UNA must be followed by six ASCII service characters, got {advice!r}", line
        )
    text = advice.decode("ascii")
    # Component separator, data separator, decimal mark, release character, reserved, terminator.
    syntax = (text[0], text[1], text[3], text[5])
    if len(set(syntax)) < 4 or any(char.isalnum() for char in syntax):
        raise FormatError(
            INVALID_EDIFACT,
            f"UNA {text!r}: the component and data separators, release character and terminator must be four "
            "different characters, none a letter or digit",
            line,
        )
    return Characters.from_str(text)


@functools.lru_cache(maxsize=16)
def _segment_pattern(release: str, terminator: str) -> re.Pattern[bytes]:
    escaped_release, escaped_terminator = re.escape(release.encode()), re.escape(terminator.encode())
    # Possessive: a segment never backtracks, so an unterminated megabyte costs one pass.
    return re.compile(
        b"(?:[^" + escaped_release + escaped_terminator + b"]++|" + escaped_release + b".)*+" + escaped_terminator,
        re.DOTALL,
    )


@dataclass(frozen=True, slots=True)
class _Raw:
    """A segment as bytes (from its tag to its terminator), the line it starts on, and the service
    characters it is written with."""

    line: int
    tag: str
    data: bytes
    characters: Characters


def _scan(data: bytes) -> Iterator[_Raw]:
    """The segments of `data`, UNA included: a UNA sets the service characters of the interchange
    it precedes, and after a UNZ they are the defaults again (files concatenate interchanges)."""
    characters = _default_characters()
    position = len(_BOM) if data.startswith(_BOM) else 0
    line = 1
    while True:
        gap = _GAP.match(data, position)
        assert gap is not None  # the pattern matches the empty string
        line += data.count(b"\n", position, gap.end())
        position = gap.end()
        if position >= len(data):
            return
        if data.startswith(b"UNA", position):
            characters = _advice(data, position, line)
            yield _Raw(line, "UNA", data[position : position + 9], characters)
            line += data.count(b"\n", position, position + 9)
            position += 9
            continue
        found = _segment_pattern(characters.escape_character, characters.segment_terminator).match(data, position)
        if found is None:
            raise FormatError(INVALID_EDIFACT, "a segment without its terminator: the data is cut short", line)
        raw = data[position : found.end()]
        after_tag = raw[3:4].decode("latin-1")
        if _TAG.fullmatch(raw[:3]) is None or after_tag not in (
            characters.data_separator,
            characters.segment_terminator,
        ):
            raise FormatError(INVALID_EDIFACT, f"not a segment (no three-letter tag): {raw[:24]!r}", line)
        tag = raw[:3].decode("ascii")
        yield _Raw(line, tag, raw, characters)
        if tag == "UNZ":
            characters = _default_characters()
        line += raw.count(b"\n")
        position = found.end()


@dataclass(frozen=True, slots=True)
class _Segment:
    """A segment read: its tag, its data elements (a string, or the components of a composite)."""

    line: int
    tag: str
    elements: list[Element]

    def get(self, element: int, component: int = 0) -> str:
        """A component ('' when absent): element and component count from 0 after the tag."""
        if element >= len(self.elements):
            return ""
        value = self.elements[element]
        if isinstance(value, str):
            return value if component == 0 else ""
        return value[component] if component < len(value) else ""

    def components(self, element: int) -> list[str]:
        if element >= len(self.elements):
            return []
        value = self.elements[element]
        return [value] if isinstance(value, str) else list(value)


def _parse(raw: _Raw, charset: str) -> _Segment:
    try:
        text = raw.data.decode(charset)
    except UnicodeDecodeError as error:
        raise FormatError(
            INVALID_ENCODING, f"{raw.tag}: byte {error.start + 1} of the segment is not {charset}", raw.line
        ) from error
    parsed = split_plain_segment(text, raw.characters)
    if parsed is not None:
        return _Segment(raw.line, raw.tag, parsed[1:])
    try:
        tokens = Tokenizer().get_tokens(text, raw.characters)
        parsed = next(iter(Parser(characters=raw.characters).convert_tokens_to_raw_segments(tokens)), None)
    except Exception as error:
        # pydifact raises EDISyntaxError for what it recognises as malformed, and other exceptions
        # (AssertionError, IndexError) for some input it does not expect: all are unreadable input.
        raise FormatError(INVALID_EDIFACT, f"{raw.tag}: {error}", raw.line) from error
    if not parsed:
        raise FormatError(INVALID_EDIFACT, f"{raw.tag}: an empty segment", raw.line)
    return _Segment(raw.line, raw.tag, parsed[1:])


def split_plain_segment(text: str, characters: Characters) -> list[str | list[str]] | None:
    """A segment without release characters or line breaks, split as pydifact would split it, at a
    fraction of the cost (its tokenizer reads a character at a time: 0.8 ms a message); None for
    anything else, which goes to pydifact (tests/unit/test_format_cuscar.py compares the two)."""
    body = text.rstrip(" \r\n")
    terminator = characters.segment_terminator
    if not body.endswith(terminator) or not body[:1].isalnum():
        return None
    body = body[: -len(terminator)]
    if characters.escape_character in body or terminator in body or "\n" in body or "\r" in body:
        return None
    tag, *elements = body.split(characters.data_separator)
    component = characters.component_separator
    return [tag, *(_composite(element, component) if component in element else element for element in elements)]


def _composite(element: str, separator: str) -> str | list[str]:
    # As pydifact reads them: trailing empty components are dropped, and one left is a plain value.
    components = element.split(separator)
    while len(components) > 1 and not components[-1]:
        components.pop()
    return components[0] if len(components) == 1 else components


def _charset(unb: _Raw) -> str:
    # The syntax identifier is ASCII in every character set: read UNB as Latin-1 to find it.
    syntax = _parse(unb, "latin-1").get(0, 0).upper()
    return CHARSETS.get(syntax, "utf-8")


# --- the envelope ---------------------------------------------------------------------------------


@dataclass
class _Interchange:
    unb: _Segment
    charset: str
    una: _Raw | None
    raw: _Raw
    check_counts: bool
    messages: int = 0
    groups: int = 0

    @property
    def reference(self) -> str:
        return self.unb.get(4, 0)

    @property
    def sender(self) -> str:
        return self.unb.get(1, 0)

    def close(self, unz: _Segment) -> None:
        # UNZ counts the functional groups (UNG) when there are any, else the messages.
        expected = self.groups or self.messages
        count = unz.get(0, 0)
        if self.check_counts and not _counts(count, expected):
            raise FormatError(
                MESSAGE_COUNT_MISMATCH,
                f"UNZ counts {count!r} messages or groups, the interchange has {expected}",
                unz.line,
            )
        if unz.get(1, 0) != self.reference:
            raise FormatError(
                REFERENCE_MISMATCH,
                f"UNZ's control reference {unz.get(1, 0)!r} is not UNB's {self.reference!r}",
                unz.line,
            )


def _counts(count: str, expected: int) -> bool:
    # Compared as text: int() of a hostile count of thousands of digits raises.
    return _DIGITS.fullmatch(count) is not None and (count.lstrip("0") or "0") == str(expected)


def _check_message(segments: list[_Segment], check_counts: bool) -> None:
    unh, unt = segments[0], segments[-1]
    count = unt.get(0, 0)
    if check_counts and not _counts(count, len(segments)):
        raise FormatError(
            SEGMENT_COUNT_MISMATCH,
            f"UNT counts {count!r} segments, the message (UNH of line {unh.line} to UNT) has {len(segments)}",
            unt.line,
        )
    if unt.get(1, 0) != unh.get(0, 0):
        raise FormatError(
            REFERENCE_MISMATCH, f"UNT's message reference {unt.get(1, 0)!r} is not UNH's {unh.get(0, 0)!r}", unt.line
        )
    if unh.get(1, 0).upper() != "CUSCAR":
        raise FormatError(UNSUPPORTED_MESSAGE, f"a {unh.get(1, 0)!r} message, not CUSCAR", unh.line)


# --- the format -----------------------------------------------------------------------------------


class CuscarFormat:
    """The CUSCAR format. `check_counts=False` reads interchanges whose UNT and UNZ counts are wrong
    (some test files, hand-edited samples); the format registered for feeds checks them, since a
    wrong count is how EDIFACT says segments or messages were lost."""

    name = "cuscar"

    def __init__(self, *, check_counts: bool = True) -> None:
        self.check_counts = check_counts

    def sniff(self, head: bytes) -> bool:
        return _SNIFF.match(head, _start(head)) is not None

    def split(self, handle: IO[bytes]) -> Iterator[Message]:
        # Each message is wrapped in its interchange's UNA and original UNB and a UNZ counting
        # one message, so it decodes alone. Only the envelope is checked here (it is what the
        # cutting needs, and UNZ is seen nowhere else); a message's own content, UNT included, is
        # left to `decode`, so it reaches the dead-letter topic with its reason.
        interchange: _Interchange | None = None
        una: _Raw | None = None
        message: list[_Raw] = []
        for raw in _scan(handle.read()):
            if message:
                if raw.tag in _ENVELOPE_TAGS:
                    raise FormatError(MISSING_UNT, f"the message of line {message[0].line} has no UNT", raw.line)
                message.append(raw)
                if raw.tag == "UNT":
                    assert interchange is not None  # a message starts inside one
                    yield _wrapped(interchange, message)
                    message = []
                continue
            interchange = _envelope(interchange, raw, una, self.check_counts)
            una = raw if raw.tag == "UNA" else None
            if raw.tag == "UNH":
                message = [raw]
        if message:
            raise FormatError(MISSING_UNT, "the last message has no UNT: the data is cut short", message[0].line)
        if interchange is not None:
            raise FormatError(
                INVALID_ENVELOPE, "the interchange has no UNZ: the data is cut short", interchange.unb.line
            )

    def decode(self, payload: bytes, context: Context) -> list[Document]:
        if len(payload) > MAX_PAYLOAD_BYTES:
            raise FormatError(TOO_LARGE, f"{len(payload)} bytes, more than {MAX_PAYLOAD_BYTES}")
        documents: list[Document] = []
        interchange: _Interchange | None = None
        una: _Raw | None = None
        message: list[_Segment] = []
        messages = 0
        # Framed first, so that the limits are enforced before anything is tokenised.
        raws: list[_Raw] = []
        for raw in _scan(payload):
            if len(raws) == MAX_SEGMENTS:
                raise FormatError(TOO_MANY_SEGMENTS, f"more than {MAX_SEGMENTS} segments", raw.line)
            if len(raw.data) > MAX_SEGMENT_BYTES:
                raise FormatError(SEGMENT_TOO_LONG, f"{raw.tag}: more than {MAX_SEGMENT_BYTES} bytes", raw.line)
            raws.append(raw)
        for raw in raws:
            if message:
                if raw.tag in _ENVELOPE_TAGS:
                    raise FormatError(MISSING_UNT, f"the message of line {message[0].line} has no UNT", raw.line)
                assert interchange is not None  # a message starts inside one
                message.append(_parse(raw, interchange.charset))
                if raw.tag == "UNT":
                    _check_message(message, self.check_counts)
                    documents.extend(_documents(message, interchange, context))
                    message = []
                continue
            interchange = _envelope(interchange, raw, una, self.check_counts)
            una = raw if raw.tag == "UNA" else None
            if raw.tag == "UNH":
                assert interchange is not None  # _envelope refuses a UNH outside an interchange
                message = [_parse(raw, interchange.charset)]
                messages += 1
        if message:
            raise FormatError(MISSING_UNT, "the message has no UNT: it is cut short", message[0].line)
        if interchange is not None:
            raise FormatError(INVALID_ENVELOPE, "the interchange has no UNZ: it is cut short", interchange.unb.line)
        if not messages:
            raise FormatError(MISSING_UNH, "no message (UNH ... UNT)", 1)
        return documents

    def encode(self, documents: Sequence[Document]) -> bytes:
        # One interchange per run of documents of the same feed (the feed is UNB's sender), one
        # message per document.
        out = []
        for feed, run in itertools.groupby(documents, key=_feed_of):
            out.append(_interchange(feed, list(run)))
        return b"".join(out)


#: Segments of the envelope: none may come inside a message.
_ENVELOPE_TAGS = frozenset({"UNA", "UNB", "UNZ", "UNG", "UNE", "UNH"})


def _envelope(interchange: _Interchange | None, raw: _Raw, una: _Raw | None, check_counts: bool) -> _Interchange | None:
    """The interchange open after `raw`, a segment outside any message (UNA, UNB, UNG, UNE, UNZ,
    or the UNH that starts one); anything else there is refused."""
    if raw.tag == "UNA":
        if interchange is not None:
            raise FormatError(INVALID_ENVELOPE, "UNA inside an interchange (before its UNZ)", raw.line)
        return None
    if raw.tag == "UNB":
        if interchange is not None:
            raise FormatError(INVALID_ENVELOPE, "UNB before the previous interchange's UNZ", raw.line)
        charset = _charset(raw)
        return _Interchange(_parse(raw, charset), charset, una, raw, check_counts)
    if interchange is None:
        raise FormatError(INVALID_ENVELOPE, f"{raw.tag} outside an interchange (no UNB before it)", raw.line)
    if raw.tag == "UNZ":
        interchange.close(_parse(raw, interchange.charset))
        return None
    if raw.tag == "UNG":
        interchange.groups += 1
    elif raw.tag == "UNH":
        interchange.messages += 1
    elif raw.tag != "UNE":
        raise FormatError(MISSING_UNH, f"{raw.tag} outside a message (no UNH before it)", raw.line)
    return interchange


def _wrapped(interchange: _Interchange, message: list[_Raw]) -> Message:
    characters = interchange.raw.characters
    unz = Serializer(characters).serialize([Segment("UNZ", "1", interchange.reference)], with_una_header=False)
    head = [interchange.una.data] if interchange.una else []
    lines = [*head, interchange.raw.data, *(raw.data for raw in message), unz.encode(interchange.charset)]
    return Message(message[0].line, b"\n".join(lines) + b"\n", _key(interchange, message))


def _key(interchange: _Interchange, message: list[_Raw]) -> bytes | None:
    # The split has no feed header: the key names the feed by UNB's sender, and the BGM number.
    bgm = next((raw for raw in message if raw.tag == "BGM"), None)
    try:
        manifest_id = _parse(bgm, interchange.charset).get(1, 0) if bgm else ""
    except FormatError:
        return None  # decode reports it
    if not interchange.sender or not manifest_id:
        return None
    return f"{interchange.sender}:{manifest_id}".encode()


# --- decoding a message ---------------------------------------------------------------------------


@dataclass
class _Equipment:
    number: str
    size_type: str
    seals: list[str] = field(default_factory=list)

    def document(self) -> Document:
        container: Document = {}
        _put(container, "number", self.number)
        # Several SEL segments are several seals; the contract has one seal field.
        _put(container, "seal", ", ".join(self.seals))
        _put(container, "size_type", self.size_type)
        return container


@dataclass
class _Goods:
    descriptions: list[str] = field(default_factory=list)
    hs_code: str = ""
    weight: float | None = None
    container: str = ""

    def document(self, not_containers: set[str]) -> Document:
        commodity: Document = {}
        _put(commodity, "hs_code", self.hs_code)
        _put(commodity, "description", " ".join(self.descriptions))
        if self.weight is not None:
            commodity["gross_weight_kg"] = self.weight
        # Goods placed (SGP) in equipment the message says is not a container (a trailer, bulk)
        # are in no container.
        if self.container not in not_containers:
            _put(commodity, "container_number", self.container)
        return commodity


@dataclass
class _Level:
    """What the message says for all its consignments, or what one consignment says for itself."""

    locations: dict[str, str] = field(default_factory=dict)
    transshipment: list[str] = field(default_factory=list)
    parties: list[Document] = field(default_factory=list)
    equipment: list[_Equipment] = field(default_factory=list)
    transport: _Segment | None = None


@dataclass
class _Consignment(_Level):
    number: str = ""
    document_number: str = ""
    references: dict[str, str] = field(default_factory=dict)
    goods: list[_Goods] = field(default_factory=list)

    @property
    def bill_of_lading(self) -> str:
        # Bill of lading, master, house; else the transport document number of CNI.
        for qualifier in ("BM", "MB", "BH"):
            if self.references.get(qualifier):
                return self.references[qualifier]
        return self.document_number


def _documents(segments: list[_Segment], interchange: _Interchange, context: Context) -> list[Document]:
    unh = segments[0]
    message = _Level()
    consignments: list[_Consignment] = []
    level: _Level = message
    manifest_id = ""
    dates: dict[str, _Segment] = {}
    other_transport = False  # inside the group of a TDT that is not the main carriage
    equipment: _Equipment | None = None
    not_containers: set[str] = set()  # the numbers of equipment other than containers
    goods: _Goods | None = None
    for segment in segments[1:-1]:
        tag = segment.tag
        if tag not in ("LOC", "DTM"):
            other_transport = False
        if tag == "BGM":
            manifest_id = manifest_id or segment.get(1, 0)
        elif tag == "DTM":
            if level is message and not other_transport:
                dates.setdefault(segment.get(0, 0), segment)
        elif tag == "TDT":
            other_transport = segment.get(0, 0) != "20"
            if not other_transport and level.transport is None:
                level.transport = segment
        elif tag == "LOC":
            if not other_transport:
                _locate(level, segment)
        elif tag == "NAD":
            party = _party(segment)
            if party is not None:
                level.parties.append(party)
        elif tag == "CNI":
            level = _Consignment(number=segment.get(0, 0), document_number=segment.get(1, 0))
            consignments.append(level)
            equipment = goods = None
        elif tag == "RFF":
            if isinstance(level, _Consignment) and segment.get(0, 1):
                level.references.setdefault(segment.get(0, 0), segment.get(0, 1))
        elif tag == "EQD":
            goods, equipment = None, None
            if segment.get(0, 0) == "CN":
                equipment = _Equipment(segment.get(1, 0), segment.get(2, 0))
                level.equipment.append(equipment)
            elif segment.get(1, 0):
                not_containers.add(segment.get(1, 0))
        elif tag == "SEL":
            if equipment is not None and segment.get(0, 0):
                equipment.seals.append(segment.get(0, 0))
        elif tag == "GID":
            # A goods item belongs to a consignment; one before any CNI belongs to no manifest.
            equipment, goods = None, None
            if isinstance(level, _Consignment):
                goods = _Goods()
                level.goods.append(goods)
        elif goods is not None:
            _describe(goods, segment)
    if not consignments:
        raise FormatError(NO_CONSIGNMENT, "the CUSCAR message has no consignment (CNI): no bill of lading", unh.line)
    feed = context.feed or interchange.sender
    if not feed:
        raise FormatError(
            MISSING_FEED, "no feed: none given with the message, and UNB names no sender", interchange.unb.line
        )
    reported_at = _reported_at(dates, interchange.unb)
    documents = []
    for consignment in consignments:
        document: Document = {"kind": "shipment", "feed": feed}
        bill = consignment.bill_of_lading
        if manifest_id:
            # One consignment: the message's document number. Several: each is told by its bill.
            many = len(consignments) > 1
            document["manifest_id"] = f"{manifest_id}/{bill or consignment.number}" if many else manifest_id
        _put(document, "reported_at", reported_at)
        _put(document, "bill_of_lading", bill)
        transport = consignment.transport or message.transport
        if transport is not None:
            vessel = _vessel(transport)
            if vessel:
                document["vessel"] = vessel
            _put(document, "voyage_number", transport.get(1, 0))
        for field_name, qualifiers in LOCATIONS.items():
            _put(document, field_name, _location(qualifiers, consignment, message))
        ports = consignment.transshipment or message.transshipment
        if ports:
            document["transshipment_ports"] = list(ports)
        parties = [dict(party) for party in (*message.parties, *consignment.parties)]
        if parties:
            document["parties"] = parties
        containers = [item.document() for item in _containers(consignment, message, len(consignments) == 1)]
        if containers:
            document["containers"] = containers
        commodities = [item.document(not_containers) for item in consignment.goods]
        if commodities:
            document["commodities"] = commodities
        documents.append(document)
    return documents


def _locate(level: _Level, segment: _Segment) -> None:
    qualifier, code = segment.get(0, 0), segment.get(1, 0)
    if not code:
        return
    if qualifier == TRANSSHIPMENT:
        level.transshipment.append(code)
    else:
        level.locations.setdefault(qualifier, code)


def _location(qualifiers: tuple[str, ...], *levels: _Level) -> str:
    for level in levels:
        for qualifier in qualifiers:
            if qualifier in level.locations:
                return level.locations[qualifier]
    return ""


def _containers(consignment: _Consignment, message: _Level, only: bool) -> list[_Equipment]:
    # The message's equipment is all this consignment's when it is the only one; otherwise a
    # consignment has the containers its goods are placed in (SGP), and its own EQD.
    referenced = {goods.container for goods in consignment.goods if goods.container}
    own = {item.number for item in consignment.equipment}
    shared = [item for item in message.equipment if (only or item.number in referenced) and item.number not in own]
    return [*consignment.equipment, *shared]


def _describe(goods: _Goods, segment: _Segment) -> None:
    """FTX, PIA, MEA and SGP of a goods item (GID group)."""
    tag = segment.tag
    if tag == "FTX" and segment.get(0, 0) == "AAA":
        text = _joined(segment.components(3))
        if text:
            goods.descriptions.append(text)
    elif tag == "PIA" and segment.get(0, 0) in ("5", "1") and not goods.hs_code:
        for position in range(1, len(segment.elements)):
            if segment.get(position, 1).upper() == "HS" and segment.get(position, 0):
                goods.hs_code = segment.get(position, 0)
                break
    elif tag == "MEA" and segment.get(0, 0) == "AAE" and segment.get(1, 0) in ("G", "AAB") and goods.weight is None:
        unit, value = segment.get(2, 0).upper(), segment.get(2, 1)
        if value:
            goods.weight = _weight(unit, value, segment.line)
    elif tag == "SGP" and not goods.container:
        goods.container = segment.get(0, 0)


def _weight(unit: str, value: str, line: int) -> float:
    if unit not in WEIGHT_UNITS:
        raise FormatError(
            INVALID_VALUE, f"MEA: gross weight in {unit!r}, expected one of {', '.join(WEIGHT_UNITS)}", line
        )
    if _NUMBER.fullmatch(value) is None:
        raise FormatError(INVALID_VALUE, f"MEA: gross weight {value!r} is not a number", line)
    # Both decimal marks are read, whatever UNA says: senders mix them up.
    number = float(value.replace(",", "."))
    factor = WEIGHT_UNITS[unit]
    # A converted weight is rounded to the gram, so that 18.2 TNE is 18200 kg and not 18200.000000000004.
    weight = number if factor == 1.0 else round(number * factor, 3)
    if not math.isfinite(weight):  # hundreds of digits: no weight, and JSON has no infinity
        raise FormatError(INVALID_VALUE, f"MEA: gross weight {value[:40]!r}... is out of range", line)
    return weight


def _vessel(tdt: _Segment) -> Document:
    """The vessel of TDT's C222: 8213 id (IMO number, call sign ...), 1131 code list, 3055 agency,
    8212 name, 8453 nationality (the flag)."""
    identifier, code_list, agency, name, nationality = (tdt.get(7, position) for position in range(5))
    vessel: Document = {}
    _put(vessel, "name", name)
    if identifier:
        vessel[_vessel_id_kind(identifier, code_list.upper(), agency.upper())] = identifier
    _put(vessel, "flag", nationality)
    return vessel


def _vessel_id_kind(identifier: str, code_list: str, agency: str) -> str:
    if code_list in ("146", "IMO") or agency in ("11", "IMO"):  # ship's IMO number; Lloyd's register
        return "imo"
    if code_list == "103":  # call sign directory
        return "call_sign"
    if code_list == "MMSI":
        return "mmsi"
    # Unqualified: an IMO number is seven digits and an MMSI nine; call signs have letters.
    if _IMO.fullmatch(identifier):
        return "imo"
    if _MMSI.fullmatch(identifier):
        return "mmsi"
    return "call_sign"


def _party(nad: _Segment) -> Document | None:
    """A party of NAD: 3035 qualifier, C082 identification, C058 name and address (unstructured),
    C080 party name, C059 street, 3164 city, 3229 region, 3251 postcode, 3207 country."""
    role = PARTY_QUALIFIERS.get(nad.get(0, 0).upper())
    if role is None:
        return None  # message sender, supplier ...: not a party of the contract
    party: Document = {"role": role}
    name = _joined(nad.components(3))
    unstructured = [line for line in nad.components(2) if line]
    if not name and unstructured:
        # Name and address in C058 only: the first line is the name, the others the address.
        name, unstructured = unstructured[0], unstructured[1:]
    _put(party, "name", name)
    country = nad.get(8, 0)
    _put(party, "country", country)
    address: Document = {}
    _put(address, "street", _joined(nad.components(4)))
    _put(address, "city", nad.get(5, 0))
    _put(address, "region", nad.get(6, 0))
    _put(address, "postal_code", nad.get(7, 0))
    _put(address, "full", " ".join(unstructured))
    if address:
        _put(address, "country", country)
        party["address"] = address
    identifier, scheme = nad.get(1, 0), nad.get(1, 1).lower()
    if identifier:
        party["identifiers"] = [{"scheme": scheme if scheme in _SCHEMES else "other", "value": identifier}]
    return party


def _reported_at(dates: dict[str, _Segment], unb: _Segment) -> str:
    # The document's date (137); else when the interchange was prepared (UNB); else the arrival
    # (132) or departure (133) of the main carriage, the only times left.
    if "137" in dates:
        return _date(dates["137"])
    prepared = _unb_date(unb)
    if prepared:
        return prepared
    for qualifier in ("132", "133"):
        if qualifier in dates:
            return _date(dates[qualifier])
    return ""


def _date(dtm: _Segment) -> str:
    value, code = dtm.get(0, 1), dtm.get(0, 2)
    code = code or _FORMAT_BY_LENGTH.get(len(value), "")
    layout = DATE_FORMATS.get(code)
    if layout is None:
        raise FormatError(
            INVALID_DATE,
            f"DTM {dtm.get(0, 0)}: date format {code!r}, expected one of {', '.join(DATE_FORMATS)}",
            dtm.line,
        )
    try:
        if not _DIGITS.fullmatch(value) or len(value) != _DATE_LENGTHS[code]:
            raise ValueError("not the digits of the format")
        return datetime.strptime(value, layout).replace(tzinfo=UTC).isoformat()
    except ValueError as error:
        raise FormatError(
            INVALID_DATE, f"DTM {dtm.get(0, 0)}: {value!r} is not a date of format {code}", dtm.line
        ) from error


def _unb_date(unb: _Segment) -> str:
    # The envelope's date is only a fallback: an unreadable one is ignored rather than refused.
    day, time = unb.get(3, 0), unb.get(3, 1) or "0000"
    layouts = {6: "%y%m%d%H%M", 8: "%Y%m%d%H%M"}
    if len(day) not in layouts or not _DIGITS.fullmatch(day + time) or len(time) != 4:
        return ""
    try:
        return datetime.strptime(day + time, layouts[len(day)]).replace(tzinfo=UTC).isoformat()
    except ValueError:
        return ""


def _joined(components: list[str]) -> str:
    # Lines of a name, street or text (35 or 512 characters each) are one value cut in pieces.
    return " ".join(component for component in components if component)


def _put(target: Document, name: str, value: str) -> None:
    if value:
        target[name] = value


# --- encoding -------------------------------------------------------------------------------------

_FIELDS = {
    "manifest": {
        "kind", "manifest_id", "feed", "reported_at", "bill_of_lading", "vessel", "voyage_number", "port_of_origin",
        "port_of_loading", "transshipment_ports", "port_of_discharge", "place_of_destination", "parties",
        "containers", "commodities",
    },
    "vessel": {"name", "imo", "mmsi", "call_sign", "flag"},
    "party": {"role", "name", "kind", "country", "address", "identifiers"},
    "address": {"street", "city", "region", "postal_code", "country", "full"},
    "identifier": {"scheme", "value", "country"},
    "container": {"number", "seal", "size_type"},
    "commodity": {"hs_code", "description", "gross_weight_kg", "container_number"},
}  # fmt: skip


def _feed_of(document: Document) -> str:
    feed = document.get("feed")
    if not isinstance(feed, str) or not feed:
        raise FormatError(UNSUPPORTED_DOCUMENT, "a document without a feed: UNB needs it as the sender")
    return feed


def _interchange(feed: str, documents: list[Document]) -> bytes:
    messages = [_message_segments(document, str(number)) for number, document in enumerate(documents, start=1)]
    body = [segment for message in messages for segment in message]
    prepared = _prepared_at(documents[0])
    characters = _default_characters()
    # A hash of the content: the same interchange gets the same reference, different ones differ.
    digest = hashlib.sha256(Serializer(characters).serialize(body, with_una_header=False).encode()).hexdigest()
    reference = digest[:14].upper()
    # Latin-1 (UNOC, syntax version 3: a two-digit year) when the text fits, else UTF-8 (UNOW,
    # syntax version 4: four digits).
    for syntax, version, charset in (("UNOC", "3", "latin-1"), ("UNOW", "4", "utf-8")):
        year = f"{prepared.year:04d}" if version == "4" else f"{prepared.year % 100:02d}"
        unb = _segment(
            "UNB", [syntax, version], [feed, "ZZZ"], [RECIPIENT, "ZZZ"], [f"{year}{prepared:%m%d}", f"{prepared:%H%M}"],
            reference,
        )  # fmt: skip
        unz = _segment("UNZ", str(len(messages)), reference)
        text = Serializer(characters).serialize([unb, *body, unz], with_una_header=True, break_lines=True)
        try:
            return text.encode(charset)
        except UnicodeEncodeError:
            continue
    raise AssertionError("UTF-8 encodes every string")  # pragma: no cover


def _prepared_at(document: Document) -> datetime:
    reported = document.get("reported_at")
    if reported is None:
        return datetime.now(UTC).replace(tzinfo=None)
    return _utc(reported)


def _message_segments(document: Document, reference: str) -> list[Segment]:
    if document.get("kind", "shipment") != "shipment":
        raise FormatError(UNSUPPORTED_DOCUMENT, f"CUSCAR carries shipment manifests only, not {document.get('kind')!r}")
    _known(document, "manifest")
    segments = [
        _segment("UNH", reference, list(MESSAGE_TYPE)),
        _segment("BGM", "85", _text(document.get("manifest_id")), "9"),  # customs manifest, original
    ]
    if document.get("reported_at") is not None:
        reported = _utc(document["reported_at"])
        digits = f"{reported.year:04d}{reported:%m%d%H%M%S}"
        segments.append(_segment("DTM", ["137", digits, "204"]))
    vessel = document.get("vessel") or {}
    _known(vessel, "vessel")
    voyage = _text(document.get("voyage_number"))
    if vessel or voyage:
        segments.append(_segment("TDT", "20", voyage, "1", "", "", "", "", _transport_id(vessel)))
    containers = document.get("containers") or []
    for container in containers:
        _known(container, "container")
        segments.append(_segment("EQD", "CN", _text(container.get("number")), _text(container.get("size_type"))))
        if container.get("seal"):
            segments.append(_segment("SEL", _text(container["seal"])))
    bill = _text(document.get("bill_of_lading"))
    segments.append(_segment("CNI", "1", bill))
    if bill:
        segments.append(_segment("RFF", ["BM", bill]))
    route = [("76", document.get("port_of_origin")), ("9", document.get("port_of_loading"))]
    route += [(TRANSSHIPMENT, port) for port in document.get("transshipment_ports") or []]
    route += [("11", document.get("port_of_discharge")), ("7", document.get("place_of_destination"))]
    for qualifier, port in route:
        if port:
            segments.append(_segment("LOC", qualifier, [_text(port), "139", "6"]))  # a port, UN/LOCODE
    for party in document.get("parties") or []:
        segments.append(_nad(party))
    for number, commodity in enumerate(document.get("commodities") or [], start=1):
        _known(commodity, "commodity")
        segments.append(_segment("GID", str(number)))
        if commodity.get("description"):
            segments.append(_segment("FTX", "AAA", "", "", _wrap(_text(commodity["description"]), 512, 5)))
        if commodity.get("hs_code"):
            segments.append(_segment("PIA", "5", [_text(commodity["hs_code"]), "HS"]))
        if commodity.get("gross_weight_kg") is not None:
            segments.append(_segment("MEA", "AAE", "G", ["KGM", _decimal(commodity["gross_weight_kg"])]))
        if commodity.get("container_number"):
            segments.append(_segment("SGP", _text(commodity["container_number"])))
    segments.append(_segment("UNT", str(len(segments) + 1), reference))
    return segments


def _transport_id(vessel: Document) -> list[str]:
    # C222 has room for one identification: the IMO number, else the call sign, else the MMSI.
    if vessel.get("imo"):
        identifier, code_list, agency = _text(vessel["imo"]), "146", "11"
    elif vessel.get("call_sign"):
        identifier, code_list, agency = _text(vessel["call_sign"]), "103", ""
    elif vessel.get("mmsi"):
        identifier, code_list, agency = _text(vessel["mmsi"]), "MMSI", ""
    else:
        identifier, code_list, agency = "", "", ""
    return [identifier, code_list, agency, _text(vessel.get("name")), _text(vessel.get("flag"))]


def _nad(party: Any) -> Segment:
    _known(party, "party")
    address = party.get("address") or {}
    _known(address, "address")
    role = _text(party.get("role"))
    if role not in ROLE_QUALIFIERS:
        raise FormatError(UNSUPPORTED_DOCUMENT, f"party role {role!r}: one of {', '.join(ROLE_QUALIFIERS)}")
    identification: Element = ""
    identifiers = party.get("identifiers") or []
    if identifiers:
        # C082 has room for one identifier: the first, its scheme as the code list.
        _known(identifiers[0], "identifier")
        identification = [_text(identifiers[0].get("value")), _text(identifiers[0].get("scheme")).upper()]
    full = _text(address.get("full"))
    return _segment(
        "NAD",
        ROLE_QUALIFIERS[role],
        identification,
        _wrap(full, 35, 5) if full else "",
        _wrap(_text(party.get("name")), 35, 5),
        _wrap(_text(address.get("street")), 35, 4),
        _text(address.get("city")),
        _text(address.get("region")),
        _text(address.get("postal_code")),
        _text(party.get("country") or address.get("country")),
    )


def _segment(tag: str, *elements: Element) -> Segment:
    # Trailing empty elements are left out, as the syntax asks (pydifact writes them as '+').
    trimmed = list(elements)
    while trimmed and not any(trimmed[-1]):
        trimmed.pop()
    return Segment(tag, *trimmed)


def _wrap(text: str, width: int, lines: int) -> list[str]:
    """`text` in lines of at most `width`, cut at spaces, when that is lossless (the decoder joins
    lines with a space); else in one component, longer than the directory allows but intact."""
    if len(text) <= width:
        return [text]
    wrapped: list[str] = []
    for word in text.split(" "):
        if wrapped and len(wrapped[-1]) + 1 + len(word) <= width:
            wrapped[-1] += " " + word
        else:
            wrapped.append(word)
    if len(wrapped) <= lines and all(0 < len(line) <= width for line in wrapped) and " ".join(wrapped) == text:
        return wrapped
    return [text]


def _known(value: Any, what: str) -> None:
    require_fields(value, _FIELDS[what], what, "CUSCAR")


def _text(value: Any) -> str:
    text = plain_text(value)
    if text is not None:
        return text
    raise FormatError(UNSUPPORTED_DOCUMENT, f"expected a string, got {type(value).__name__}: {value!r}")


def _decimal(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FormatError(UNSUPPORTED_DOCUMENT, f"a weight must be a number, got {value!r}")
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if not number.is_finite():
        raise FormatError(UNSUPPORTED_DOCUMENT, f"a weight of {value!r} cannot be written")
    # Plain digits: EDIFACT numbers have no exponent.
    return format(number, "f")


def _utc(value: Any) -> datetime:
    """A time to write: aware ones in UTC, naive ones as they are (EDIFACT dates have no zone)."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError as error:
            raise FormatError(UNSUPPORTED_DOCUMENT, f"reported_at {value!r} is not an ISO 8601 time") from error
    if not isinstance(value, datetime):
        raise FormatError(UNSUPPORTED_DOCUMENT, f"reported_at must be a time, got {value!r}")
    if value.tzinfo is None:
        return value
    try:
        return value.astimezone(UTC).replace(tzinfo=None)
    except OverflowError as error:  # the first hours of year 1 in a zone east of UTC
        raise FormatError(UNSUPPORTED_DOCUMENT, f"reported_at {value!r} has no UTC time") from error


CUSCAR_FORMAT = CuscarFormat()

__all__ = ["CUSCAR_FORMAT", "MAX_PAYLOAD_BYTES", "MAX_SEGMENTS", "MAX_SEGMENT_BYTES", "CuscarFormat"]
