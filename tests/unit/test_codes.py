"""The code validators of services/shared/codes: countries, UN/LOCODEs, containers, IMO, MMSI, HS.

Everything runs on the bundled data files; only the check that the bundled HS codes match their
source reads the shared reference data, and it skips when that data is absent.
"""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from stdnum import imo as stdnum_imo
from stdnum import iso6346 as stdnum_iso6346

from services.feed import reference
from services.shared.codes.containers import check_digit, is_valid_container, normalise_container
from services.shared.codes.countries import USER_ASSIGNED, country_from_text, country_name, is_country
from services.shared.codes.hs import (
    BUNDLED_CODES_FILE,
    HarmonizedSystem,
    HsLevel,
    harmonized_system,
    hs_check,
    read_bundled_codes,
    read_hs_source,
)
from services.shared.codes.ports import (
    KNOWN_PORTS_FILE,
    PortDirectory,
    is_well_formed,
    port_directory,
    read_known_ports,
)
from services.shared.codes.vessels import (
    MmsiKind,
    imo_check_digit,
    is_valid_imo,
    is_valid_mmsi,
    mid_country,
    mid_of,
    mid_table,
    mmsi_kind,
)
from services.shared.settings import PROJECT_ROOT

PROPERTIES = settings(max_examples=200, deadline=None, database=None)

# -- countries ----------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["CO", "co", " us ", "PA", "MX", "HK", "TW", "CW", "PR"])
def test_real_countries_are_countries_in_any_case(code: str) -> None:
    assert is_country(code)


@pytest.mark.parametrize("code", ["ZZ", "XX", "AA", "QM", "QZ", "XA", "UK", "EU", "", "C", "COL", "C0", "ÇO"])
def test_user_assigned_reserved_and_malformed_codes_are_not_countries(code: str) -> None:
    assert not is_country(code)
    assert country_name(code) is None


def test_kosovo_is_accepted_though_user_assigned() -> None:
    assert "XK" in USER_ASSIGNED
    assert is_country("xk")
    assert country_name("XK") == "Kosovo"


def test_country_names_are_the_common_ones() -> None:
    assert country_name("co") == "Colombia"
    assert country_name("BO") == "Bolivia"
    assert country_name("PA") == "Panama"


@pytest.mark.parametrize(("text", "code"), [("COL", "CO"), ("Colombia", "CO"), ("co", "CO"), ("Panama", "PA")])
def test_countries_are_read_from_codes_and_names(text: str, code: str) -> None:
    assert country_from_text(text) == code


@pytest.mark.parametrize("text", ["Atlantis", "rica", "ZZ", ""])
def test_text_naming_no_country_gives_none(text: str) -> None:
    assert country_from_text(text) is None


# -- ports: structure and the bundled list ------------------------------------------------------


def test_a_known_port_is_valid_known_and_named() -> None:
    check = port_directory().check("MXZLO")
    assert (check.well_formed, check.country_known, check.known, check.valid) == (True, True, True, True)
    assert check.name == "Manzanillo"


def test_a_well_formed_code_missing_from_the_list_is_valid_but_unknown() -> None:
    check = port_directory().check("MXQQQ")
    assert check.valid and not check.known
    assert check.name is None


@pytest.mark.parametrize("code", ["XXABC", "ZZABC", "QMAAA"])
def test_a_code_of_no_country_is_well_formed_but_not_valid(code: str) -> None:
    check = port_directory().check(code)
    assert check.well_formed and not check.country_known and not check.valid


@pytest.mark.parametrize("code", ["MXAB1", "MXAB0", "MXZL", "MXZLOO", "M1ZLO", "", "MX_Z?O"])
def test_malformed_codes_are_not_well_formed(code: str) -> None:
    check = port_directory().check(code)
    assert not check.well_formed and not check.valid and not check.known


@pytest.mark.parametrize("code", ["NLRTM", "nl rtm", "NL-RTM", "MXAB2", "USNY9"])
def test_structure_accepts_digits_two_to_nine_and_separators(code: str) -> None:
    assert is_well_formed(code)


