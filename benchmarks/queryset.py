"""A labelled query set built from the OFAC SDN list (deterministic for a given seed).

Positives are listed names, aliases and identifiers changed in one named way each; negatives are
realistic names built from common given names, surnames and company words, checked not to be
listed (see `is_listed`, written independently of the engine so the check is not circular).

Kinds of change (a positive expects its entry; a negative kind expects no match at all):

- exact: the primary name as listed.
- case_accents_punct: case, accents and punctuation changed.
- word_order: a person's given names before the surnames.
- missing_middle_name: a person's second given name left out.
- missing_second_surname: a person's second surname left out.
- typo_1 / typo_2: one or two typing errors inside words of five letters or more.
- legal_form: a company's legal form written another way (S.A. / SA / SOCIEDAD ANONIMA, LTD / LIMITED).
- vessel_prefix: MV, M/V, MT or M/T before a vessel's name.
- alias: a listed alias (not a weak one).
- transliteration: a common transliteration variant (MOHAMMED / MUHAMMAD), else the name in Cyrillic.
- identifier_format: a listed identifier, formatted another way, with no name.
- negative / negative_hard: invented names; the hard half shares a listed surname or company word. One
  that holds a listed name of two words or more whole (a listed name with words added) is set aside.

Added later, after the kinds above and each from its own seeded generator, so the queries of the
kinds above are the same as before they were added:

- joined_words: two adjacent words written as one (JOAQUIN GUZMAN -> JOAQUINGUZMAN, or JoaquinGuzman).
- split_word: a word of 7+ letters split in two at a syllable boundary; a hyphenated name written with a
  space or as one word, or a particle and its word hyphenated (AL-HASSAN / AL HASSAN / ALHASSAN); initials
  with or without dots (A.B.C. / ABC / A B C).
- boundary_typo: one typing error across a word boundary: a letter moved over the space (HERRERA BUITRAGO
  -> HERRER ABUITRAGO) or the space / hyphen typed as a letter (AL-HASSAN -> ALOHASSAN).
- extra_words: words the listed name lacks: another listed person's given name or a patronymic, a title
  (DR, GENERAL, SHEIKH, ING.), or a company's branch or country (... (PANAMA), ... SUCURSAL COLOMBIA).
- legal_form_long: a company's legal form as a long multi-word or foreign form (LLC -> LIMITED LIABILITY
  COMPANY, AG <-> AKTIENGESELLSCHAFT, OAO -> OPEN JOINT STOCK COMPANY), or such a form added.
- company_dropped_word: a company with one descriptive/industry word dropped (ANDES ENGINEERING COMPANY ->
  ANDES COMPANY), a distinctive word staying.
- syllabic_variant: a Korean / Chinese / Vietnamese name in another romanisation (RI / LI / LEE, CHOL /
  CHEOL / CHUL) and/or its given syllables joined, spaced or hyphenated (YONG HO / YONGHO / YONG-HO).
- middle_initial: a person's given name after the first written as its initial, with or without a dot,
  as forms with a middle-initial box have it (GUZMAN LOERA, Joaquin Archivaldo -> Joaquin A. GUZMAN
  LOERA, or GUZMAN LOERA, Joaquin A); not a Korean / Chinese / Vietnamese name, whose syllables are no
  given names of their own.
- cut_short: a name longer than a fixed-width field cut at its length, 30, 35 (UN/EDIFACT's an..35,
  which CUSCAR's party names have) or 40 characters, inside a word or at a word's end (CHEMICAL
  INDUSTRIES & DEVELOPMENT O for ... DEVELOPMENT OF MATERIALS GROUP).
- negative_generic_company (negative): a listed company's name with its distinctive words dropped, only
  generic, place and legal-form words left (PACIFIC KUMSAN TRADING CORPORATION -> PACIFIC TRADING
  CORPORATION), not listed for any other entry.
- negative_syllabic (negative): a listed Korean / Chinese surname with given syllables of other listed
  persons recombined, not listed, nor a romanisation variant of a listed name (`SyllabicNames`).

Held out (`held_out`): positives by their entry's id (half the entries); negatives by a hash of their text.
"""

from __future__ import annotations

import hashlib
import itertools
import random
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from normality import ascii_text
from rapidfuzz.distance import Levenshtein

from services.shared.models.common import EntityKind, Identifier, IdentifierScheme
from services.shared.models.watchlist import NameType, WatchlistEntry
from services.shared.settings import PROJECT_ROOT

OFAC_DIR = PROJECT_ROOT.parent / "shared" / "data" / "ofac-sdn"

GIVEN_NAMES = (
    "JUAN JOSE LUIS CARLOS JORGE MIGUEL PEDRO ANTONIO FRANCISCO MANUEL JAVIER RAFAEL FERNANDO ALEJANDRO "
    "RICARDO EDUARDO ROBERTO SERGIO ANDRES DIEGO PABLO DANIEL DAVID RAUL OSCAR HECTOR MARIO ALBERTO "
    "MARIA ANA LAURA GABRIELA PATRICIA ROSA CARMEN ELENA SOFIA ISABEL LUCIA VERONICA ADRIANA MONICA "
    "CLAUDIA SANDRA DIANA PAULA NATALIA CAROLINA JOHN JAMES ROBERT MICHAEL WILLIAM RICHARD THOMAS "
    "CHARLES MARK PAUL STEVEN KEVIN BRIAN GEORGE EDWARD MARY LINDA SUSAN KAREN NANCY BETTY HELEN "
    "SARAH EMILY JENNIFER JESSICA AMANDA"
).split()
SURNAMES = (
    "GARCIA RODRIGUEZ MARTINEZ HERNANDEZ LOPEZ GONZALEZ PEREZ SANCHEZ RAMIREZ TORRES FLORES RIVERA "
    "GOMEZ DIAZ REYES MORALES CRUZ ORTIZ GUTIERREZ CHAVEZ RAMOS RUIZ MENDOZA ALVAREZ CASTILLO JIMENEZ "
    "MORENO ROMERO HERRERA MEDINA AGUILAR VARGAS CASTRO GUZMAN FERNANDEZ SALAZAR SOTO DELGADO VEGA "
    "CONTRERAS ROJAS GUERRERO ESTRADA NAVARRO SILVA CORTES MUNOZ SANDOVAL CARDENAS OSORIO VALENCIA "
    "RESTREPO ZAPATA QUINTERO OCAMPO BETANCOURT ARANGO GIRALDO SMITH JOHNSON WILLIAMS BROWN JONES "
    "MILLER DAVIS WILSON ANDERSON TAYLOR THOMAS MOORE JACKSON MARTIN THOMPSON WHITE HARRIS CLARK LEWIS "
    "ROBINSON WALKER YOUNG ALLEN KING WRIGHT SCOTT GREEN BAKER ADAMS NELSON HILL CAMPBELL MITCHELL"
).split()
COMPANY_WORDS = (
    "COMERCIALIZADORA DISTRIBUIDORA INVERSIONES SERVICIOS TRANSPORTES LOGISTICA IMPORTADORA "
    "EXPORTADORA CONSTRUCTORA AGROPECUARIA GRUPO INDUSTRIAS ALIMENTOS SOLUCIONES DESARROLLOS "
    "TRADING INTERNATIONAL GLOBAL HOLDINGS LOGISTICS SHIPPING MARINE FREIGHT SUPPLY PARTNERS "
    "ENTERPRISES SERVICES TECHNOLOGIES MARITIME PACIFIC ATLANTIC ANDINA CARIBE NORTE SUR CENTRAL "
    "UNIDOS ASOCIADOS HERMANOS NACIONAL CONTINENTAL AMERICAN"
).split()
PLACE_WORDS = (
    "AURORA BAHIA CORAL DELTA FENIX HORIZONTE LAGUNA MIRADOR OASIS PRADERA QUETZAL RIVIERA SIERRA "
    "TITAN VOLCAN ZAFIRO CONDOR PUMA JAGUAR ESMERALDA PALMERA SABANA MONTANA ESTRELLA OCEANO"
).split()
LEGAL_FORMS = ("S.A.", "S.A. DE C.V.", "S.A.S.", "LTDA.", "LLC", "INC.", "CO.", "CORP.", "S. DE R.L. DE C.V.")
VESSEL_PREFIXES = ("MV", "M/V", "MT", "M/T")
PARTICLES = {"DE", "DEL", "LA", "LAS", "LOS", "Y"}

FIRST_KINDS = (
    "exact",
    "case_accents_punct",
    "word_order",
    "missing_middle_name",
    "missing_second_surname",
    "typo_1",
    "typo_2",
    "legal_form",
    "vessel_prefix",
    "alias",
    "transliteration",
    "identifier_format",
)
ADDED_KINDS = (
    "joined_words",
    "split_word",
    "boundary_typo",
    "extra_words",
    "legal_form_long",
    "company_dropped_word",
    "syllabic_variant",
    "middle_initial",
    "cut_short",
)
ADDED_NEGATIVE_KINDS = ("negative_generic_company", "negative_syllabic")
KINDS_OF_CHANGE = FIRST_KINDS + ADDED_KINDS + ADDED_NEGATIVE_KINDS
NEGATIVE_KINDS = ("negative", "negative_hard", *ADDED_NEGATIVE_KINDS)
# the order tables list them in: the first kinds and their negatives, then the added ones
TABLE_ORDER = (*FIRST_KINDS, "negative", "negative_hard", *ADDED_KINDS, *ADDED_NEGATIVE_KINDS)


@dataclass(slots=True)
class LabelledQuery:
    change: str  # one of KINDS_OF_CHANGE, or "negative" / "negative_hard"
    name: str | None
    kind: EntityKind
    expected: str | None  # entry_id, None for negatives
    source: str = ""  # the listed value it was derived from
    identifiers: list[Identifier] = field(default_factory=list)
    held_out: bool = False
    detail: str = ""  # which variant of the kind of change, when it has several


def load_ofac() -> list[WatchlistEntry]:
    from services.watchlist.importers.ofac_sdn import parse_ofac_sdn

    return parse_ofac_sdn(OFAC_DIR)


