"""Vessel identifiers: IMO ship numbers and MMSIs (with the flag their digits stand for).

An IMO number ("IMO 9134270") is the hull's for life; its seventh digit is a check digit. An MMSI
is the radio's: nine digits whose Maritime Identification Digits (MID) name the administration
that issued it (ITU-R M.585). The flag country of an MMSI decides which desk sees an alert, so the
MID table below follows the ITU's table of Maritime Identification Digits (as published with its
MARS database) and maps each MID to the ISO 3166 alpha-2 code of the country or territory.
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import cache

from services.shared.codes.countries import is_country

_IMO = re.compile(r"(?:IMO)?\s*[:.\-]?\s*([0-9]{7})")
_IMO_WEIGHTS = (7, 6, 5, 4, 3, 2)


def imo_check_digit(body6: str) -> int:
    """The check digit of an IMO number's first six digits. Raises ValueError if they are not digits."""
    if len(body6) != 6 or not body6.isdigit():
        raise ValueError(f"not six digits: {body6!r}")
    return sum(int(digit) * weight for digit, weight in zip(body6, _IMO_WEIGHTS, strict=True)) % 10


def imo_digits(value: str) -> str | None:
    """The seven digits of "IMO 9134270" or "9134270", whatever the check digit; None if not an IMO number."""
    match = _IMO.fullmatch(value.strip().upper())
    return match.group(1) if match else None


def is_valid_imo(value: str) -> bool:
    """True for a seven-digit IMO number with the right check digit, "IMO 9134270" or "9134270"."""
    digits = imo_digits(value)
    if digits is None:
        return False
    return imo_check_digit(digits[:6]) == int(digits[6])


class MmsiKind(StrEnum):
    """The kinds of station ITU-R M.585 gives an MMSI format to (M = MID digit, X = any digit)."""

    SHIP = "ship"  # MMMXXXXXX
    GROUP = "group"  # 0MMMXXXXX: a group call to several ships
    COAST_STATION = "coast_station"  # 00MMMXXXX
    SAR_AIRCRAFT = "sar_aircraft"  # 111MMMXXX
    HANDHELD = "handheld"  # 8MMMXXXXX: handheld VHF with DSC and GNSS
    CRAFT_ASSOCIATED = "craft_associated"  # 98MMMXXXX: tender, lifeboat or workboat of a parent ship
    AIDS_TO_NAVIGATION = "aids_to_navigation"  # 99MMMXXXX
    # 970, 972 and 974 (AIS-SART, man overboard, EPIRB-AIS) are free-form numbers of the device's
    # manufacturer and serial: they carry no MID, so no flag.
    SART_MOB_EPIRB = "sart_mob_epirb"


#: Where the MID sits in each kind's nine digits (start index); kinds without a MID are absent.
_MID_START: dict[MmsiKind, int] = {
    MmsiKind.SHIP: 0,
    MmsiKind.GROUP: 1,
    MmsiKind.COAST_STATION: 2,
    MmsiKind.SAR_AIRCRAFT: 3,
    MmsiKind.HANDHELD: 1,
    MmsiKind.CRAFT_ASSOCIATED: 2,
    MmsiKind.AIDS_TO_NAVIGATION: 2,
}