def test_checks_normalise_the_code() -> None:
    check = port_directory().check(" mx-zlo ")
    assert check.code == "MXZLO" and check.known


def test_bundled_list_says_where_it_comes_from_and_is_consistent() -> None:
    header = [line for line in KNOWN_PORTS_FILE.read_text(encoding="utf-8").splitlines() if line.startswith("#")]
    assert any("public knowledge" in line for line in header)
    places = read_known_ports()
    assert 120 <= len(places) <= 200
    assert len({place.locode for place in places}) == len(places)
    with KNOWN_PORTS_FILE.open(encoding="utf-8") as lines:
        rows = list(csv.DictReader(line for line in lines if not line.startswith("#")))
    for row in rows:
        assert list(row) == ["locode", "name", "country", "aliases"]
        assert is_well_formed(row["locode"]) and row["locode"] == row["locode"].upper(), row
        assert row["country"] == row["locode"][:2] and is_country(row["country"]), row
        assert row["name"].strip() == row["name"] != "", row


def test_every_port_and_inland_place_of_the_feed_generator_is_known() -> None:
    directory = port_directory()
    inland = [code for codes in reference.INLAND.values() for code in codes]
    missing = [code for code in [*reference.PORTS, *inland] if code not in directory]
    assert missing == []


@pytest.mark.parametrize("port", list(reference.PORTS.values()), ids=list(reference.PORTS))
def test_every_port_of_the_feed_generator_resolves_by_its_name_and_country(port: reference.Port) -> None:
    directory = port_directory()
    assert directory.resolve(f"{port.city}, {port.country}") == port.locode
    assert directory.resolve(f"{port.city.upper()} {port.country}") == port.locode


# -- ports: resolving what feeds and AIS destinations write -------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("NLRTM", "NLRTM"),
        ("NL RTM", "NLRTM"),
        ("nl-rtm", "NLRTM"),
        ("ROTTERDAM", "NLRTM"),
        ("Cartagena, CO", "COCTG"),
        ("CARTAGENA CO", "COCTG"),
        ("Cartagena, Colombia", "COCTG"),
        ("CARTAGENA COL", "COCTG"),
        ("Cartagena, ES", "ESCAR"),
        ("CARTAGENA DE INDIAS", "COCTG"),
        ("BALBOA>", "PABLB"),
        ("BALBOA @@@@", "PABLB"),
        ("COCTG>USHOU", "USHOU"),
        ("CO CTG > US HOU", "USHOU"),
        ("Lázaro Cárdenas", "MXLZC"),
        ("LAZARO CARDENAS.", "MXLZC"),
        ("Manzanillo, MX", "MXZLO"),
        ("MANZANILLO PA", "PAMIT"),
        ("Manzanillo Panama", "PAMIT"),
        ("LIMON COSTA RICA", "CRLIO"),
        ("Santo Tomás de Castilla", "GTSTC"),
        ("PUERTO CORTES", "HNPCR"),
        ("Antwerpen", "BEANR"),
        ("Colón", "PAONX"),
    ],
)
def test_resolve_reads_codes_names_and_ais_destinations(text: str, code: str) -> None:
    assert port_directory().resolve(text) == code


@pytest.mark.parametrize("text", ["Manzanillo", "CARTAGENA", "Puerto Bolivar"])
def test_names_several_places_share_resolve_only_with_their_country(text: str) -> None:
    assert port_directory().resolve(text) is None


@pytest.mark.parametrize("text", ["Manzanillo, CO", "ATLANTIS", "MXQQQ", "", ">", "@@@", "FOR ORDERS"])
def test_resolve_gives_none_for_what_names_no_known_place(text: str) -> None:
    assert port_directory().resolve(text) is None


def test_name_of_gives_the_bundled_name() -> None:
    assert port_directory().name_of("mxlzc") == "Lázaro Cárdenas"
    assert port_directory().name_of("MXQQQ") is None


def test_the_bundled_data_is_loaded_once() -> None:
    assert port_directory() is port_directory(None)
    assert harmonized_system() is harmonized_system(None)