def held_out(entry_id: str) -> bool:
    """Half the entries, by a stable hash: the engine's constants were tuned on the other half."""
    return hashlib.sha256(entry_id.encode()).digest()[0] % 2 == 1


def held_out_text(name: str) -> bool:
    """Negatives have no entry: half of them, by a stable hash of their text."""
    return hashlib.sha256(b"negative:" + name.encode()).digest()[0] % 2 == 1


# -- name surgery ---------------------------------------------------------------------------------

_ACCENTS = {"A": "Á", "E": "É", "I": "Í", "O": "Ó", "U": "Ú", "N": "Ñ"}
_CYRILLIC = dict(zip("abcdefghijklmnoprstuvyz", "абцдефгхийклмнопрстувыз", strict=True))
_CYRILLIC.update({"q": "к", "w": "в", "x": "кс"})
_TRANSLITERATIONS = (
    ("MOHAMMED", "MUHAMMAD"),
    ("MOHAMMAD", "MUHAMMAD"),
    ("MOHAMED", "MOHAMMED"),
    ("MUHAMMAD", "MOHAMMAD"),
    ("HUSSEIN", "HUSAYN"),
    ("HUSAIN", "HUSSEIN"),
    ("YUSUF", "YOUSSEF"),
    ("YOUSEF", "YUSUF"),
    ("ABDEL", "ABDUL"),
    ("ABDUL", "ABDEL"),
    ("AHMED", "AHMAD"),
    ("AHMAD", "AHMED"),
    ("HASSAN", "HASAN"),
    ("KHALED", "KHALID"),
    ("KHALID", "KHALED"),
    ("SAYED", "SAYYID"),
    ("OMAR", "UMAR"),
    ("ALI", "ALY"),
    ("MAHMOUD", "MAHMUD"),
    ("OSAMA", "USAMA"),
    ("SULEIMAN", "SULAYMAN"),
    ("IBRAHIM", "EBRAHIM"),
    ("YAKOV", "JAKOB"),
    ("ALEKSANDR", "ALEXANDER"),
    ("ALEXANDER", "ALEKSANDR"),
    ("SERGEY", "SERGEI"),
    ("SERGEI", "SERGEY"),
    ("YURIY", "YURI"),
    ("DMITRIY", "DMITRI"),
    ("ANDREY", "ANDREI"),
    ("NIKOLAY", "NIKOLAI"),
    ("VALERIY", "VALERI"),
)


def split_person(name: str) -> tuple[list[str], list[str]] | None:
    """OFAC writes persons 'SURNAMES, Given names'."""
    if name.count(",") != 1:
        return None
    surnames, given = (part.split() for part in name.split(","))
    return (surnames, given) if surnames and given else None


def tokens_with_particles_removed(words: list[str]) -> list[str]:
    return [word for word in words if word.upper() not in PARTICLES]


def typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 1)  # spare the first letter: people rarely mistype it
    operation = rng.choice(("substitute", "delete", "insert", "transpose"))
    letter = rng.choice("ABCDEFGHIJKLMNOPRSTUVZ")
    if operation == "substitute":
        return word[:i] + (letter if letter != word[i] else "X") + word[i + 1 :]
    if operation == "delete":
        return word[:i] + word[i + 1 :]
    if operation == "insert":
        return word[:i] + letter + word[i:]
    if word[i] != word[i + 1]:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word[:i] + letter + word[i + 1 :]


def with_typos(name: str, count: int, rng: random.Random) -> str | None:
    words = name.split()
    eligible = [i for i, word in enumerate(words) if len(word) >= 5 and word.isalpha()]
    if count == 2:
        long_words = [i for i in eligible if len(words[i]) >= 8]
        if len(eligible) >= 2:
            for i in rng.sample(eligible, 2):
                words[i] = typo(words[i], rng)
            return " ".join(words)
        if long_words:
            i = long_words[0]
            first = typo(words[i], rng)
            words[i] = typo(first, rng)
            return " ".join(words)
        return None
    if not eligible:
        return None
    i = rng.choice(eligible)
    words[i] = typo(words[i], rng)
    return " ".join(words)


def case_accents_punct(name: str, rng: random.Random) -> str:
    out = "".join(_ACCENTS[c] if c in _ACCENTS and rng.random() < 0.3 else c for c in name)
    out = out.replace(",", "").replace("-", " ").replace(".", "") if rng.random() < 0.5 else out.replace(" ", " . ", 1)
    return out.title() if rng.random() < 0.5 else out.lower()


def cyrillic(name: str) -> str:
    return "".join(_CYRILLIC.get(c, c) for c in ascii_text(name).lower())


def transliteration_variant(name: str, rng: random.Random) -> str | None:
    words = name.replace(",", " ").split()
    swaps = [
        (i, dict(_TRANSLITERATIONS)[w.upper()]) for i, w in enumerate(words) if w.upper() in dict(_TRANSLITERATIONS)
    ]
    if swaps:
        i, replacement = rng.choice(swaps)
        words[i] = replacement
        return " ".join(words)
    if all(word.isascii() for word in words):
        return cyrillic(" ".join(words))  # written in Cyrillic: the engine must romanise it back
    return None


def legal_form_variant(name: str, rng: random.Random) -> str:
    compact = re.sub(r"[^A-Z ]", "", name.upper())
    for form, variants in (
        ("S A DE C V", ("SA DE CV", "S.A. de C.V.", "SOCIEDAD ANONIMA DE CAPITAL VARIABLE")),
        ("S DE R L DE C V", ("S DE RL DE CV", "S. de R.L. de C.V.")),
        ("S A S", ("SAS", "S.A.S")),
        ("LTDA", ("LIMITADA", "Ltda")),
        ("S A", ("SA", "S. A.", "SOCIEDAD ANONIMA")),
        ("LLC", ("L.L.C.", "LLC.")),
        ("INC", ("INCORPORATED", "Inc")),
        ("CORP", ("CORPORATION",)),
        ("CO LTD", ("COMPANY LIMITED", "CO LIMITED")),
        ("LTD", ("LIMITED",)),
        ("CO", ("COMPANY",)),
    ):
        dotted = " ".join(form.replace(" ", ""))
        for spelled in (form, form.replace(" ", "")):
            if compact.endswith(" " + spelled) or compact.endswith(" " + dotted):
                stem = re.sub(r"[,\s]*(" + r"\.?\s*".join(form.split()) + r")\.?$", "", name.upper().rstrip("."))
                return f"{stem} {rng.choice(variants)}"
    return f"{name.rstrip('.')}, {rng.choice(LEGAL_FORMS)}"


def identifier_format(identifier: Identifier, rng: random.Random) -> Identifier | None:
    value = re.sub(r"[^0-9A-Za-z]", "", identifier.value)
    scheme = identifier.scheme
    if scheme is IdentifierScheme.IMO:
        formatted = rng.choice((f"IMO {value}", f"IMO-{value}", f"imo{value}"))
    elif scheme is IdentifierScheme.NIT and len(value) >= 9:
        body, check = value[:-1], value[-1]
        formatted = f"{int(body):,}".replace(",", ".") + f"-{check}"
    elif scheme is IdentifierScheme.CEDULA and value.isdigit():
        formatted = f"{int(value):,}".replace(",", ".")
    elif scheme in (IdentifierScheme.RFC, IdentifierScheme.CURP) and len(value) >= 10:
        formatted = f"{value[:4]}-{value[4:10]}-{value[10:]}".lower().rstrip("-")
    elif scheme is IdentifierScheme.MMSI:
        formatted = f"{value[:3]} {value[3:6]} {value[6:]}"
    elif len(value) >= 4:
        formatted = f"{value[:2].lower()} {value[2:]}"
    else:
        return None
    return Identifier(scheme=scheme, value=formatted, country=identifier.country)


# -- name surgery for the kinds added later ---------------------------------------------------------

