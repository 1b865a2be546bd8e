"""The matching engine on hand-made entries: each kind of variation, suppression, ids, updates, order."""

from __future__ import annotations

from typing import Any

import pytest

from services.matcher.engine import MatchingEngine, ScreeningQuery
from services.matcher.engine.normalize import descriptive_words, fold, generic
from services.shared.models.common import EntityKind, Identifier, IdentifierScheme
from services.shared.models.watchlist import EntryName, NameType, WatchlistEntry

PERSON, ORG, VESSEL = EntityKind.PERSON, EntityKind.ORGANIZATION, EntityKind.VESSEL


def entry(number: int, kind: EntityKind, *names: str | tuple[str, NameType], **fields: object) -> WatchlistEntry:
    listed = []
    for position, name in enumerate(names):
        text, name_type = (
            name if isinstance(name, tuple) else (name, NameType.PRIMARY if position == 0 else NameType.AKA)
        )
        listed.append(EntryName(name=text, name_type=name_type))
    return WatchlistEntry(entry_id=f"test:{number}", list_id="test", kind=kind, names=listed, owner_country="US",
                          **fields)  # type: ignore[arg-type]


ENTRIES = [
    entry(1, PERSON, "ABREGO GARCIA, Juan Carlos", dates_of_birth=["1962-04-12"], nationalities=["MX"]),
    entry(2, ORG, "INVERSIONES EL DORADO S.A. DE C.V.", "GRUPO DORADO PACIFICO"),
    entry(3, VESSEL, "OCEAN STAR", identifiers=[Identifier(scheme=IdentifierScheme.IMO, value="9134270")],
          vessel_flag="PA"),
    entry(4, ORG, "ZULTANIA INTERNATIONAL TRADING CORP"),
    entry(5, PERSON, "DE LA CRUZ PEREZ, Maria Fernanda", remarks="a.k.a. 'LA GUERA'; a.k.a. 'FERCHA'."),
    entry(6, PERSON, "MUHAMMAD, Yusuf Hussein"),
    entry(7, PERSON, "ZHUKOV, Aleksandr"),
    entry(8, PERSON, "GUTIERREZ, Pedro", ("EL FLACO", NameType.WEAK),
          identifiers=[Identifier(scheme=IdentifierScheme.CEDULA, value="79123456", country="CO"),
                       Identifier(scheme=IdentifierScheme.RFC, value="GUPE6104128X1")]),
    entry(9, ORG, "COMERCIALIZADORA NORTEÑA DEL PACIFICO LTDA",
          identifiers=[Identifier(scheme=IdentifierScheme.NIT, value="900373913-4")]),
    entry(10, PERSON, "GARCIA LOPEZ, Jose Luis"),
    entry(11, ORG, "GLOBAL MARINE SERVICES LLC"),
    entry(12, ORG, "ATLANTIC SHIPPING GROUP INC."),
]


@pytest.fixture(scope="module")
def engine() -> MatchingEngine:
    engine = MatchingEngine()
    engine.load(ENTRIES)
    return engine


def found(engine: MatchingEngine, name: str | None = None, **fields: object) -> list[str]:
    return [match.entry.entry_id for match in engine.screen(ScreeningQuery(name=name, **fields))]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("change", "name", "expected"),
    [
        ("exact", "ABREGO GARCIA, Juan Carlos", "test:1"),
        ("case, accents, punctuation", "juan-carlos ábrego garcía", "test:1"),
        ("word order", "Juan Carlos Abrego Garcia", "test:1"),
        ("missing middle name", "Juan Abrego Garcia", "test:1"),
        ("missing second surname", "Juan Carlos Abrego", "test:1"),
        ("one typo", "Juan Carlos Abrego Garsia", "test:1"),
        ("two typos", "Juan Karlos Abrego Garsia", "test:1"),
        ("Spanish particles", "Maria Fernanda Cruz Perez", "test:5"),
        ("legal form variant", "Inversiones El Dorado, SA de CV", "test:2"),
        ("legal form dropped", "INVERSIONES EL DORADO", "test:2"),
        ("legal form mistyped", "Comercializadora Norteña del Pacifico Limitda", "test:9"),
        ("vessel prefix", "M/V OCEAN STAR", "test:3"),
        ("vessel prefix MT", "MT Ocean Star", "test:3"),
        ("alias", "Grupo Dorado Pacifico S.A.", "test:2"),
        ("transliteration variant", "Mohammed Yousef Husayn", "test:6"),
        ("other script", "Жуков Александр", "test:7"),
    ],
)
def test_finds_each_kind_of_variation(engine: MatchingEngine, change: str, name: str, expected: str) -> None:
    assert found(engine, name)[:1] == [expected], change