# -- ports: UNECE's official list ---------------------------------------------------------------

UNECE_PART_1 = [
    ["", "CO", "", ".COLOMBIA", "", "", "", "", "", "", "", ""],
    ["", "CO", "CTG", "Cartagena", "Cartagena", "BOL", "AI", "1234----", "0701", "CTG", "1025N 07532W", ""],
    ["", "CO", "IBE", "Ibagué", "Ibague", "TOL", "AI", "--3-----", "0701", "IBE", "0426N 07514W", ""],
    ["X", "CO", "ZZQ", "Deleted Place", "Deleted Place", "", "AI", "1-------", "0701", "", "", ""],
    ["", "CO", "ZZR", "Leaving Place", "Leaving Place", "", "XX", "1-------", "0701", "", "", ""],
]
UNECE_PART_2 = [
    ["", "CU", "", ".CUBA", "", "", "", "", "", "", "", ""],
    ["", "CU", "MZO", "Manzanillo", "Manzanillo", "12", "AI", "1-------", "0701", "", "2021N 07709W", ""],
]


def write_unece_part(path: Path, rows: list[list[str]]) -> Path:
    # UNECE's files are Latin-1 and quote every field.
    with path.open("w", encoding="latin-1", newline="") as file:
        csv.writer(file, quoting=csv.QUOTE_ALL).writerows(rows)
    return path


@pytest.fixture
def unece_directory(tmp_path: Path) -> PortDirectory:
    parts = tmp_path / "unlocode"
    parts.mkdir()
    write_unece_part(parts / "CodeListPart1.csv", UNECE_PART_1)
    write_unece_part(parts / "CodeListPart2.csv", UNECE_PART_2)
    return port_directory(parts)


def test_the_official_list_adds_its_places_to_the_bundled_ones(unece_directory: PortDirectory) -> None:
    assert len(unece_directory) == len(port_directory()) + 2  # COIBE and CUMZO; COCTG was known
    ibague = unece_directory.place("COIBE")
    assert ibague is not None and ibague.name == "Ibagué" and ibague.is_port is False
    assert unece_directory.resolve("IBAGUE") == "COIBE"
    assert unece_directory.check("COIBE").known
    assert "NLRTM" in unece_directory


def test_the_official_list_keeps_our_spellings_as_aliases(unece_directory: PortDirectory) -> None:
    cartagena = unece_directory.place("COCTG")
    assert cartagena is not None and cartagena.is_port is True
    assert unece_directory.resolve("Cartagena de Indias") == "COCTG"


def test_deleted_and_leaving_entries_and_country_rows_are_not_loaded(unece_directory: PortDirectory) -> None:
    assert "COZZQ" not in unece_directory
    assert "COZZR" not in unece_directory
    assert all(len(place.locode) == 5 for place in unece_directory)


def test_an_official_namesake_makes_a_name_ambiguous(unece_directory: PortDirectory) -> None:
    assert unece_directory.resolve("Manzanillo, CU") == "CUMZO"
    assert unece_directory.resolve("Manzanillo") is None


def test_a_single_official_part_loads_too(tmp_path: Path) -> None:
    directory = port_directory(write_unece_part(tmp_path / "part2.csv", UNECE_PART_2))
    assert directory.name_of("CUMZO") == "Manzanillo"


# -- containers ---------------------------------------------------------------------------------


def test_container_check_digit() -> None:
    assert check_digit("MSCU123456") == 6
    assert check_digit("CSQU305438") == 3  # the standard's own example
    assert check_digit("ABCU000007") == 0  # a remainder of 10 is written 0


@pytest.mark.parametrize("number", ["MSCU1234566", "MSCU 123456-6", "mscu 123456 6", "CSQU3054383", "MSCU123456/6"])
def test_valid_container_numbers(number: str) -> None:
    assert is_valid_container(number)


@pytest.mark.parametrize(
    "number", ["MSCU1234567", "MSCU123456", "MSCU12345666", "MSCA1234566", "MSC11234566", "", "MSCU12345\uff166"]
)
def test_invalid_container_numbers(number: str) -> None:
    assert not is_valid_container(number)