# Legal forms as words (dots and commas gone): never joined, split, dropped or taken as distinctive.
LEGAL_FORM_WORDS = frozenset(
    "LTD LIMITED LLC INC INCORPORATED CORP CORPORATION CO COMPANY CIA COMPANIA SA SAS LTDA LIMITADA CV RL "
    "GMBH AG KG OOO OAO ZAO PAO AO JSC OJSC CJSC PJSC PLC FZE FZCO FZC LLP LP SARL SRL SRO EOOD OOD AD BV NV "
    "PTE PVT OY AB AS SPA SAL SCS DOO DMCC SOCIEDAD ANONIMA JOINT STOCK".split()
)
# Descriptive and industry words: what a company does, not who it is.
GENERIC_COMPANY_WORDS = frozenset(
    "TRADING TRADE TRADERS COMMERCE COMMERCIAL COMERCIAL COMERCIALIZADORA COMERCIO SHIPPING SHIP SHIPS "
    "SHIPBUILDING SHIPMANAGEMENT MARITIME MARINE NAVIGATION NAVIERA LINES TANKER TANKERS TRANSPORT "
    "TRANSPORTATION TRANSPORTES TRANSPORTE LOGISTICS LOGISTICA FREIGHT CARGO AIRLINES AIRLINE AVIATION AIRWAYS "
    "ENGINEERING CONSTRUCTION CONSTRUCTIONS CONSTRUCTORA CONSTRUCCIONES CONTRACTING CONTRACTORS BUILDING "
    "INVESTMENT INVESTMENTS INVERSIONES INVERSION INDUSTRIAL INDUSTRIES INDUSTRY INDUSTRIAS INDUSTRIA "
    "MANUFACTURING MANUFACTURAS PRODUCTION PRODUCTS PRODUCTOS DEVELOPMENT DESARROLLO DESARROLLOS HOLDING "
    "HOLDINGS GROUP GRUPO ENTERPRISE ENTERPRISES EMPRESA EMPRESAS SERVICES SERVICE SERVICIOS SERVICIO SOLUTIONS "
    "SOLUCIONES TECHNOLOGY TECHNOLOGIES TECHNICAL TECH TECNOLOGIA SYSTEMS ELECTRONICS ELECTRONIC ELECTRIC "
    "ELECTRICAL ENERGY POWER OIL GAS PETROLEUM PETROCHEMICAL PETROCHEMICALS CHEMICAL CHEMICALS STEEL METAL "
    "METALS METALLURGICAL MINING MINERALS CEMENT EXCHANGE MONEY FINANCE FINANCIAL CAPITAL CREDIT INSURANCE BANK "
    "BANCO MANAGEMENT CONSULTING CONSULTANTS CONSULTANCY PROPERTIES PROPERTY REALTY ESTATE INMOBILIARIA "
    "DISTRIBUIDORA DISTRIBUTION DISTRIBUTORS IMPORTADORA EXPORTADORA IMPORT EXPORT IMPORTS EXPORTS AGRICULTURAL "
    "AGRICULTURE AGRICOLA AGROPECUARIA AGRO FARM FARMS FOOD FOODS ALIMENTOS TRAVEL TOURISM TOURS HOTEL HOTELS "
    "MEDIA PHARMACEUTICAL PHARMACEUTICALS PHARMA MEDICAL RESEARCH SUPPLY SUPPLIES EQUIPMENT MACHINERY PARTNERS "
    "ASSOCIATES ASOCIADOS AGENCY TEXTILE TEXTILES FISHING FISHERIES PLASTICS RESOURCES NEGOCIOS OPERADORA "
    "PROJECTS VENTURES BUSINESS SECURITIES TRUST FUND GENERAL SALES MARKETING SCIENCE SCIENCES OPERATION OPERATIONS "
    "RENOVATION".split()
)
# Places and geographic adjectives: they narrow a company down, but do not name it.
PLACE_NAME_WORDS = frozenset(
    "INTERNATIONAL INTERNACIONAL GLOBAL WORLD WORLDWIDE NATIONAL NACIONAL OVERSEAS UNITED UNIVERSAL IRAN IRANIAN "
    "PERSIA PERSIAN KOREA KOREAN SYRIA SYRIAN RUSSIA RUSSIAN CHINA CHINESE PANAMA COLOMBIA COLOMBIANA MEXICO "
    "MEXICANA VENEZUELA CUBA CUBANA LEBANON LEBANESE DUBAI EMIRATES UAE HONG KONG SINGAPORE MALAYSIA TURKEY "
    "PACIFIC ATLANTIC GULF ASIA ASIAN EURO EUROPE EUROPEAN AMERICA AMERICAN AMERICAS LATIN EAST EASTERN WEST "
    "WESTERN NORTH NORTHERN SOUTH SOUTHERN MIDDLE CENTRAL FAR ARAB ARABIAN AFRICA AFRICAN TEHRAN SHANGHAI "
    "DALIAN DANDONG BEIJING PYONGYANG MOSCOW CARIBBEAN CARIBE ANDINA ORIENTAL OCEAN SEA ISLAMIC".split()
)
# What kind of body it is, and other words that name no one: not distinctive, but not dropped either.
INSTITUTION_WORDS = frozenset(
    "ORGANIZATION ORGANISATION CENTER CENTRE INSTITUTE FOUNDATION MINISTRY ASSOCIATION COMMITTEE STATE CONCERN "
    "DIRECTORATE BUREAU AUTHORITY COUNCIL UNION COMPLEX PORT PLANT FACTORY MILL REFINERY STATION OFFICE "
    "DEPARTMENT ADMINISTRATION SOCIETY CLUB PARTY MOVEMENT FRONT ARMY FORCE FORCES BRIGADE BRIGADES CORPS GUARD "
    "REVOLUTIONARY LIBERATION REPUBLIC PEOPLE PEOPLE'S DEMOCRATIC FEDERAL CIVIL MILITARY DEFENSE DEFENCE "
    "SCIENTIFIC NUCLEAR PUBLIC PRIVATE NEW FREE ZONE ECONOMIC COOPERATIVE TRANSFER LAUNDERING TRAFFICKING DRUG "
    "OFF SHORE OFFSHORE NON EXTERNAL GENERATION ELECTRICITY HOUSE REAL FOREIGN ATOMIC".split()
)
# a generic word not dropped before these: MONEY LAUNDERING, REAL ESTATE
_BOUND_BEFORE = frozenset(("LAUNDERING", "TRAFFICKING", "ESTATE", "EXCHANGE"))
NAME_STOP_WORDS = frozenset("OF AND THE FOR DE DEL LA LAS LOS EL Y E AL AN DU DES ET DI DA DO EN".split())
PERSON_TITLES = ("DR", "DR.", "GENERAL", "SHEIKH", "ING.", "COL.", "HAJJI", "MULLAH", "LIC.", "PROF.", "CAPTAIN")
BRANCH_COUNTRIES = (
    "PANAMA",
    "COLOMBIA",
    "VENEZUELA",
    "MEXICO",
    "ECUADOR",
    "DUBAI",
    "HONG KONG",
    "SINGAPORE",
    "MALAYSIA",
    "TURKEY",
    "LEBANON",
    "CHINA",
)
_LATIN_AMERICA = ("PANAMA", "COLOMBIA", "VENEZUELA", "MEXICO", "ECUADOR")
_SLAVIC_SURNAME = re.compile(r"(OV|EV|IN|SKY|SKIY|SKII|ENKO|UK|OVA|EVA|INA|SKAYA)$")
_HYPHEN = re.compile(r"(?<=[A-Za-z])-(?=[A-Za-z])")
_PARTICLE_SPACE = re.compile(r"\b(AL|EL|ABU|ABD|BIN|BEN|BOU|UL)\s+(?=[A-Za-z]{3})", re.IGNORECASE)
_INITIALS = re.compile(r"(?:[A-Za-z]\.)+[A-Za-z]\.?")
_ACRONYM = re.compile(r"\(([A-Z]{2,5})\)|([B-DF-HJ-NP-TV-XZ]{2,5})")  # (NTS), or no vowel at all: KPD
_VOWELS = frozenset("AEIOUY")
_NOT_JOINED = frozenset(("OF", "AND", "THE", "FOR", "Y", "E"))
# dotted legal forms and country codes beside LEGAL_FORM_WORDS: S.P.R. DE R.I., P.S.C., C.I., U.S.A.
_NOT_INITIALS = frozenset(
    "CI SC CA SL SCS CS BSC CIA USA UK UAE SPR PR RI PSC SAC EIRL SE SNC SPA SAL SAS SRL SARL".split()
)
_DIGRAPHS = frozenset("CH SH TH PH KH GH ZH TS NG".split())

# (form, other ways of writing it), both ways round; forms are words of a name with its dots gone.
LONG_LEGAL_FORMS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("S A DE C V", ("SOCIEDAD ANONIMA DE CAPITAL VARIABLE",)),
    ("S DE R L DE C V", ("SOCIEDAD DE RESPONSABILIDAD LIMITADA DE CAPITAL VARIABLE",)),
    ("S DE R L", ("SOCIEDAD DE RESPONSABILIDAD LIMITADA",)),
    ("CO LTD", ("COMPANY LIMITED",)),
    ("COMPANY LIMITED", ("CO., LTD.",)),
    ("PTE LTD", ("PRIVATE LIMITED",)),
    ("PVT LTD", ("PRIVATE LIMITED",)),
    ("LIMITED LIABILITY COMPANY", ("LLC", "L.L.C.")),
    ("OPEN JOINT STOCK COMPANY", ("OJSC", "OAO")),
    ("CLOSED JOINT STOCK COMPANY", ("CJSC", "ZAO")),
    ("PUBLIC JOINT STOCK COMPANY", ("PJSC", "PAO")),
    ("JOINT STOCK COMPANY", ("JSC", "AO")),
    ("OJSC", ("OPEN JOINT STOCK COMPANY",)),
    ("CJSC", ("CLOSED JOINT STOCK COMPANY",)),
    ("PJSC", ("PUBLIC JOINT STOCK COMPANY",)),
    ("JSC", ("JOINT STOCK COMPANY",)),
    ("OAO", ("OPEN JOINT STOCK COMPANY", "OTKRYTOE AKTSIONERNOE OBSHCHESTVO")),
    ("ZAO", ("CLOSED JOINT STOCK COMPANY", "ZAKRYTOE AKTSIONERNOE OBSHCHESTVO")),
    ("PAO", ("PUBLIC JOINT STOCK COMPANY", "PUBLICHNOE AKTSIONERNOE OBSHCHESTVO")),
    ("AO", ("JOINT STOCK COMPANY", "AKTSIONERNOE OBSHCHESTVO")),
    ("OOO", ("LIMITED LIABILITY COMPANY", "OBSHCHESTVO S OGRANICHENNOI OTVETSTVENNOSTYU")),
    ("LLC", ("LIMITED LIABILITY COMPANY",)),
    ("GMBH", ("GESELLSCHAFT MIT BESCHRANKTER HAFTUNG",)),
    ("GESELLSCHAFT MIT BESCHRANKTER HAFTUNG", ("GMBH",)),
    ("AG", ("AKTIENGESELLSCHAFT",)),
    ("AKTIENGESELLSCHAFT", ("AG",)),
    ("SARL", ("SOCIETE A RESPONSABILITE LIMITEE",)),
    ("SAL", ("SOCIETE ANONYME LIBANAISE",)),
    ("SRL", ("SOCIETA A RESPONSABILITA LIMITATA",)),
    ("SRO", ("SPOLECNOST S RUCENIM OMEZENYM",)),
    ("EOOD", ("EDNOLICHNO DRUZHESTVO S OGRANICHENA OTGOVORNOST",)),
    ("OOD", ("DRUZHESTVO S OGRANICHENA OTGOVORNOST",)),
    ("FZE", ("FREE ZONE ESTABLISHMENT",)),
    ("FZCO", ("FREE ZONE COMPANY",)),
    ("PLC", ("PUBLIC LIMITED COMPANY",)),
    ("BV", ("BESLOTEN VENNOOTSCHAP",)),
    ("SAS", ("SOCIEDAD POR ACCIONES SIMPLIFICADA",)),
    ("LTDA", ("LIMITADA", "SOCIEDAD LIMITADA")),
    ("SOCIEDAD ANONIMA", ("S.A.",)),
    ("S A", ("SOCIEDAD ANONIMA", "SOCIETE ANONYME")),
    ("LIMITED", ("LTD",)),
    ("LTD", ("LIMITED",)),
    ("INC", ("INCORPORATED",)),
    ("CORP", ("CORPORATION",)),
)
# forms written in front of the name (Russian style) as well as after it
PREFIX_LEGAL_FORMS = frozenset(
    (
        "OJSC",
        "CJSC",
        "PJSC",
        "JSC",
        "OAO",
        "ZAO",
        "PAO",
        "AO",
        "OOO",
        "LLC",
        "JOINT STOCK COMPANY",
        "OPEN JOINT STOCK COMPANY",
        "CLOSED JOINT STOCK COMPANY",
        "PUBLIC JOINT STOCK COMPANY",
        "LIMITED LIABILITY COMPANY",
    )
)
# forms added to a company name that has none: at the end, or (Russian style) in front
ADDED_LONG_FORMS = (
    "LIMITED LIABILITY COMPANY",
    "SOCIEDAD ANONIMA",
    "COMPANY LIMITED",
    "AKTIENGESELLSCHAFT",
    "GESELLSCHAFT MIT BESCHRANKTER HAFTUNG",
    "SOCIEDAD ANONIMA DE CAPITAL VARIABLE",
)
ADDED_LONG_PREFIXES = ("JOINT STOCK COMPANY", "OPEN JOINT STOCK COMPANY", "LIMITED LIABILITY COMPANY")