def test_unknown_kind_is_screened_both_as_person_and_as_company(engine: MatchingEngine) -> None:
    assert found(engine, "Pedro Gutierrez", kind=EntityKind.UNKNOWN) == ["test:8"]
    assert found(engine, "Inversiones El Dorado SA de CV", kind=EntityKind.UNKNOWN) == ["test:2"]


@pytest.mark.parametrize(
    "name",
    ["INTERNATIONAL TRADING CORP", "ACME INTERNATIONAL TRADING CORP", "GLOBAL SERVICES LLC", "SHIPPING GROUP S.A.",
     "MARINE SERVICES", "S.A. DE C.V."],
)
def test_generic_words_alone_do_not_alert(engine: MatchingEngine, name: str) -> None:
    assert found(engine, name) == []


@pytest.mark.parametrize(
    ("name", "described"),
    [
        # a phrase rigour's tagger knows (REAL ESTATE); a company's own name and a city are none
        ("al amer development real estate investment", {"development", "real", "estate", "investment"}),
        ("ghadir electricity ministry", {"electricity", "ministry"}),  # rigour's, not GENERIC_WORDS
        ("hong pang textile company", {"hong", "textile", "company"}),  # TEXTILE as TEXTILES, HONG as HONG KONG
        ("noor trading tabriz", {"trading"}),
    ],
)
def test_descriptive_words_of_a_company_name(name: str, described: set[str]) -> None:
    assert descriptive_words(tuple(name.split())) == described


@pytest.mark.parametrize(
    ("word", "generic_word"),
    [
        ("agencies", True),  # GENERIC_WORDS has AGENCY only
        ("factories", True),
        ("services", True),
        ("service", True),
        ("textiles", True),
        ("fisheries", False),  # a trade, but no generic word in either number
        ("kumsan", False),
    ],
)
def test_a_generic_word_is_generic_in_either_number(word: str, generic_word: bool) -> None:
    assert generic(word) is generic_word


def test_a_plural_in_ies_folds_with_its_singular() -> None:
    assert fold("industries") == fold("industry")
    assert fold("fisheries") == fold("fishery")
    assert fold("agencies") == fold("agency")


def test_a_shared_surname_is_not_a_match(engine: MatchingEngine) -> None:
    assert found(engine, "Roberto Garcia Mendoza") == []
    assert found(engine, "Juan Garcia Mendoza") == []


def test_weak_aliases_and_remark_aliases_alone_stay_below_the_threshold(engine: MatchingEngine) -> None:
    assert found(engine, "El Flaco") == []
    assert found(engine, "La Guera") == []
    # ...but corroboration can lift them, and the remark alias is indexed at all
    engine_low = MatchingEngine(threshold=0.5)
    engine_low.load(ENTRIES)
    assert found(engine_low, "La Guera") == ["test:5"]


def test_short_names_do_not_over_match(engine: MatchingEngine) -> None:
    assert found(engine, "Juan") == []
    assert found(engine, "Star") == []