@pytest.mark.parametrize("owner_serial", ["MSCU12345", "MSCA123456", "1SCU123456", ""])
def test_check_digit_refuses_what_is_not_an_owner_code_and_serial(owner_serial: str) -> None:
    with pytest.raises(ValueError, match="ISO 6346"):
        check_digit(owner_serial)


def test_normalise_container() -> None:
    assert normalise_container(" mscu 123456-6 ") == "MSCU1234566"


owner_serials = st.builds(
    lambda owner, category, serial: owner + category + serial,
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=3, max_size=3),
    st.sampled_from("UJZ"),
    st.text(alphabet="0123456789", min_size=6, max_size=6),
)


@PROPERTIES
@given(owner_serial=owner_serials)
def test_every_number_built_with_its_check_digit_is_valid_and_agrees_with_stdnum(owner_serial: str) -> None:
    digit = check_digit(owner_serial)
    assert is_valid_container(f"{owner_serial}{digit}")
    assert stdnum_iso6346.is_valid(f"{owner_serial}{digit}")


@PROPERTIES
@given(owner_serial=owner_serials, position=st.integers(4, 10), replacement=st.integers(0, 9))
def test_changing_one_digit_invalidates_a_container_number(owner_serial: str, position: int, replacement: int) -> None:
    number = f"{owner_serial}{check_digit(owner_serial)}"
    assume(number[position] != str(replacement))
    # Remainders 0 and 10 share the check digit 0, so only a non-zero check digit catches every change.
    assume(number[10] != "0")
    changed = number[:position] + str(replacement) + number[position + 1 :]
    assert not is_valid_container(changed)


# -- IMO numbers --------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["9134270", "IMO 9134270", "IMO9134270", "imo 9134270", " IMO: 9134270 "])
def test_valid_imo_numbers(value: str) -> None:
    assert is_valid_imo(value)


@pytest.mark.parametrize("value", ["9134271", "913427", "91342700", "IMO 913427O", "", "IMO", "MMSI 9134270"])
def test_invalid_imo_numbers(value: str) -> None:
    assert not is_valid_imo(value)


def test_imo_check_digit_refuses_what_is_not_six_digits() -> None:
    with pytest.raises(ValueError, match="six digits"):
        imo_check_digit("91342")


bodies = st.text(alphabet="0123456789", min_size=6, max_size=6)


@PROPERTIES
@given(body=bodies)
def test_every_imo_number_built_with_its_check_digit_is_valid(body: str) -> None:
    number = f"{body}{imo_check_digit(body)}"
    assert is_valid_imo(number) and is_valid_imo(f"IMO {number}")
    assert stdnum_imo.is_valid(number)


@PROPERTIES
@given(body=bodies, position=st.integers(0, 6), replacement=st.integers(0, 9))
def test_changing_one_digit_of_an_imo_number(body: str, position: int, replacement: int) -> None:
    number = f"{body}{imo_check_digit(body)}"
    assume(number[position] != str(replacement))
    changed = number[:position] + str(replacement) + number[position + 1 :]
    if position == 6:
        assert not is_valid_imo(changed)
        return
    # The weights 2 to 7 sum mod 10: a change by 5 on an even weight, or an even change on weight 5,
    # leaves the sum alone, so the IMO check digit misses exactly those changes.
    weight = 7 - position
    missed = (replacement - int(number[position])) * weight % 10 == 0
    assert is_valid_imo(changed) == missed