def _words_with_spans(name: str) -> list[tuple[str, int, int]]:
    """The name's words (letters and digits, upper case, accents gone) with where they are in `name`."""
    found = re.finditer(r"[^\W_]+(?:'[^\W_]+)*", name)  # IRAN'S is one word
    return [(ascii_text(m.group()).upper(), m.start(), m.end()) for m in found]


def _tidy(name: str) -> str:
    name = re.sub(r"\s+", " ", name)
    name = re.sub(r"\s+([,.)])", r"\1", name)
    name = re.sub(r"\(\s+", "(", name)
    return name.strip(" ,-")


def _is_join_word(word: str) -> bool:
    """Words that get written together: not legal forms, nor OF, AND, THE (DE, LA, AL do: DELACRUZ)."""
    return bool(re.fullmatch(r"[A-Za-z]{2,}", word)) and word.upper() not in LEGAL_FORM_WORDS | _NOT_JOINED


def joined_words(name: str, rng: random.Random) -> str | None:
    """Two adjacent words written as one: upper case (JOAQUINGUZMAN), or camel case (JoaquinGuzman)."""
    words = name.replace(",", " ").split()
    pairs = [i for i in range(len(words) - 1) if _is_join_word(words[i]) and _is_join_word(words[i + 1])]
    if not pairs:
        return None
    i = rng.choice(pairs)
    if rng.random() < 0.3:
        words = [word.capitalize() for word in words]
        joined = words[i] + words[i + 1]
    else:
        joined = (words[i] + words[i + 1]).upper()
    return " ".join([*words[:i], joined, *words[i + 2 :]])


def split_point(word: str, rng: random.Random) -> int:
    """Where a word splits plausibly: between syllables (V|CV or C|C, not inside CH, SH, TH...), both
    halves of three letters or more; the middle when no such point."""
    upper = word.upper()
    points = []
    for i in range(3, len(upper) - 2):
        before, at, after = upper[i - 1], upper[i], upper[i + 1]
        if at in _VOWELS:
            continue
        if (before in _VOWELS and after in _VOWELS) or (before not in _VOWELS and before + at not in _DIGRAPHS):
            points.append(i)
    return rng.choice(points) if points else len(word) // 2


def split_long_word(name: str, rng: random.Random) -> str | None:
    """A word of seven letters or more split in two (BETANCOURT -> BETAN COURT)."""
    words = name.replace(",", " ").split()
    long_words = [
        i for i, w in enumerate(words) if re.fullmatch(r"[A-Za-z]{7,}", w) and w.upper() not in LEGAL_FORM_WORDS
    ]
    if not long_words:
        return None
    i = rng.choice(long_words)
    at = split_point(words[i], rng)
    words[i : i + 1] = [words[i][:at], words[i][at:]]
    return " ".join(words)


def hyphen_variant(name: str, rng: random.Random) -> str | None:
    """A hyphenated name written with a space or as one word (AL-HASSAN -> AL HASSAN / ALHASSAN); when none
    is hyphenated, a particle and its word hyphenated (AL HASSAN -> AL-HASSAN)."""
    hyphens = list(_HYPHEN.finditer(name))
    if hyphens:
        at = rng.choice(hyphens).start()
        return (name[:at] + rng.choice((" ", "")) + name[at + 1 :]).replace(",", "")
    particles = list(_PARTICLE_SPACE.finditer(name))
    if particles:
        chosen = rng.choice(particles)
        return (name[: chosen.start()] + chosen.group(1) + "-" + name[chosen.end() :]).replace(",", "")
    return None


def initials_variant(name: str, rng: random.Random) -> str | None:
    """Initials with or without dots: A.B.C. -> ABC or A B C; a company's acronym (NTS) -> (N.T.S.).
    Dotted legal forms (S.A., C.V.) are not initials."""
    words = name.split()
    choices: list[tuple[int, str]] = []
    for i, word in enumerate(words):
        core = word.strip(",()")
        letters = core.replace(".", "")
        if letters.upper() in LEGAL_FORM_WORDS or letters.upper() in _NOT_INITIALS:
            continue
        if _INITIALS.fullmatch(core) and len(letters) >= 2:
            undotted = rng.choice((letters, " ".join(letters)))
            choices.append((i, word.replace(core, undotted)))
        elif acronym := _ACRONYM.fullmatch(word.rstrip(",")):
            letters = acronym.group(1) or acronym.group(2)
            choices.append((i, word.replace(letters, ".".join(letters) + ".")))
    if not choices:
        return None
    i, replacement = rng.choice(choices)
    words[i] = replacement
    return " ".join(words)


def boundary_typo(name: str, rng: random.Random) -> tuple[str, str] | None:
    """One typing error across a word boundary: a letter moved over the space (HERRERA BUITRAGO ->
    HERRER ABUITRAGO or HERRERAB UITRAGO), or the space or hyphen typed as a neighbouring key
    (a space as C V B N M, a hyphen as O or P: AL-HASSAN -> ALOHASSAN). Returns (name, which)."""
    text = re.sub(r"\s+", " ", name.replace(",", " ").upper()).strip()
    boundaries = [m.start() for m in re.finditer(r"(?<=[A-Z]{2})[ -](?=[A-Z]{2})", text)]
    if not boundaries:
        return None
    at = rng.choice(boundaries)
    left = re.search(r"[A-Z]+$", text[:at])
    right = re.match(r"[A-Z]+", text[at + 1 :])
    assert left and right
    movable = len(left.group()) >= 4 and len(right.group()) >= 4
    separator = text[at]
    if movable and rng.random() < 0.6:
        if rng.random() < 0.5:  # the left word's last letter typed after the space
            return text[: at - 1] + separator + text[at - 1] + text[at + 1 :], "letter_moved"
        return text[:at] + text[at + 1] + separator + text[at + 2 :], "letter_moved"  # the right word's first
    return text[:at] + rng.choice("CVBNM" if separator == " " else "OP") + text[at + 1 :], "separator_as_letter"


def patronymic(given: str, female: bool) -> str:
    """A Russian patronymic from a given name: IVAN -> IVANOVICH / IVANOVNA, SERGEY -> SERGEYEVICH."""
    base = given.upper()
    if base[-1] in "YIJ":
        return base + ("EVNA" if female else "EVICH")
    if base[-1] in "AEOU":
        base = base[:-1]
    return base + ("OVNA" if female else "OVICH")


def person_extra_word(
    name: str, given_pool: list[str], rng: random.Random, fathers: list[str] | None = None
) -> tuple[str, str] | None:
    """A person's name in natural order with a word it lacks: another given name after the first given
    name, or, for a Russian surname, a patronymic from a name in `fathers`; or a title in front.
    Returns (name, which)."""
    split = split_person(name)
    if split is None:
        return None
    surnames, given = split
    present = {word.upper() for word in surnames + given}
    if rng.random() < 0.35:
        return " ".join([rng.choice(PERSON_TITLES), *given, *surnames]), "title"
    if fathers and _SLAVIC_SURNAME.search(surnames[-1].upper()):
        father = patronymic(rng.choice(fathers), female=surnames[-1].upper().endswith("A"))
        if father not in present:
            return " ".join([*given, father, *surnames]), "patronymic"
    candidates = [word for word in given_pool if word.upper() not in present]
    if not candidates:
        return None
    extra = rng.choice(candidates)
    return " ".join([given[0], extra, *given[1:], *surnames]), "given_name"


def middle_initial(name: str, rng: random.Random) -> tuple[str, str] | None:
    """A person's name with one given name after the first written as its initial (see the module's
    middle_initial), in natural order or the list's. Returns (name, which order)."""
    split = split_person(name)
    if split is None:
        return None
    surnames, given = split
    middles = [i for i in range(1, len(given)) if given[i].isalpha() and len(given[i]) >= 2]
    middles = [i for i in middles if given[i].upper() not in PARTICLES]
    if not middles:
        return None
    at = rng.choice(middles)
    written = [*given[:at], given[at][0].upper() + rng.choice((".", ".", "")), *given[at + 1 :]]
    if rng.random() < 0.5:
        return " ".join([*written, *surnames]), "natural_order"
    return f"{' '.join(surnames)}, {' '.join(written)}", "list_order"


#: the widths of the name fields names are cut at: UN/EDIFACT's an..35, and 30 or 40 in other systems
CUT_LENGTHS = (30, 35, 40)


def cut_short(name: str, rng: random.Random) -> tuple[str, str] | None:
    """The name cut at a field's width (see CUT_LENGTHS), with what a reader strips at its end.
    Returns (name, where the cut fell), None when the name fits or the cut leaves one word."""
    width = rng.choice(CUT_LENGTHS)
    if len(name) <= width:
        return None
    cut = name[:width].rstrip(" ,.-/&(")
    if len(cut.split()) < 2:
        return None
    inside = name[width - 1].isalnum() and name[width].isalnum()
    return cut, f"{width}:{'inside_word' if inside else 'word_end'}"