def test_identifiers_match_after_normalisation(engine: MatchingEngine) -> None:
    imo = Identifier(scheme=IdentifierScheme.IMO, value="IMO 913-4270")
    assert found(engine, identifiers=[imo]) == ["test:3"]
    nit = Identifier(scheme=IdentifierScheme.NIT, value="900.373.913-4")
    assert found(engine, identifiers=[nit]) == ["test:9"]
    # a cedula filed loosely as a national id still matches; another country's document does not
    loose = Identifier(scheme=IdentifierScheme.NATIONAL_ID, value="79.123.456")
    assert found(engine, identifiers=[loose]) == ["test:8"]
    foreign = Identifier(scheme=IdentifierScheme.CEDULA, value="79123456", country="EC")
    assert found(engine, identifiers=[foreign]) == []
    rfc = Identifier(scheme=IdentifierScheme.RFC, value="gupe-610412-8x1")
    assert found(engine, identifiers=[rfc]) == ["test:8"]


def test_invalid_identifiers_are_reported_and_still_matched() -> None:
    listed_bad = Identifier(scheme=IdentifierScheme.IMO, value="9134271")  # wrong check digit
    engine = MatchingEngine()
    engine.load([entry(1, VESSEL, "TAMPERED", identifiers=[listed_bad])])
    problems = engine.validate_identifiers([
        listed_bad,
        Identifier(scheme=IdentifierScheme.CONTAINER, value="MSCU1234567"),
        Identifier(scheme=IdentifierScheme.CONTAINER, value="CSQU3054383"),  # valid
        Identifier(scheme=IdentifierScheme.RFC, value="XYZ"),
        Identifier(scheme=IdentifierScheme.CURP, value="BADCURP"),
        Identifier(scheme=IdentifierScheme.NIT, value="900373913-5"),
        Identifier(scheme=IdentifierScheme.MMSI, value="12345"),
        Identifier(scheme=IdentifierScheme.CEDULA, value="79A123"),
    ])
    assert len(problems) == 7
    assert "IMO number '9134271'" in problems[0] and "check digit" in problems[0]
    assert "container" in problems[1] and "MSCU1234567" in problems[1]
    assert found(engine, identifiers=[listed_bad]) == ["test:1"]


def test_upsert_replaces_and_remove_forgets() -> None:
    engine = MatchingEngine()
    engine.load(ENTRIES)
    assert len(engine) == len(ENTRIES)
    assert found(engine, "Ocean Star") == ["test:3"]
    engine.upsert(entry(3, VESSEL, "SEA BREEZE"))
    assert len(engine) == len(ENTRIES)
    assert found(engine, "Ocean Star") == []
    assert found(engine, "Sea Breeze") == ["test:3"]
    assert found(engine, identifiers=[Identifier(scheme=IdentifierScheme.IMO, value="9134270")]) == []
    engine.remove("test:3")
    engine.remove("test:3")  # replayed removal is harmless
    assert len(engine) == len(ENTRIES) - 1
    assert found(engine, "Sea Breeze") == []
    engine.upsert(entry(13, PERSON, "QUINTERO ZAPATA, Hernan"))
    assert found(engine, "Hernan Quintero Zapata") == ["test:13"]


def test_scores_rank_and_never_saturate(engine: MatchingEngine) -> None:
    def score(**fields: object) -> float:
        matches = engine.screen(ScreeningQuery(**fields))  # type: ignore[arg-type]
        assert matches, fields
        return matches[0].score

    exact = score(name="Juan Carlos Abrego Garcia")
    corroborated = score(name="Juan Carlos Abrego Garcia", date_of_birth="1962-04-12", countries=["MX"])
    partial = score(name="Juan Abrego Garcia")
    typo = score(name="Juan Karlos Abrego Garsia")
    contradicted = score(name="Juan Carlos Abrego Garcia", date_of_birth="1990-01-01")
    assert corroborated > exact > typo and exact > partial
    assert contradicted < exact
    assert corroborated < 1.0