# -- MMSI ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mmsi", "kind", "mid", "country"),
    [
        ("366123456", MmsiKind.SHIP, "366", "US"),
        ("303123456", MmsiKind.SHIP, "303", "US"),
        ("351234567", MmsiKind.SHIP, "351", "PA"),
        ("372000001", MmsiKind.SHIP, "372", "PA"),
        ("730000001", MmsiKind.SHIP, "730", "CO"),
        ("345123456", MmsiKind.SHIP, "345", "MX"),
        ("636012345", MmsiKind.SHIP, "636", "LR"),
        ("477123456", MmsiKind.SHIP, "477", "HK"),
        ("002241234", MmsiKind.COAST_STATION, "224", "ES"),
        ("036612345", MmsiKind.GROUP, "366", "US"),
        ("111730123", MmsiKind.SAR_AIRCRAFT, "730", "CO"),
        ("873012345", MmsiKind.HANDHELD, "730", "CO"),
        ("983661234", MmsiKind.CRAFT_ASSOCIATED, "366", "US"),
        ("993521234", MmsiKind.AIDS_TO_NAVIGATION, "352", "PA"),
    ],
)
def test_mmsi_kind_mid_and_flag(mmsi: str, kind: MmsiKind, mid: str, country: str) -> None:
    assert mmsi_kind(mmsi) == kind
    assert mid_of(mmsi) == mid
    assert mid_country(mmsi) == country
    assert is_valid_mmsi(mmsi)


@pytest.mark.parametrize("mmsi", ["970123456", "972012345", "974123456"])
def test_sart_mob_and_epirb_numbers_are_valid_without_a_flag(mmsi: str) -> None:
    assert mmsi_kind(mmsi) == MmsiKind.SART_MOB_EPIRB
    assert is_valid_mmsi(mmsi)
    assert mid_of(mmsi) is None and mid_country(mmsi) is None


@pytest.mark.parametrize("mmsi", ["12", "", "36612345", "3661234567", "36612345a", "366 123 45", "\uff1366123456"])
def test_what_is_not_nine_digits_is_no_mmsi(mmsi: str) -> None:
    assert mmsi_kind(mmsi) is None
    assert not is_valid_mmsi(mmsi)
    assert mid_country(mmsi) is None


@pytest.mark.parametrize("mmsi", ["217000000", "300123456", "780123456", "001231234", "980123456", "111100123"])
def test_an_unallocated_mid_makes_an_mmsi_invalid(mmsi: str) -> None:
    assert mmsi_kind(mmsi) is not None
    assert not is_valid_mmsi(mmsi)
    assert mid_country(mmsi) is None


@pytest.mark.parametrize("mmsi", ["123456789", "950000000", "971000000"])
def test_nine_digits_in_no_format_are_no_mmsi(mmsi: str) -> None:
    assert mmsi_kind(mmsi) is None
    assert not is_valid_mmsi(mmsi)


def test_the_mid_table_maps_allocated_mids_to_real_countries() -> None:
    table = mid_table()
    assert len(table) > 280
    assert all(len(mid) == 3 and "201" <= mid <= "775" for mid in table)
    assert all(is_country(country) for country in table.values())
    assert {mid for mid, country in table.items() if country == "PA"} == {
        *map(str, range(351, 358)),
        "370",
        "371",
        "372",
        "373",
        "374",
    }
    assert {mid for mid, country in table.items() if country == "US"} == {"303", "338", "366", "367", "368", "369"}
    partners = {
        "730": "CO",
        "345": "MX",
        "710": "BR",
        "725": "CL",
        "735": "EC",
        "321": "CR",
        "332": "GT",
        "334": "HN",
        "538": "MH",
        "637": "LR",
        "311": "BS",
        "212": "CY",
        "256": "MT",
        "775": "VE",
    }
    assert {mid: table[mid] for mid in partners} == partners


def test_the_mid_table_agrees_with_the_feed_generator() -> None:
    table = mid_table()
    for flag, mids in reference.MMSI_DIGITS.items():
        assert {table[mid] for mid in mids} == {flag}


# -- HS codes -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "level", "national"),
    [
        ("0803.90", HsLevel.SUBHEADING, ""),
        ("080390", HsLevel.SUBHEADING, ""),
        ("0803", HsLevel.HEADING, ""),
        ("08", HsLevel.CHAPTER, ""),
        ("0803.90.00.10", HsLevel.SUBHEADING, "0010"),
        ("0901.11.90", HsLevel.SUBHEADING, "90"),
        (" 0803 90 ", HsLevel.SUBHEADING, ""),
    ],
)
def test_valid_hs_codes(code: str, level: HsLevel, national: str) -> None:
    check = hs_check(code)
    assert check.valid and check.exists and check.unknown_prefix is None
    assert check.level == level
    assert check.national_digits == national