def company_extra_word(name: str, rng: random.Random) -> str:
    """A company's branch or country after its name: ... (PANAMA), ... SUCURSAL COLOMBIA, ... BRANCH."""
    country = rng.choice(BRANCH_COUNTRIES)
    form = rng.randrange(4)
    if form == 0:
        return f"{name} ({country})"
    if form == 1:
        return f"{name} SUCURSAL {rng.choice(_LATIN_AMERICA)}"
    if form == 2:
        return f"{name} BRANCH"
    return f"{name} {country} BRANCH"


def find_legal_form(name: str) -> tuple[str, str, str, tuple[str, ...]] | None:
    """The legal form at the end (or the start) of a company's name: (before it, form, after it, other ways
    to write it); the longest form wins."""
    words = _words_with_spans(name)
    tokens = [word for word, _, _ in words]
    for form, others in sorted(LONG_LEGAL_FORMS, key=lambda pair: -len(pair[0].replace(" ", ""))):
        glued = form.replace(" ", "")
        for count in range(1, min(len(glued), len(tokens) - 1) + 1):  # dotted forms are one word a letter
            if "".join(tokens[-count:]) == glued:
                return name[: words[-count][1]], form, "", others
            if form in PREFIX_LEGAL_FORMS and "".join(tokens[:count]) == glued:
                return "", form, name[words[count - 1][2] :], others
    return None


def legal_form_long(name: str, rng: random.Random, add: bool = False) -> tuple[str, str] | None:
    """A company's legal form written as another form, long or foreign (LLC -> LIMITED LIABILITY COMPANY,
    AG <-> AKTIENGESELLSCHAFT); with `add`, a long form added to a name that has none. (name, which)."""
    found = find_legal_form(name)
    if found is None:
        if not add:
            return None
        stem = name.strip().rstrip(".,")
        if rng.random() < 0.3:
            return f"{rng.choice(ADDED_LONG_PREFIXES)} {stem}", "added"
        return f"{stem} {rng.choice(ADDED_LONG_FORMS)}", "added"
    before, form, after, others = found
    other = rng.choice(others)
    if after:
        return _tidy(f"{other} {after.strip(' ,')}"), f"{form} -> {other}"
    return _tidy(f"{before.rstrip(' ,')} {other}"), f"{form} -> {other}"


def _classify(word: str) -> str:
    if word in NAME_STOP_WORDS:
        return "stop"
    if word in LEGAL_FORM_WORDS or len(word) == 1:
        return "form"
    if word in GENERIC_COMPANY_WORDS:
        return "generic"
    if word in PLACE_NAME_WORDS:
        return "place"
    if word in INSTITUTION_WORDS:
        return "institution"
    return "distinctive" if len(word) >= 3 else "other"


def drop_generic_word(name: str, rng: random.Random) -> str | None:
    """A company's name with one descriptive/industry word dropped (ANDES ENGINEERING COMPANY -> ANDES
    COMPANY), when a distinctive word of four letters or more stays, two words stay, and the word dropped
    does not sit beside OF, AND, DE... (dropping it would leave DE and the rest dangling)."""
    words = _words_with_spans(name)
    kinds = [_classify(word) for word, _, _ in words]
    if not any(kind == "distinctive" and len(word) >= 4 for kind, (word, _, _) in zip(kinds, words, strict=True)):
        return None
    if len(words) < 3:
        return None
    droppable = [
        i
        for i, kind in enumerate(kinds)
        if kind == "generic"
        and (i == 0 or kinds[i - 1] != "stop")
        and (i == len(words) - 1 or (kinds[i + 1] != "stop" and words[i + 1][0] not in _BOUND_BEFORE))
    ]
    if not droppable:
        return None
    i = rng.choice(droppable)
    _, start, end = words[i]
    return _tidy(name[:start] + " " + name[end:])


def _without_legal_forms(name: str) -> str:
    return " ".join(word for word, _, _ in _words_with_spans(name) if word not in LEGAL_FORM_WORDS)  # upper case


def generic_only_name(name: str) -> str | None:
    """A company's name with its distinctive words dropped, its generic, place and legal-form words kept
    (PACIFIC KUMSAN TRADING CORPORATION -> PACIFIC TRADING CORPORATION); None unless a distinctive word goes,
    a generic word stays, and two generic or place words stay."""
    words = [word for word, _, _ in _words_with_spans(name)]
    kinds = [_classify(word) for word in words]
    if "distinctive" not in kinds or "generic" not in kinds:
        return None
    if any(word.isdigit() for word in words):
        return None
    content = ("generic", "place", "institution")
    kept = [
        word
        for i, (word, kind) in enumerate(zip(words, kinds, strict=True))
        if kind in (*content, "form")
        # OF, AND, DE only between two words kept that were beside it (BANK OF INDUSTRY, not BANK OF)
        or (kind == "stop" and 0 < i < len(words) - 1 and kinds[i - 1] in content and kinds[i + 1] in content)
    ]
    kept = [word for i, word in enumerate(kept) if i == 0 or word != kept[i - 1]]
    # a lone letter (E.U. once E, AND, is gone) is not a legal form any more
    kept = [
        word
        for i, word in enumerate(kept)
        if len(word) > 1 or (i > 0 and len(kept[i - 1]) == 1) or (i < len(kept) - 1 and len(kept[i + 1]) == 1)
    ]
    if sum(_classify(word) in content for word in kept) < 2 or _classify(kept[0]) == "form":
        return None
    return " ".join(kept)


# -- Korean, Chinese and Vietnamese names ---------------------------------------------------------------

# Surnames, each group one surname in its usual romanisations (the first is the key).
KOREAN_SURNAMES: tuple[tuple[str, ...], ...] = (
    ("KIM", "GIM"),
    ("RI", "LI", "LEE", "YI", "RHEE"),
    ("PAK", "PARK", "BAK"),
    ("CHOE", "CHOI"),
    ("JONG", "JEONG", "CHONG", "CHUNG", "JUNG"),
    ("JANG", "CHANG"),
    ("KANG", "GANG"),
    ("HAN",),
    ("O", "OH"),
    ("SIN", "SHIN"),
    ("SO", "SEO", "SUH"),
    ("RYU", "YU", "YOO"),
    ("YUN", "YOON"),
    ("HWANG", "WHANG"),
    ("CHO", "JO"),
    ("KO", "KOH", "GO"),
    ("JON", "JEON", "CHUN"),
    ("MUN", "MOON"),
    ("PAE", "BAE"),
    ("KWON", "GWON"),
    ("HONG",),
    ("NAM",),
    ("SONG",),
    ("YANG",),
    ("HYON", "HYUN", "HYEON"),
    ("PYON", "BYUN", "PYUN"),
    ("RIM", "LIM", "IM"),
    ("SON", "SOHN"),
    ("CHA",),
    ("JU", "JOO"),
    ("HO", "HEO"),
)
CHINESE_SURNAMES: tuple[tuple[str, ...], ...] = (
    ("CHEN", "CHAN"),
    ("WANG", "WONG"),
    ("ZHANG", "CHEUNG"),
    ("LIU", "LAU"),
    ("ZHOU", "CHOU", "CHOW"),
    ("HUANG",),
    ("WU", "WOO"),
    ("XU", "HSU"),
    ("ZHAO", "CHAO"),
    ("LIN", "LAM"),
    ("SUN", "SUEN"),
    ("GUO", "KUO"),
    ("GAO", "KAO"),
    ("ZHU", "CHU"),
    ("LUO", "LO"),
    ("ZHENG", "CHENG"),
    ("LIANG", "LEUNG"),
    ("XIE", "HSIEH"),
    ("TANG", "TONG"),
    ("FENG", "FUNG"),
    ("DENG", "TENG"),
    ("CAO", "TSAO"),
    ("XIAO", "HSIAO"),
    ("TIAN", "TIEN"),
    ("DONG", "TUNG"),
    ("YUAN", "YUEN"),
    ("CAI", "TSAI"),
    ("JIANG", "CHIANG"),
    ("SHEN", "SHUM"),
    ("CUI", "TSUI"),
    ("MA", "MAH"),
    ("HU",),
)
VIETNAMESE_SURNAMES: tuple[tuple[str, ...], ...] = (
    ("NGUYEN",),
    ("TRAN",),
    ("LE",),
    ("PHAM",),
    ("HOANG",),
    ("PHAN",),
    ("VU",),
    ("VO",),
    ("DANG",),
    ("BUI",),
    ("DO",),
    ("NGO",),
    ("DUONG",),
    ("LY",),
)
# Given-name syllables in their usual romanisations (McCune-Reischauer, Revised, common spellings).
SYLLABLE_VARIANTS: tuple[tuple[str, ...], ...] = (
    ("yong", "yeong", "young"),
    ("chol", "cheol", "chul"),
    ("song", "seong", "sung"),
    ("hyok", "hyeok", "hyuk"),
    ("un", "eun"),
    ("gil", "kil"),
    ("kwang", "gwang"),
    ("kyong", "kyeong", "gyeong", "kyung"),
    ("jong", "jeong", "chong", "chung"),
    ("myong", "myeong", "myung"),
    ("chon", "cheon"),
    ("hyon", "hyeon", "hyun"),
    ("son", "seon", "sun"),
    ("sok", "seok", "suk"),
    ("pyong", "pyeong", "byung"),
    ("pong", "bong"),
    ("tae", "dae"),
    ("ki", "gi"),
    ("su", "soo"),
    ("u", "woo"),
    ("gon", "geon", "kon"),
    ("ryong", "ryeong", "lyong"),
    ("sik", "shik"),
    ("dok", "deok", "tok"),
    ("jin", "chin"),
    ("kuk", "guk"),
    ("ju", "joo", "chu"),
    ("hui", "hee"),
    ("ho",),
    ("il",),
    ("chang", "jang"),
    ("nam",),
    ("chun", "choon"),
    ("dong", "tong"),
    ("hak",),
    ("man",),
    ("sam",),
    ("ok", "ock"),
    ("pil", "phil"),
    ("kun", "geun", "keun"),
    ("won",),
    ("ung", "eung"),
    ("bom", "pom"),
    ("rye", "ryeo", "ryo"),
    ("zhi", "chih"),
    ("xiao", "hsiao"),
    ("qing", "ching"),
    ("xin", "hsin"),
    ("jian", "chien"),
    ("wei",),
    ("ming",),
    ("hong", "hung"),
    ("guo", "kuo"),
    ("zhen", "chen"),
    ("xiang", "hsiang"),
)
SYLLABIC_SURNAMES = KOREAN_SURNAMES + CHINESE_SURNAMES + VIETNAMESE_SURNAMES
_SURNAME_GROUP = {name: group for group in SYLLABIC_SURNAMES for name in group}
SURNAME_ORIGIN = {
    name: origin
    for origin, groups in (
        ("korean", KOREAN_SURNAMES),
        ("chinese", CHINESE_SURNAMES),
        ("vietnamese", VIETNAMESE_SURNAMES),
    )
    for group in groups
    for name in group
}
_SYLLABLE_GROUP = {syllable: group for group in SYLLABLE_VARIANTS for syllable in group}
_SYLLABLE = re.compile(r"[bcdfghjklmnpqrstvwxz]{0,3}[aeiouy]{1,3}(?:ng|nh|ch|n|m|l|k|p|t|r|h)?")