# MID -> ISO 3166 alpha-2, "MID CC" pairs. Territories with their own MID map to their own code:
# 204 Azores and 255 Madeira -> PT; 303 Alaska -> US; 306 Curaçao, Sint Maarten and the Caribbean
# Netherlands -> CW (most of its ships are Curaçao's); 501 Adélie Land, 607 Saint Paul and
# Amsterdam, 618 Crozet and 635 Kerguelen -> TF; 608 Ascension -> SH. Panama has 351-357 and
# 370-374, the United States 338 and 366-369.
_MID_ALLOCATIONS = """
    201 AL  202 AD  203 AT  204 PT  205 BE  206 BY  207 BG  208 VA  209 CY  210 CY  211 DE  212 CY
    213 GE  214 MD  215 MT  216 AM  218 DE  219 DK  220 DK  224 ES  225 ES  226 FR  227 FR  228 FR
    229 MT  230 FI  231 FO  232 GB  233 GB  234 GB  235 GB  236 GI  237 GR  238 HR  239 GR  240 GR
    241 GR  242 MA  243 HU  244 NL  245 NL  246 NL  247 IT  248 MT  249 MT  250 IE  251 IS  252 LI
    253 LU  254 MC  255 PT  256 MT  257 NO  258 NO  259 NO  261 PL  262 ME  263 PT  264 RO  265 SE
    266 SE  267 SK  268 SM  269 CH  270 CZ  271 TR  272 UA  273 RU  274 MK  275 LV  276 EE  277 LT
    278 SI  279 RS
    301 AI  303 US  304 AG  305 AG  306 CW  307 AW  308 BS  309 BS  310 BM  311 BS  312 BZ  314 BB
    316 CA  319 KY  321 CR  323 CU  325 DM  327 DO  329 GP  330 GD  331 GL  332 GT  334 HN  336 HT
    338 US  339 JM  341 KN  343 LC  345 MX  347 MQ  348 MS  350 NI  351 PA  352 PA  353 PA  354 PA
    355 PA  356 PA  357 PA  358 PR  359 SV  361 PM  362 TT  364 TC  366 US  367 US  368 US  369 US
    370 PA  371 PA  372 PA  373 PA  374 PA  375 VC  376 VC  377 VC  378 VG  379 VI
    401 AF  403 SA  405 BD  408 BH  410 BT  412 CN  413 CN  414 CN  416 TW  417 LK  419 IN  422 IR
    423 AZ  425 IQ  428 IL  431 JP  432 JP  434 TM  436 KZ  437 UZ  438 JO  440 KR  441 KR  443 PS
    445 KP  447 KW  450 LB  451 KG  453 MO  455 MV  457 MN  459 NP  461 OM  463 PK  466 QA  468 SY
    470 AE  471 AE  472 TJ  473 YE  475 YE  477 HK  478 BA
    501 TF  503 AU  506 MM  508 BN  510 FM  511 PW  512 NZ  514 KH  515 KH  516 CX  518 CK  520 FJ
    523 CC  525 ID  529 KI  531 LA  533 MY  536 MP  538 MH  540 NC  542 NU  544 NR  546 PF  548 PH
    550 TL  553 PG  555 PN  557 SB  559 AS  561 WS  563 SG  564 SG  565 SG  566 SG  567 TH  570 TO
    572 TV  574 VN  576 VU  577 VU  578 WF
    601 ZA  603 AO  605 DZ  607 TF  608 SH  609 BI  610 BJ  611 BW  612 CF  613 CM  615 CG  616 KM
    617 CV  618 TF  619 CI  620 KM  621 DJ  622 EG  624 ET  625 ER  626 GA  627 GH  629 GM  630 GW
    631 GQ  632 GN  633 BF  634 KE  635 TF  636 LR  637 LR  638 SS  642 LY  644 LS  645 MU  647 MG
    649 ML  650 MZ  654 MR  655 MW  656 NE  657 NG  659 NA  660 RE  661 RW  662 SD  663 SN  664 SC
    665 SH  666 SO  667 SL  668 ST  669 SZ  670 TD  671 TG  672 TN  674 TZ  675 UG  676 CD  677 TZ
    678 ZM  679 ZW
    701 AR  710 BR  720 BO  725 CL  730 CO  735 EC  740 FK  745 GF  750 GY  755 PY  760 PE  765 SR
    770 UY  775 VE
"""


@cache
def mid_table() -> dict[str, str]:
    """Every allocated MID -> the alpha-2 code of its country or territory."""
    tokens = _MID_ALLOCATIONS.split()
    table = dict(zip(tokens[::2], tokens[1::2], strict=True))
    unknown = sorted(country for country in set(table.values()) if not is_country(country))
    if unknown:
        raise RuntimeError(f"MID table names codes that are not countries: {unknown}")
    return table


def _normalise_mmsi(mmsi: str) -> str | None:
    digits = mmsi.strip()
    return digits if len(digits) == 9 and digits.isascii() and digits.isdigit() else None


def mmsi_kind(mmsi: str) -> MmsiKind | None:
    """What kind of station the MMSI's format says it is; None when it is not nine digits or fits no format."""
    digits = _normalise_mmsi(mmsi)
    if digits is None:
        return None
    return _kind_of(digits)


def _kind_of(digits: str) -> MmsiKind | None:
    if digits.startswith("00"):
        return MmsiKind.COAST_STATION
    if digits.startswith("0"):
        return MmsiKind.GROUP
    if digits.startswith("111"):
        return MmsiKind.SAR_AIRCRAFT
    if digits[0] in "234567":
        return MmsiKind.SHIP
    if digits[0] == "8":
        return MmsiKind.HANDHELD
    if digits[:3] in ("970", "972", "974"):
        return MmsiKind.SART_MOB_EPIRB
    return {"98": MmsiKind.CRAFT_ASSOCIATED, "99": MmsiKind.AIDS_TO_NAVIGATION}.get(digits[:2])


def mid_of(mmsi: str) -> str | None:
    """The three Maritime Identification Digits, wherever the MMSI's kind puts them; None if it has none."""
    digits = _normalise_mmsi(mmsi)
    kind = None if digits is None else _kind_of(digits)
    if digits is None or kind not in _MID_START:
        return None
    start = _MID_START[kind]
    return digits[start : start + 3]


def mid_country(mmsi: str) -> str | None:
    """The alpha-2 code of the country whose MID the MMSI carries ("366123456" -> "US"), or None."""
    mid = mid_of(mmsi)
    return None if mid is None else mid_table().get(mid)


def is_valid_mmsi(mmsi: str) -> bool:
    """Nine digits in one of M.585's formats, with an allocated MID where the format carries one."""
    kind = mmsi_kind(mmsi)
    if kind is None:
        return False
    return kind not in _MID_START or mid_country(mmsi) is not None