@pytest.mark.parametrize(
    ("code", "unknown_prefix"),
    [
        ("9999", "99"),
        ("999999", "99"),
        ("0803.99.99", "080399"),
        ("080399", "080399"),
        ("7706", "77"),
        ("0899", "0899"),
    ],
)
def test_hs_codes_missing_from_the_nomenclature_name_the_unknown_prefix(code: str, unknown_prefix: str) -> None:
    check = hs_check(code)
    assert check.well_formed and not check.exists and not check.valid
    assert check.unknown_prefix == unknown_prefix


@pytest.mark.parametrize("code", ["08039", "803.90", "8", "abc", "", "0803-90", "0803.90.00.10.12.3", "\uff10\uff18"])
def test_malformed_hs_codes(code: str) -> None:
    check = hs_check(code)
    assert not check.well_formed and not check.valid
    assert check.level is None


def test_every_hs_code_of_the_feed_generator_exists() -> None:
    codes = {code for goods in reference.GOODS.values() for code, _, _ in goods}
    assert [code for code in sorted(codes) if not hs_check(code).valid] == []


def test_bundled_hs_codes_form_a_tree_and_credit_their_source() -> None:
    text = BUNDLED_CODES_FILE.read_text(encoding="utf-8")
    assert "PDDL" in text and "UN Comtrade" in text and "build_hs_codes.py" in text
    codes = read_bundled_codes()
    assert codes == sorted(set(codes))
    assert {len(code) for code in codes} == {2, 4, 6}
    assert all(code[: len(code) - 2] in set(codes) for code in codes if len(code) > 2)
    assert len([code for code in codes if len(code) == 6]) > 5000


def test_bundled_hs_codes_have_no_descriptions() -> None:
    assert harmonized_system().description("0803") is None


HS_SOURCE_SAMPLE = [
    ["section", "hscode", "description", "parent", "level"],
    ["II", "08", "Fruit and nuts, edible", "TOTAL", "2"],
    ["II", "0803", "Bananas, including plantains; fresh or dried", "08", "4"],
    ["II", "080390", "Fruit, edible; bananas, other than plantains, fresh or dried", "0803", "6"],
    ["TOTAL", "99", "Commodities not specified according to kind", "TOTAL", "2"],
    ["TOTAL", "TOTAL", "Total of all HS2022 commodities", "TOTAL", "5"],
]


@pytest.fixture
def hs_source_sample(tmp_path: Path) -> Path:
    path = tmp_path / "harmonized-system.csv"
    with path.open("w", encoding="utf-8", newline="") as file:
        csv.writer(file).writerows(HS_SOURCE_SAMPLE)
    return path


def test_the_source_csv_gives_descriptions_and_leaves_comtrade_codes_out(hs_source_sample: Path) -> None:
    hs = HarmonizedSystem.from_source_csv(hs_source_sample)
    assert hs.codes == {"08", "0803", "080390"}
    assert hs.description("0803.90.00.10") == "Fruit, edible; bananas, other than plantains, fresh or dried"
    assert hs.description("08") == "Fruit and nuts, edible"
    assert not hs.check("99").exists


def test_the_build_script_writes_a_credited_list_of_codes(hs_source_sample: Path, tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("build_hs_codes", PROJECT_ROOT / "scripts" / "build_hs_codes.py")
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    output = tmp_path / "hs-codes.txt"
    assert script.build(hs_source_sample, output) == 3
    assert read_bundled_codes(output) == ["08", "0803", "080390"]
    assert output.read_text(encoding="utf-8").startswith("# Harmonized System")


@pytest.mark.reference
def test_bundled_hs_codes_match_their_source(shared_data: Path) -> None:
    assert read_bundled_codes() == sorted(read_hs_source(shared_data / "harmonized-system" / "harmonized-system.csv"))