def syllabic_parts(name: str) -> tuple[str, list[str], str] | None:
    """(surname, given syllables, how they are written: ' ', '-' or '') of an OFAC person 'SURNAME, Given'
    whose surname is a known Korean / Chinese / Vietnamese one and whose given names are one to three
    syllables of five letters at most; None for anything else."""
    split = split_person(name)
    if split is None or len(split[0]) != 1 or "'" in name:
        return None
    surname = ascii_text(split[0][0]).upper()
    if surname not in _SURNAME_GROUP:
        return None
    given = " ".join(split[1])
    separator = "-" if "-" in given else " "
    syllables = [ascii_text(s).lower() for s in re.split(r"[\s-]+", given) if s]
    if not 1 <= len(syllables) <= 3 or not all(len(s) <= 5 and _SYLLABLE.fullmatch(s) for s in syllables):
        return None
    return surname, syllables, separator


def write_syllabic(surname: str, syllables: list[str], separator: str, upper: bool) -> str:
    given = separator.join(syllables)
    given = given.upper() if upper else given.title()
    return f"{surname if upper else surname.title()} {given}"


def syllabic_variant(name: str, rng: random.Random) -> tuple[str, str] | None:
    """The person's name romanised another way and/or its given syllables written apart, together or
    hyphenated (KIM, Yong Chol -> KIM Yeongchol / KIM Yong-Cheol / GIM Young Chol). (name, what changed)."""
    parts = syllabic_parts(name)
    if parts is None:
        return None
    surname, syllables, separator = parts
    operations = []
    if len(_SURNAME_GROUP[surname]) > 1 and len(set(_SURNAME_GROUP[surname])) > 1:
        operations.append("surname")
    if any(len(_SYLLABLE_GROUP.get(s, ())) > 1 for s in syllables):
        operations.append("syllable")
    if len(syllables) > 1:
        operations.append("joining")
    if not operations:
        return None
    chosen = [operation for operation in operations if rng.random() < 0.5] or [rng.choice(operations)]
    if "surname" in chosen:
        surname = rng.choice([s for s in _SURNAME_GROUP[surname] if s != surname])
    if "syllable" in chosen:
        varied = [i for i, s in enumerate(syllables) if len(_SYLLABLE_GROUP.get(s, ())) > 1]
        for i in rng.sample(varied, rng.choice((1, len(varied)))):
            syllables[i] = rng.choice([s for s in _SYLLABLE_GROUP[syllables[i]] if s != syllables[i]])
    if "joining" in chosen:
        separator = rng.choice([s for s in (" ", "", "-") if s != separator])
    return write_syllabic(surname, syllables, separator, rng.random() < 0.5), "+".join(chosen)


def syllable_skeleton(word: str, surname: bool = False) -> str:
    """A coarse key under which romanisations of one syllable (or surname) meet: consonants folded
    (g/k, b/p, d/t, l/r, ch/j/ts/z/c, sh/s...), glides w and y dropped, every vowel run one 'a'. It
    merges more than the variants (YONG with YANG): what it is for, keeping hard negatives honest."""
    text = re.sub(r"[^a-z]", "", ascii_text(word).lower())
    if surname and text.upper() in _SURNAME_GROUP:
        text = _SURNAME_GROUP[text.upper()][0].lower()
    text = re.sub(r"^[rn](?=y)", "", text)
    for before, after in (
        ("tch", "j"),
        ("ch", "j"),
        ("sh", "s"),
        ("zh", "j"),
        ("ts", "j"),
        ("hs", "s"),
        ("ph", "p"),
        ("th", "t"),
        ("kh", "k"),
        ("q", "j"),
        ("x", "s"),
        ("z", "j"),
        ("c", "j"),
        ("g", "k"),
        ("b", "p"),
        ("d", "t"),
        ("l", "r"),
        ("f", "p"),
        ("v", "p"),
    ):
        text = text.replace(before, after)
    text = re.sub(r"[wy]", "", text)
    text = re.sub(r"(?<=[aeiou])h$", "", text)
    return re.sub(r"[aeiou]+", "a", text)


class SyllabicNames:
    """Every listed person's name as syllable skeletons, to reject an invented Korean or Chinese name
    that is a listed one (or holds one, or is held by one) in another romanisation or joining."""

    def __init__(self, entries: Iterable[WatchlistEntry]) -> None:
        self.names: list[tuple[list[str], set[str]]] = []
        self.by_key: dict[str, list[int]] = defaultdict(list)
        self.by_glued: dict[str, list[int]] = defaultdict(list)
        for entry in entries:
            if entry.kind is not EntityKind.PERSON:
                continue
            for listed in entry.names:
                key = self._key(listed.name.replace(",", " ", 1) if "," in listed.name else listed.name)
                if key is None:
                    continue
                for skeleton in set(key[0]):
                    self.by_key[skeleton].append(len(self.names))
                for glued in key[1]:
                    self.by_glued[glued].append(len(self.names))
                self.names.append(key)

    @staticmethod
    def _key(name: str) -> tuple[list[str], set[str]] | None:
        """The name's skeletons (the surname's first), and its given names glued together, in every order."""
        words = [w for w in re.split(r"[\s,-]+", name) if w]
        if len(words) < 2:
            return None
        skeletons = [syllable_skeleton(words[0], surname=True)] + [syllable_skeleton(w) for w in words[1:]]
        given = skeletons[1:] if len(skeletons) <= 5 else skeletons[1:5]
        return skeletons, {skeletons[0] + ":" + "".join(order) for order in itertools.permutations(given)}

    def is_listed(self, name: str) -> bool:
        """True when the name, as skeletons, is a listed person's name, holds one, or is held by one (in
        any order), or its given names glued together are a listed one's in some order. Give it the given
        syllables apart (KIM Song Man, not KIM Songman): a joined word is not looked into."""
        key = self._key(name)
        if key is None:
            return False
        skeletons, glued = key
        if any(self.by_glued.get(order) for order in glued):
            return True
        candidates: set[int] = set()
        for skeleton in skeletons:
            candidates.update(self.by_key.get(skeleton, ()))
        for candidate in candidates:
            listed, _ = self.names[candidate]
            if _holds(listed, skeletons) or _holds(skeletons, listed):
                return True
        return False


def _holds(bigger: list[str], smaller: list[str]) -> bool:
    left = list(bigger)
    for item in smaller:
        if item not in left:
            return False
        left.remove(item)
    return True


# -- "not listed" check, independent of the engine --------------------------------------------------


def _plain_tokens(name: str) -> list[str]:
    words = re.sub(r"[^a-z0-9]+", " ", ascii_text(name).lower()).split()
    return [word for word in words if word.upper() not in PARTICLES]


class ListedNames:
    """A plain token index over every listed name, to reject generated negatives that are listed."""

    def __init__(self, entries: Iterable[WatchlistEntry]) -> None:
        self.names: list[list[str]] = []
        self.owners: list[str] = []
        self.by_token: dict[str, list[int]] = defaultdict(list)
        for entry in entries:
            for listed in entry.names:
                tokens = _plain_tokens(listed.name)
                for token in set(tokens):
                    self.by_token[token].append(len(self.names))
                self.names.append(tokens)
                self.owners.append(entry.entry_id)
        self._whole = _WholeNames(entries)

    def is_listed(self, name: str, ignore: str | None = None) -> bool:
        """True when some listed name holds every word of `name` (one typo allowed per long word)
        with at most two listed words left over: such a name could be a listed one with parts missing.
        The names of entry `ignore` are left out (a negative made from that entry by design)."""
        tokens = _plain_tokens(name)
        candidates: set[int] = set()
        for token in tokens:
            candidates.update(self.by_token.get(token, ()))
        for candidate in candidates:
            if ignore is not None and self.owners[candidate] == ignore:
                continue
            listed = list(self.names[candidate])
            if len(listed) - len(tokens) > 2:
                continue
            if all(self._take(token, listed) for token in tokens):
                return True
        return False

    def holds_listed(self, name: str, ignore: str | None = None) -> bool:
        """True when `name` holds every word of some listed name (one typo allowed per long word): of two
        words or more, or one word that is not a generic, place or institution word. ISLAMIC REVOLUTIONARY
        GUARD CORPS ELECTRONIC DEFENSE ORGANIZATION holds a listed name, so it is no negative."""
        tokens = _plain_tokens(name)
        candidates: set[int] = set()
        for token in tokens:
            candidates.update(self.by_token.get(token, ()))
        for candidate in candidates:
            listed = self.names[candidate]
            if (ignore is not None and self.owners[candidate] == ignore) or not listed or len(listed) > len(tokens):
                continue
            if len(listed) == 1 and _classify(listed[0].upper()) != "distinctive":
                continue
            left = list(tokens)
            if all(self._take(word, left) for word in listed):
                return True
        return False

    def distinctive_elsewhere(self, name: str, entry_id: str) -> bool:
        """True when another entry has a name holding every distinctive word of `name`: the name does
        not say which of them it is."""
        distinctive = [t for t in _plain_tokens(name) if _classify(t.upper()) == "distinctive"]
        if not distinctive:
            return True
        holders = set(self.by_token.get(distinctive[0], ()))
        for token in distinctive[1:]:
            holders &= set(self.by_token.get(token, ()))
        return any(self.owners[holder] != entry_id for holder in holders)

    def holds_whole_name(self, name: str, person: bool) -> bool:
        """True when `name` holds every word of a listed name of two words or more, exactly: a person's
        name when `person`, else an organisation's or a vessel's (see _WholeNames)."""
        return self._whole.held_by(name, person)

    @staticmethod
    def _take(token: str, listed: list[str]) -> bool:
        for i, word in enumerate(listed):
            if word == token or (min(len(word), len(token)) >= 5 and Levenshtein.distance(word, token) <= 1):
                del listed[i]
                return True
        return False