def test_results_are_ordered_best_first_and_limited() -> None:
    engine = MatchingEngine(threshold=0.5)
    engine.load([entry(1, PERSON, "PEREZ, Juan"), entry(2, PERSON, "PEREZ RAMOS, Juan Antonio"),
                 entry(3, PERSON, "PEREZ, Juana")])
    matches = engine.screen(ScreeningQuery(name="Juan Perez"))
    scores = [match.score for match in matches]
    assert scores == sorted(scores, reverse=True) and matches[0].entry.entry_id == "test:1"
    assert len(engine.screen(ScreeningQuery(name="Juan Perez"), limit=1)) == 1


def test_evidence_explains_each_contribution(engine: MatchingEngine) -> None:
    query = ScreeningQuery(name="Juan Abrego Garcia", kind=PERSON, date_of_birth="1962-04-12", countries=["MX"],
                           where="crew[2]")
    match = engine.screen(query)[0]
    methods = [item.method for item in match.evidence]
    assert methods == ["name:fuzzy", "corroboration:dob", "corroboration:country"]
    assert all(item.where == "crew[2]" for item in match.evidence)
    assert abs(sum(item.contribution for item in match.evidence) - match.score) < 1e-3
    assert "CARLOS" in match.evidence[0].explanation  # names the listed word the manifest left out
    assert "1962-04-12" in match.explanation


def test_contradicting_kind_lowers_the_score(engine: MatchingEngine) -> None:
    as_vessel = engine.screen(ScreeningQuery(name="Ocean Star", kind=VESSEL))[0].score
    as_person = engine.screen(ScreeningQuery(name="Ocean Star", kind=PERSON))
    assert not as_person or as_person[0].score < as_vessel


@pytest.mark.parametrize(
    ("name", "organisation"),
    [
        ("ACME TRADING LLC", True),
        ("INVERSIONES EL DORADO S.A. DE C.V.", True),
        ("COMERCIALIZADORA NORTEÑA LTDA.", True),
        ("ACME S.A.", False),  # S.A. may be two initials
        ("KIM SA", False),  # a Korean given name
        ("LE CO", False),
        ("LLC", False),  # nothing before the legal form
        ("GARCIA LOPEZ, Jose Luis", False),
    ],
)
def test_names_an_organisation_only_on_unmistakable_legal_forms(name: str, organisation: bool) -> None:
    from services.matcher.engine.normalize import names_an_organisation

    assert names_an_organisation(name) is organisation


def test_a_party_named_as_a_company_is_not_screened_against_persons() -> None:
    engine = MatchingEngine()
    engine.load([entry(1, PERSON, "ZAMBRANO ORTEGA, Jacinto"), entry(2, ORG, "ZAMBRANO ORTEGA JACINTO LLC")])
    assert found(engine, "Jacinto Zambrano Ortega LLC") == ["test:2"]
    assert found(engine, "Jacinto Zambrano Ortega") == ["test:1", "test:2"]


def test_a_trusted_match_is_what_model_construct_makes_of_the_same_values():
    from services.matcher.engine.models import EntryMatch, trusted
    from services.shared.models.alert import Evidence

    evidence: dict[str, Any] = {"where": "parties[0]", "method": "name:fuzzy", "query_value": "JUAN ABREGO",
                "matched_value": "ABREGO GARCIA, Juan Carlos", "contribution": 0.81, "explanation": "two words agree"}
    match: dict[str, Any] = {"entry": ENTRIES[0], "score": 0.81, "explanation": "Matches ABREGO GARCIA"}
    made = trusted(EntryMatch, evidence=[trusted(Evidence, **evidence)], **match)
    constructed = EntryMatch.model_construct(evidence=[Evidence.model_construct(**evidence)], **match)
    assert made == constructed
    assert repr(made) == repr(constructed)
    assert made.model_fields_set == constructed.model_fields_set
    assert made.model_dump_json() == constructed.model_dump_json()
    with pytest.raises(KeyError):  # no evidence given
        trusted(EntryMatch, **match)
