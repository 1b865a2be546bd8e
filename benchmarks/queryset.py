"""A labelled query set built from the OFAC SDN list (deterministic for a given seed).

Positives are listed names, aliases and identifiers changed in one named way each; negatives are
realistic names built from common given names, surnames and company words, checked not to be
listed (see `is_listed`, written independently of the engine so the check is not circular).
"""

from __future__ import annotations

import hashlib
import random
import re
from collections import defaultdict
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

KINDS_OF_CHANGE = (
    "exact", "case_accents_punct", "word_order", "missing_middle_name", "missing_second_surname",
    "typo_1", "typo_2", "legal_form", "vessel_prefix", "alias", "transliteration", "identifier_format",
)


@dataclass(slots=True)
class LabelledQuery:
    change: str  # one of KINDS_OF_CHANGE, or "negative" / "negative_hard"
    name: str | None
    kind: EntityKind
    expected: str | None  # entry_id, None for negatives
    source: str = ""  # the listed value it was derived from
    identifiers: list[Identifier] = field(default_factory=list)
    held_out: bool = False


def load_ofac() -> list[WatchlistEntry]:
    from services.watchlist.importers.ofac_sdn import parse_ofac_sdn

    return parse_ofac_sdn(OFAC_DIR)


def held_out(entry_id: str) -> bool:
    """Half the entries, by a stable hash: the engine's constants were tuned on the other half."""
    return hashlib.sha256(entry_id.encode()).digest()[0] % 2 == 1


# -- name surgery ---------------------------------------------------------------------------------

_ACCENTS = {"A": "Á", "E": "É", "I": "Í", "O": "Ó", "U": "Ú", "N": "Ñ"}
_CYRILLIC = dict(zip("abcdefghijklmnoprstuvyz", "абцдефгхийклмнопрстувыз", strict=True))
_CYRILLIC.update({"q": "к", "w": "в", "x": "кс"})
_TRANSLITERATIONS = (
    ("MOHAMMED", "MUHAMMAD"), ("MOHAMMAD", "MUHAMMAD"), ("MOHAMED", "MOHAMMED"), ("MUHAMMAD", "MOHAMMAD"),
    ("HUSSEIN", "HUSAYN"), ("HUSAIN", "HUSSEIN"), ("YUSUF", "YOUSSEF"), ("YOUSEF", "YUSUF"), ("ABDEL", "ABDUL"),
    ("ABDUL", "ABDEL"), ("AHMED", "AHMAD"), ("AHMAD", "AHMED"), ("HASSAN", "HASAN"), ("KHALED", "KHALID"),
    ("KHALID", "KHALED"), ("SAYED", "SAYYID"), ("OMAR", "UMAR"), ("ALI", "ALY"), ("MAHMOUD", "MAHMUD"),
    ("OSAMA", "USAMA"), ("SULEIMAN", "SULAYMAN"), ("IBRAHIM", "EBRAHIM"), ("YAKOV", "JAKOB"),
    ("ALEKSANDR", "ALEXANDER"), ("ALEXANDER", "ALEKSANDR"), ("SERGEY", "SERGEI"), ("SERGEI", "SERGEY"),
    ("YURIY", "YURI"), ("DMITRIY", "DMITRI"), ("ANDREY", "ANDREI"), ("NIKOLAY", "NIKOLAI"), ("VALERIY", "VALERI"),
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


# -- "not listed" check, independent of the engine --------------------------------------------------


def _plain_tokens(name: str) -> list[str]:
    words = re.sub(r"[^a-z0-9]+", " ", ascii_text(name).lower()).split()
    return [word for word in words if word.upper() not in PARTICLES]


class ListedNames:
    """A plain token index over every listed name, to reject generated negatives that are listed."""

    def __init__(self, entries: Iterable[WatchlistEntry]) -> None:
        self.names: list[list[str]] = []
        self.by_token: dict[str, list[int]] = defaultdict(list)
        for entry in entries:
            for listed in entry.names:
                tokens = _plain_tokens(listed.name)
                for token in set(tokens):
                    self.by_token[token].append(len(self.names))
                self.names.append(tokens)

    def is_listed(self, name: str) -> bool:
        """True when some listed name holds every word of `name` (one typo allowed per long word)
        with at most two listed words left over: such a name could be a listed one with parts missing."""
        tokens = _plain_tokens(name)
        candidates: set[int] = set()
        for token in tokens:
            candidates.update(self.by_token.get(token, ()))
        for candidate in candidates:
            listed = list(self.names[candidate])
            if len(listed) - len(tokens) > 2:
                continue
            if all(self._take(token, listed) for token in tokens):
                return True
        return False

    @staticmethod
    def _take(token: str, listed: list[str]) -> bool:
        for i, word in enumerate(listed):
            if word == token or (min(len(word), len(token)) >= 5 and Levenshtein.distance(word, token) <= 1):
                del listed[i]
                return True
        return False


# -- building the set --------------------------------------------------------------------------------


def positives(entries: list[WatchlistEntry], rng: random.Random, per_change: int) -> list[LabelledQuery]:
    queries: list[LabelledQuery] = []
    persons = [e for e in entries if e.kind is EntityKind.PERSON and split_person(e.primary_name)]
    orgs = [e for e in entries if e.kind is EntityKind.ORGANIZATION]
    vessels = [e for e in entries if e.kind is EntityKind.VESSEL]
    everyone = persons + orgs + vessels

    def add(change: str, entry: WatchlistEntry, name: str | None, source: str, kind: EntityKind | None = None,
            identifiers: list[Identifier] | None = None) -> None:
        queries.append(LabelledQuery(change, name, kind or entry.kind, entry.entry_id, source,
                                     identifiers or [], held_out(entry.entry_id)))

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
        {word for e in entries if e.kind is EntityKind.PERSON and (split := split_person(e.primary_name))
         for word in split[0] if word.isalpha() and len(word) >= 4 and word not in PARTICLES}
    )
    listed_org_words = sorted(
        {word for e in entries if e.kind is EntityKind.ORGANIZATION
         for word in re.sub(r"[^A-Z ]", " ", e.primary_name.upper()).split() if len(word) >= 5}
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


def build(entries: list[WatchlistEntry], seed: int = 20260509, per_change: int = 300, negative_count: int = 3000,
          unknown_kind_share: float = 0.3) -> list[LabelledQuery]:
    rng = random.Random(seed)
    queries = positives(entries, rng, per_change) + negatives(ListedNames(entries), rng, negative_count, entries)
    for query in queries:  # manifests often do not say what a party is
        if rng.random() < unknown_kind_share:
            query.kind = EntityKind.UNKNOWN
    return queries


def ofac_path() -> Path:
    return OFAC_DIR