def _whole_name_words(name: str) -> list[str]:
    """A name's words without legal forms, particles or lone letters (the Y of RAMIREZ Y CIA)."""
    return [word for word in _plain_tokens(_without_legal_forms(name)) if len(word) > 1]


class _WholeNames:
    """The listed names of two words or more, legal forms left out, each also with two adjacent words
    written as one (FAST LINK SAL is also FASTLINK): a name holding one of them whole is that name with
    words added, which the extra-words rule asks the engine to match."""

    def __init__(self, entries: Iterable[WatchlistEntry]) -> None:
        self.names: list[tuple[list[str], bool]] = []
        self.by_token: dict[str, list[int]] = defaultdict(list)
        for entry in entries:
            person = entry.kind is EntityKind.PERSON
            for listed in entry.names:
                words = _whole_name_words(listed.name)
                if len(words) < 2:  # one word (a given name, PATRICIA) is too little to say who
                    continue
                joined = [[*words[:i], words[i] + words[i + 1], *words[i + 2 :]] for i in range(len(words) - 1)]
                for written in [words, *joined]:
                    for word in set(written):
                        self.by_token[word].append(len(self.names))
                    self.names.append((written, person))

    def held_by(self, name: str, person: bool) -> bool:
        words = _whole_name_words(name)
        candidates: set[int] = set()
        for word in words:
            candidates.update(self.by_token.get(word, ()))
        for candidate in candidates:
            listed, listed_person = self.names[candidate]
            if listed_person is person and len(listed) <= len(words) and not Counter(listed) - Counter(words):
                return True
        return False


# -- building the set --------------------------------------------------------------------------------


def positives(entries: list[WatchlistEntry], rng: random.Random, per_change: int) -> list[LabelledQuery]:
    queries: list[LabelledQuery] = []
    persons = [e for e in entries if e.kind is EntityKind.PERSON and split_person(e.primary_name)]
    orgs = [e for e in entries if e.kind is EntityKind.ORGANIZATION]
    vessels = [e for e in entries if e.kind is EntityKind.VESSEL]
    everyone = persons + orgs + vessels

    def add(
        change: str,
        entry: WatchlistEntry,
        name: str | None,
        source: str,
        kind: EntityKind | None = None,
        identifiers: list[Identifier] | None = None,
    ) -> None:
        queries.append(
            LabelledQuery(
                change, name, kind or entry.kind, entry.entry_id, source, identifiers or [], held_out(entry.entry_id)
            )
        )

    def each(pool: list[WatchlistEntry]) -> list[WatchlistEntry]:
        return rng.sample(pool, len(pool))

    def fill(change: str, pool: list[WatchlistEntry], make: Callable[[WatchlistEntry], tuple[str, str] | None]) -> None:
        made = 0
        for entry in each(pool):
            if made >= per_change:
                break
            result = make(entry)
            if result:
                name, source = result
                add(change, entry, name, source)
                made += 1

    fill("exact", everyone, lambda e: (e.primary_name, e.primary_name))
    fill("case_accents_punct", everyone, lambda e: (case_accents_punct(e.primary_name, rng), e.primary_name))

    def word_order(entry: WatchlistEntry) -> tuple[str, str] | None:
        split = split_person(entry.primary_name)
        if split is None:
            return None
        surnames, given = split
        return " ".join(given + surnames), entry.primary_name

    fill("word_order", persons, word_order)

    def missing_middle(entry: WatchlistEntry) -> tuple[str, str] | None:
        split = split_person(entry.primary_name)
        if split is None or len(tokens_with_particles_removed(split[1])) < 2 or len(split[0]) < 1:
            return None
        surnames, given = split
        return " ".join([given[0], *given[2:], *surnames]), entry.primary_name

    fill("missing_middle_name", persons, missing_middle)

    def missing_second_surname(entry: WatchlistEntry) -> tuple[str, str] | None:
        split = split_person(entry.primary_name)
        if split is None:
            return None
        surnames, given = split
        # a first "surname" of three letters or fewer is a particle (DA, AL, BEN, ABU), not a surname
        if len(surnames) != 2 or any(word in PARTICLES for word in surnames) or len(surnames[0]) <= 3:
            return None
        return " ".join([*given, surnames[0]]), entry.primary_name

    fill("missing_second_surname", persons, missing_second_surname)

    def typo_maker(count: int) -> Callable[[WatchlistEntry], tuple[str, str] | None]:
        def make(entry: WatchlistEntry) -> tuple[str, str] | None:
            varied = with_typos(entry.primary_name.replace(",", ""), count, rng)
            return (varied, entry.primary_name) if varied else None

        return make

    fill("typo_1", everyone, typo_maker(1))
    fill("typo_2", everyone, typo_maker(2))
    fill("legal_form", orgs, lambda e: (legal_form_variant(e.primary_name, rng), e.primary_name))
    fill("vessel_prefix", vessels, lambda e: (f"{rng.choice(VESSEL_PREFIXES)} {e.primary_name}", e.primary_name))

    def alias(entry: WatchlistEntry) -> tuple[str, str] | None:
        aliases = [n.name for n in entry.names[1:] if n.name_type is not NameType.WEAK]
        if not aliases:
            return None
        chosen = rng.choice(aliases)
        return chosen, chosen

    fill("alias", everyone, alias)

    def transliterated(entry: WatchlistEntry) -> tuple[str, str] | None:
        varied = transliteration_variant(entry.primary_name, rng)
        return (varied, entry.primary_name) if varied else None

    fill("transliteration", persons, transliterated)

    made = 0
    for entry in each([e for e in entries if e.identifiers]):
        if made >= per_change:
            break
        formatted = identifier_format(rng.choice(entry.identifiers), rng)
        if formatted is not None:
            add("identifier_format", entry, None, entry.identifiers[0].value, identifiers=[formatted])
            made += 1
    return queries


def negatives(
    listed: ListedNames, rng: random.Random, count: int, entries: list[WatchlistEntry]
) -> list[LabelledQuery]:
    """Half plain invented names, half hard ones sharing a surname or a company word with a listed entry."""
    listed_surnames = sorted(
        {
            word
            for e in entries
            if e.kind is EntityKind.PERSON and (split := split_person(e.primary_name))
            for word in split[0]
            if word.isalpha() and len(word) >= 4 and word not in PARTICLES
        }
    )
    listed_org_words = sorted(
        {
            word
            for e in entries
            if e.kind is EntityKind.ORGANIZATION
            for word in re.sub(r"[^A-Z ]", " ", e.primary_name.upper()).split()
            if len(word) >= 5
        }
    )
    queries: list[LabelledQuery] = []
    attempts = 0
    while len(queries) < count and attempts < count * 50:
        attempts += 1
        hard = len(queries) % 2 == 1
        roll = rng.random()
        if roll < 0.5:
            given = rng.sample(GIVEN_NAMES, rng.choice((1, 1, 2)))
            surname_one = rng.choice(listed_surnames) if hard else rng.choice(SURNAMES)
            surnames = [surname_one] + ([rng.choice(SURNAMES)] if rng.random() < 0.6 else [])
            name, kind = " ".join(given + surnames), EntityKind.PERSON
        elif roll < 0.9:
            distinctive = rng.choice(listed_org_words) if hard else rng.choice(PLACE_WORDS + SURNAMES)
            words = [rng.choice(COMPANY_WORDS), distinctive] + (
                [rng.choice(COMPANY_WORDS)] if rng.random() < 0.5 else []
            )
            core, kind = " ".join(words), EntityKind.ORGANIZATION
            if listed.is_listed(core):
                continue
            name = f"{core} {rng.choice(LEGAL_FORMS)}"
        else:
            name, kind = f"{rng.choice(PLACE_WORDS)} {rng.choice(PLACE_WORDS + COMPANY_WORDS[-10:])}", EntityKind.VESSEL
        if listed.is_listed(name):
            continue
        queries.append(LabelledQuery("negative_hard" if hard else "negative", name, kind, None, "", [], False))
    return queries


def build(
    entries: list[WatchlistEntry],
    seed: int = 20260509,
    per_change: int = 300,
    negative_count: int = 3000,
    unknown_kind_share: float = 0.3,
) -> list[LabelledQuery]:
    """The first kinds exactly as they were (one generator, in the same order), then the added kinds."""
    rng = random.Random(seed)
    listed = ListedNames(entries)
    queries = positives(entries, rng, per_change) + negatives(listed, rng, negative_count, entries)
    # The negatives' check looks one way only: no listed name holds the invented one. One that holds a
    # listed name whole (MONICA CHINAMASA YOUNG, listed CHINAMASA, Monica) is that name with a word
    # added, a match by the extra-words rule: it is set aside, after the draws, so that every other
    # query stays as it was.
    holding = {
        id(query)
        for query in queries
        if query.expected is None and listed.holds_whole_name(query.name or "", query.kind is EntityKind.PERSON)
    }
    for query in queries:  # manifests often do not say what a party is
        if rng.random() < unknown_kind_share:
            query.kind = EntityKind.UNKNOWN
        if query.expected is None:
            query.held_out = held_out_text(query.name or "")
    queries = [query for query in queries if id(query) not in holding]
    added = added_queries(entries, listed, seed, per_change)
    unknown = random.Random(f"{seed}:unknown-kind")
    for query in added:
        if unknown.random() < unknown_kind_share:
            query.kind = EntityKind.UNKNOWN
    return queries + added


# -- the kinds added later ------------------------------------------------------------------------


def _same_text(a: str, b: str) -> bool:
    return " ".join(a.replace(",", " ").lower().split()) == " ".join(b.replace(",", " ").lower().split())


def looks_like_company(name: str) -> bool:
    """A business, not a militia or a ministry: it has a legal form or a descriptive business word."""
    return any(word in LEGAL_FORM_WORDS or word in GENERIC_COMPANY_WORDS for word, _, _ in _words_with_spans(name))


def added_queries(
    entries: list[WatchlistEntry], listed: ListedNames, seed: int, per_change: int
) -> list[LabelledQuery]:
    """The kinds added later, each from a generator seeded with the seed and its own name: adding or
    changing one leaves the queries of the others as they were."""
    persons = [e for e in entries if e.kind is EntityKind.PERSON and split_person(e.primary_name)]
    orgs = [e for e in entries if e.kind is EntityKind.ORGANIZATION]
    vessels = [e for e in entries if e.kind is EntityKind.VESSEL]
    everyone = persons + orgs + vessels
    companies = [e for e in orgs if looks_like_company(e.primary_name)]
    queries: list[LabelledQuery] = []

    def fill(
        change: str,
        rng: random.Random,
        pool: list[WatchlistEntry],
        make: Callable[[WatchlistEntry], tuple[str, str] | None],
        count: int,
        used: set[str] | None = None,
    ) -> int:
        made = 0
        for entry in rng.sample(pool, len(pool)):
            if made >= count:
                break
            if used is not None and entry.entry_id in used:
                continue
            result = make(entry)
            if result is None or any(_same_text(result[0], listed.name) for listed in entry.names):
                continue
            name, detail = result
            queries.append(
                LabelledQuery(
                    change, name, entry.kind, entry.entry_id, entry.primary_name, [], held_out(entry.entry_id), detail
                )
            )
            if used is not None:
                used.add(entry.entry_id)
            made += 1
        return made

    def plain(
        function: Callable[[str, random.Random], str | None], rng: random.Random, detail: str
    ) -> Callable[[WatchlistEntry], tuple[str, str] | None]:
        def make(entry: WatchlistEntry) -> tuple[str, str] | None:
            varied = function(entry.primary_name, rng)
            return (varied, detail) if varied else None

        return make

    rng = random.Random(f"{seed}:joined_words")

    def joined(entry: WatchlistEntry) -> tuple[str, str] | None:
        varied = joined_words(entry.primary_name, rng)
        if varied is None:
            return None
        return varied, "camel_case" if re.search(r"[a-z][A-Z]", varied) else "upper_case"

    fill("joined_words", rng, everyone, joined, per_change)

    rng = random.Random(f"{seed}:split_word")
    used: set[str] = set()
    made = fill("split_word", rng, everyone, plain(initials_variant, rng, "initials"), per_change // 6, used)
    made += fill("split_word", rng, everyone, plain(hyphen_variant, rng, "hyphen"), per_change // 3, used)
    fill("split_word", rng, everyone, plain(split_long_word, rng, "long_word"), per_change - made, used)

    rng = random.Random(f"{seed}:boundary_typo")
    fill("boundary_typo", rng, everyone, lambda e: boundary_typo(e.primary_name, rng), per_change)

    # another given name from a listed person of the same country (or program), a Russian patronymic
    # from a listed man's given name
    rng = random.Random(f"{seed}:extra_words")
    given_by_origin: dict[str, set[str]] = defaultdict(set)
    fathers: set[str] = set()
    for person in persons:
        surnames, given = split_person(person.primary_name) or ([], [])
        words = [w.upper() for w in given if re.fullmatch(r"[A-Za-z]{3,}", w) and w.upper() not in PARTICLES]
        given_by_origin[_origin(person)].update(words)
        if words and _SLAVIC_SURNAME.search(surnames[-1].upper()) and not surnames[-1].upper().endswith("A"):
            fathers.add(words[0])
    everybody_given = sorted(set().union(*given_by_origin.values()))
    fathers_pool = sorted(fathers)

    def person_extra(entry: WatchlistEntry) -> tuple[str, str] | None:
        pool = sorted(given_by_origin[_origin(entry)])
        return person_extra_word(entry.primary_name, pool if len(pool) >= 20 else everybody_given, rng, fathers_pool)

    made = fill("extra_words", rng, persons, person_extra, per_change * 3 // 5)
    fill(
        "extra_words", rng, companies, lambda e: (company_extra_word(e.primary_name, rng), "branch"), per_change - made
    )

    rng = random.Random(f"{seed}:legal_form_long")
    used = set()
    made = fill("legal_form_long", rng, orgs, lambda e: legal_form_long(e.primary_name, rng), per_change * 3 // 4, used)
    formless = [e for e in companies if not any(w in LEGAL_FORM_WORDS for w, _, _ in _words_with_spans(e.primary_name))]
    fill(
        "legal_form_long",
        rng,
        formless,
        lambda e: legal_form_long(e.primary_name, rng, add=True),
        per_change - made,
        used,
    )

    rng = random.Random(f"{seed}:company_dropped_word")

    def dropped_word(entry: WatchlistEntry) -> tuple[str, str] | None:
        varied = drop_generic_word(entry.primary_name, rng)
        # MOBIN COMPANY could be MOBIN PETROCHEMICAL COMPANY or MOBIN INTERNATIONAL LIMITED: no positive
        if varied is None or listed.distinctive_elsewhere(varied, entry.entry_id):
            return None
        return varied, "generic_word"

    fill("company_dropped_word", rng, orgs, dropped_word, per_change)

    rng = random.Random(f"{seed}:syllabic_variant")
    syllabic = [e for e in persons if syllabic_parts(e.primary_name)]
    made = fill("syllabic_variant", rng, syllabic, lambda e: syllabic_variant(e.primary_name, rng), per_change)
    if made < per_change:  # few such persons: a second variant of each, from an alias when it has one
        taken = {q.name for q in queries if q.change == "syllabic_variant"}

        def from_alias(entry: WatchlistEntry) -> tuple[str, str] | None:
            sources = [n.name for n in entry.names if n.name_type is not NameType.WEAK and syllabic_parts(n.name)]
            source = rng.choice(sources)
            result = syllabic_variant(source, rng)
            if result is None or result[0] in taken:
                return None
            taken.add(result[0])
            return result[0], ("alias:" if source != entry.primary_name else "again:") + result[1]

        fill("syllabic_variant", rng, syllabic, from_alias, per_change - made)

    rng = random.Random(f"{seed}:negative_generic_company")
    seen: set[str] = set()
    for entry in rng.sample(companies, len(companies)):
        if len(seen) >= per_change:
            break
        generic = generic_only_name(entry.primary_name)
        if generic is None or generic in seen:
            continue
        if listed.is_listed(generic, ignore=entry.entry_id) or listed.holds_listed(generic, ignore=entry.entry_id):
            continue
        if listed.is_listed(_without_legal_forms(generic), ignore=entry.entry_id):
            # a listed name under another legal form (PETROCHEMICALS TRADING LLC for PETROCHEMICAL TRADING
            # COMPANY LIMITED), the same name to the legal_form kind
            continue
        seen.add(generic)
        queries.append(
            LabelledQuery(
                "negative_generic_company",
                generic,
                EntityKind.ORGANIZATION,
                None,
                entry.primary_name,
                [],
                held_out_text(generic),
                f"from {entry.entry_id}",
            )
        )

    # a listed surname with given syllables of other listed persons of the same origin (Korean, Chinese,
    # Vietnamese), drawn as often as they are listed
    rng = random.Random(f"{seed}:negative_syllabic")
    by_origin: dict[str, list[tuple[str, list[str], str]]] = defaultdict(list)
    for entry in syllabic:
        if parts := syllabic_parts(entry.primary_name):
            by_origin[SURNAME_ORIGIN[parts[0]]].append(parts)
    origins = [origin for origin in sorted(by_origin) for _ in by_origin[origin]]
    variants = SyllabicNames(entries)
    seen = set()
    attempts = 0
    while len(seen) < per_change and attempts < per_change * 200 and origins:
        attempts += 1
        origin = rng.choice(origins)
        surname = rng.choice(by_origin[origin])[0]
        count = rng.choice((2, 2, 2, 2, 1, 3))
        syllables = [rng.choice(rng.choice(by_origin[origin])[1]) for _ in range(count)]
        upper = rng.random() < 0.5
        name = write_syllabic(surname, syllables, rng.choice((" ", " ", "", "-")), upper)
        apart = write_syllabic(surname, syllables, " ", upper)  # what the checks look into
        if name in seen or listed.is_listed(apart) or variants.is_listed(apart):
            continue
        seen.add(name)
        queries.append(
            LabelledQuery("negative_syllabic", name, EntityKind.PERSON, None, "", [], held_out_text(name), origin)
        )

    # last, so that the share of queries of unknown kind (drawn in turn after these) leaves the
    # others as they were
    rng = random.Random(f"{seed}:middle_initial")
    not_syllabic = [e for e in persons if not syllabic_parts(e.primary_name)]
    fill("middle_initial", rng, not_syllabic, lambda e: middle_initial(e.primary_name, rng), per_change)

    rng = random.Random(f"{seed}:cut_short")

    def cut(entry: WatchlistEntry) -> tuple[str, str] | None:
        result = cut_short(entry.primary_name, rng)
        # a cut that leaves another entry's name (HONG KONG ... for HONG KONG ... LIMITED) names it
        return None if result is None or listed.is_listed(result[0], ignore=entry.entry_id) else result

    fill("cut_short", rng, everyone, cut, per_change)
    return queries


def _origin(person: WatchlistEntry) -> str:
    """Where a person is from, as near as the list says: a nationality, a country, else a program."""
    places = person.nationalities + person.countries
    return places[0] if places else (person.programs[0] if person.programs else "")


def ofac_path() -> Path:
    return OFAC_DIR
