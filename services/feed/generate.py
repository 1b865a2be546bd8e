"""`interdict feed generate`: realistic manifests for load tests and the pipeline benchmark.

Shipment manifests (bills of lading) on the region's real lanes, and some vessel manifests (a ship,
its voyage and crew), about 950 bytes each, valid against the manifest models: UN/LOCODE ports,
ISO 6346 container numbers and IMO numbers with valid check digits, MMSIs with their flag's digits,
Colombian NITs, Mexican RFCs and US EINs that validate, HS codes of the goods each country ships.

A share of them (`hit_rate`) carries a listed identity: a person, firm or vessel of the watchlist
the demo uses, written as a manifest would (see planting.py); each generated manifest says which
entries were planted on it. Every other name is checked to be clear of the list.

Each manifest depends only on the seed and its index, so any range of them can be generated
again on its own (the benchmark generates its latency run after its throughput run).
"""

from __future__ import annotations

import itertools
import random
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import orjson
import typer
from stdnum.co import nit
from stdnum.mx import rfc

from services.feed import reference as ref
from services.feed.planting import ListedVocabulary, Plantable, ascii_fold, disguises, plantable_identities
from services.shared.codes.containers import check_remainder
from services.shared.codes.vessels import imo_check_digit
from services.shared.models.common import EntityKind
from services.shared.models.watchlist import WatchlistEntry

DEFAULT_HIT_RATE = 0.02
VESSEL_MANIFEST_SHARE = 0.12
#: Which kind of listed identity a planted manifest carries, and how often.
PLANT_KINDS = {EntityKind.PERSON: 0.45, EntityKind.ORGANIZATION: 0.40, EntityKind.VESSEL: 0.15}
#: Generated manifests are reported from this moment on, one every 1.7 s on average.
BASE_TIME = datetime(2026, 11, 20, tzinfo=UTC)
SECONDS_APART = 1.7
COMPANIES_PER_COUNTRY = 250
BROKERS = 25
SHIPS_PER_CARRIER = 40
#: Retries before giving up on a clear invented name (never reached with the lists in ref).
MAX_NAME_ATTEMPTS = 50
_CALL_SIGN_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_OWNER_FORMS = ("Inc.", "S.A.", "Ltd.")
_HOMOCLAVE_FIRST = "123456789ABCDEFGHJKLMNPRSTUV"
_HOMOCLAVE_SECOND = "123456789ABCDEFGHJKLMNPRSTUVWXYZ"
_EIN_PREFIXES = ("20", "26", "27", "45", "46", "47", "81", "82", "83", "84", "85", "86", "87", "88", "91", "93")

Document = dict[str, Any]


@dataclass(frozen=True)
class GeneratedManifest:
    """One manifest as a feed would publish it, and the watchlist entries planted on it."""

    document: Document
    planted: tuple[str, ...] = ()

    @property
    def manifest_id(self) -> str:
        return str(self.document["manifest_id"])

    @property
    def key(self) -> bytes:
        """The key a feed publishes it under (see services/feed/publish.py)."""
        return f"{self.document['feed']}:{self.document['manifest_id']}".encode()

    def to_json(self) -> bytes:
        return orjson.dumps(self.document)


@dataclass(frozen=True)
class Company:
    name: str
    country: str
    city: str
    street: str
    identifier: Document | None = None

    def as_party(self, role: str, rng: random.Random) -> Document:
        """The firm as one bill of lading gives it: addresses and tax ids are there on some only."""
        party: Document = {"role": role, "name": self.name, "kind": "organization", "country": self.country}
        detail = rng.random()
        if detail < 0.2:
            party["address"] = {"street": self.street, "city": self.city, "country": self.country}
        elif detail < 0.6:
            party["address"] = {"city": self.city, "country": self.country}
        if self.identifier is not None and rng.random() < 0.5:
            party["identifiers"] = [self.identifier]
        return party


@dataclass(frozen=True)
class Ship:
    name: str
    imo: str
    mmsi: str
    call_sign: str
    flag: str
    carrier: ref.Carrier
    vessel_type: str = "container ship"
    owner: str = ""
    manager: str = ""

    def as_ref(self, rng: random.Random) -> Document:
        """How a bill of lading names the ship: name and IMO always, the rest when the feed has it."""
        vessel: Document = {"name": self.name, "imo": self.imo}
        if rng.random() < 0.2:
            vessel["call_sign"] = self.call_sign
        vessel["flag"] = self.flag
        return vessel

    def as_vessel(self) -> Document:
        return {
            "name": self.name,
            "imo": self.imo,
            "mmsi": self.mmsi,
            "call_sign": self.call_sign,
            "flag": self.flag,
            "vessel_type": self.vessel_type,
            "owner": self.owner,
            "operator": self.manager,
        }


@dataclass
class _Pools:
    """What many manifests share, as in real traffic: the same firms and ships come back."""

    companies: dict[str, list[Company]] = field(default_factory=dict)
    brokers: dict[str, list[str]] = field(default_factory=dict)  # customs brokers, by country
    ships: dict[str, list[Ship]] = field(default_factory=dict)  # by carrier SCAC


class ManifestGenerator:
    """Deterministic manifests: the same seed and index always give the same manifest."""

    def __init__(
        self,
        entries: Sequence[WatchlistEntry],
        hit_rate: float = DEFAULT_HIT_RATE,
        seed: int = 1,
        format_name: str = "json",
    ) -> None:
        if not 0.0 <= hit_rate <= 1.0:
            raise ValueError(f"hit rate must be between 0 and 1, got {hit_rate}")
        self.hit_rate = hit_rate
        # AIS says who a ship is, with no crew or parties: only a listed ship can be planted on it.
        self.listed_ships_only = format_name == "ais"
        self.seed = seed
        self._vocabulary = ListedVocabulary(entries)
        identities = plantable_identities(entries)
        self._plantable = {kind: [i for i in identities if i.kind is kind] for kind in PLANT_KINDS}
        self._plant_kinds = [kind for kind in PLANT_KINDS if self._plantable[kind]]
        self._ship_numbers: set[str] = set()
        self._pools = self._build_pools(random.Random(f"{seed}:pools"))

    # -- the public calls -------------------------------------------------------------------------

    def generate(
        self, count: int | None, start: int = 0, kinds: Sequence[str] = ("shipment", "vessel")
    ) -> Iterator[GeneratedManifest]:
        """`count` manifests from `start` on (None: without end)."""
        indexes = itertools.count(start) if count is None else range(start, start + count)
        for index in indexes:
            yield self.manifest(index, kinds)

    def manifest(self, index: int, kinds: Sequence[str] = ("shipment", "vessel")) -> GeneratedManifest:
        """The manifest at `index`; `kinds` keeps to the kinds a format carries (AIS: vessels only)."""
        rng = random.Random(f"{self.seed}:{index}")  # string seeds hash the same in every process
        is_vessel = rng.random() < VESSEL_MANIFEST_SHARE if len(kinds) == 2 else kinds == ("vessel",)
        document = self._vessel_manifest(rng, index) if is_vessel else self._shipment(rng, index)
        planted: tuple[str, ...] = ()
        # A format that says only who a ship is (AIS) can carry only a listed ship.
        plant_kinds = [EntityKind.VESSEL] if self.listed_ships_only else self._plant_kinds
        if plant_kinds and rng.random() < self.hit_rate:
            planted = (self._plant(rng, document, plant_kinds),)
        return GeneratedManifest(document, planted)

    # -- shared pools -----------------------------------------------------------------------------

    def _build_pools(self, rng: random.Random) -> _Pools:
        pools = _Pools()
        for country in sorted(ref.CITIES):
            pools.companies[country] = [self._company(rng, country) for _ in range(COMPANIES_PER_COUNTRY)]
            pools.brokers[country] = [self._broker_name(rng, country) for _ in range(BROKERS)]
        for carrier in ref.CARRIERS:
            pools.ships[carrier.scac] = [self._ship(rng, carrier) for _ in range(SHIPS_PER_CARRIER)]
        return pools

    def _company(self, rng: random.Random, country: str) -> Company:
        name = self._clear_name(lambda: _company_name(rng, country))
        street_pattern = rng.choice(_street_patterns(country))
        street = street_pattern.format(n=rng.randint(2, 180), m=rng.randint(2, 99), k=rng.randint(1, 99))
        identifier = self._company_identifier(rng, country, name)
        return Company(name, country, rng.choice(ref.CITIES[country]), street, identifier)

    def _broker_name(self, rng: random.Random, country: str) -> str:
        return self._clear_name(lambda: _broker_name(rng, country))

    def _company_identifier(self, rng: random.Random, country: str, name: str) -> Document | None:
        for _ in range(MAX_NAME_ATTEMPTS):
            found = _tax_identifier(rng, country, name)
            if found is None or not self._vocabulary.is_listed_identifier(found["value"]):
                return found
        return None

    def _ship(self, rng: random.Random, carrier: ref.Carrier) -> Ship:
        name = self._clear_name(
            lambda: f"{carrier.vessel_prefix} {rng.choice(ref.VESSEL_WORDS)}{rng.choice(ref.VESSEL_SUFFIXES)}"
        )
        flag = rng.choice(carrier.flags)
        # Each ship its own numbers: two ships sharing an IMO number or an MMSI is an identity
        # conflict, which ingest reports (services/ingest/identity.py).
        imo = self._unique_ship_number(lambda: self._unlisted(lambda: imo_number(rng)))
        mmsi = self._unique_ship_number(
            lambda: self._unlisted(lambda: rng.choice(ref.MMSI_DIGITS[flag]) + f"{rng.randrange(10**6):06d}")
        )
        call_sign = rng.choice(ref.CALL_SIGN_PREFIXES[flag]) + "".join(rng.choices(_CALL_SIGN_CHARS, k=3))
        vessel_type = "reefer" if carrier.scac == "CHIQ" else rng.choice(ref.VESSEL_TYPES[:3])
        owner = self._clear_name(lambda: f"{rng.choice(ref.VESSEL_WORDS).title()} Maritime {rng.choice(_OWNER_FORMS)}")
        return Ship(name, imo, mmsi, call_sign, flag, carrier, vessel_type, owner, rng.choice(ref.SHIP_MANAGERS))

    def _clear_name(self, make: Callable[[], str]) -> str:
        """An invented name no listed name could be read into (see ListedVocabulary)."""
        name = make()
        for _ in range(MAX_NAME_ATTEMPTS):
            if self._vocabulary.is_clear(name):
                return name
            name = make()
        return name

    def _unique_ship_number(self, make: Callable[[], str]) -> str:
        value = make()
        while value in self._ship_numbers:
            value = make()
        self._ship_numbers.add(value)
        return value

    def _unlisted(self, make: Callable[[], str]) -> str:
        value = make()
        while self._vocabulary.is_listed_identifier(value):
            value = make()
        return value

    # -- shipment manifests ----------------------------------------------------------------------

    def _shipment(self, rng: random.Random, index: int) -> Document:
        lane = rng.choices(ref.LANES, weights=[lane.weight for lane in ref.LANES])[0]
        carrier = rng.choice(ref.CARRIERS)
        ship = rng.choice(self._pools.ships[carrier.scac])
        loading, discharge = ref.PORTS[lane.loading], ref.PORTS[lane.discharge]
        document: Document = {
            "kind": "shipment",
            "manifest_id": f"{loading.locode[2:]}-{BASE_TIME.year}-{index:07d}",
            "feed": _feed_for(rng, loading),
            "reported_at": _reported_at(rng, index, loading.utc_offset),
            "bill_of_lading": f"{carrier.scac}{loading.locode[2:]}{rng.randrange(10**7):07d}",
            "vessel": ship.as_ref(rng),
            "voyage_number": f"{rng.choice('NSEW')}{rng.choice('BCDFGHJKLMNPRSTVX')}{rng.randint(100, 999)}"
            f"{rng.choice('NSEWR')}",
        }
        document.update(_route(rng, lane))
        document["parties"] = self._parties(rng, loading.country, discharge.country)
        document.update(self._cargo(rng, carrier, loading.country))
        return document

    def _parties(self, rng: random.Random, origin: str, destination: str) -> list[Document]:
        shipper = self._party("shipper", rng, origin, person_share=0.08)
        consignee = self._party("consignee", rng, destination, person_share=0.05)
        parties = [shipper, consignee]
        if rng.random() < 0.5:
            parties.append(self._broker(rng, destination))
        return parties

    def _party(self, role: str, rng: random.Random, country: str, person_share: float) -> Document:
        if rng.random() < person_share:
            name = self._person_name(rng, country)
            return {"role": role, "name": name, "kind": "person", "country": country}
        company = rng.choice(self._pools.companies[_company_country(country)])
        return company.as_party(role, rng)

    def _broker(self, rng: random.Random, country: str) -> Document:
        name = rng.choice(self._pools.brokers[_company_country(country)])
        return {"role": "notify_party", "name": name, "kind": "organization", "country": country}

    def _cargo(self, rng: random.Random, carrier: ref.Carrier, origin: str) -> Document:
        goods_list = ref.GOODS.get(origin, ref.GOODS["US"])
        containers: list[Document] = []
        commodities: list[Document] = []
        goods = rng.choice(goods_list)
        for _ in range(rng.choices((1, 2, 3), weights=(8, 2, 1))[0]):
            number = self._unlisted(lambda: container_number(rng, rng.choice(carrier.owner_codes)))
            container: Document = {"number": number, "size_type": rng.choice(ref.SIZE_TYPES)}
            if rng.random() < 0.5:
                container["seal"] = f"{carrier.scac[:2]}{rng.randrange(10**7):07d}"
            containers.append(container)
            hs_code, description, (low, high) = goods
            commodities.append(
                {
                    "hs_code": hs_code,
                    "description": description,
                    "gross_weight_kg": rng.randint(low, high),
                    "container_number": number,
                }
            )
        return {"containers": containers, "commodities": commodities}

    # -- vessel manifests -------------------------------------------------------------------------

    def _vessel_manifest(self, rng: random.Random, index: int) -> Document:
        lane = rng.choices(ref.LANES, weights=[lane.weight for lane in ref.LANES])[0]
        ship = rng.choice(self._pools.ships[rng.choice(ref.CARRIERS).scac])
        reported = _reported_at(rng, index, ref.PORTS[lane.loading].utc_offset)
        return {
            "kind": "vessel",
            "manifest_id": f"VOY-{BASE_TIME.year}-{index:07d}",
            "feed": rng.choice(ref.VESSEL_FEEDS),
            "reported_at": reported,
            "vessel": ship.as_vessel(),
            "voyage": _voyage(rng, lane, reported),
            "crew": [self._crew_member(rng, rank) for rank in _ranks(rng)],
            "passengers": [],
        }

    def _crew_member(self, rng: random.Random, rank: str) -> Document:
        nationality = rng.choice(ref.CREW_NATIONALITIES)
        born = datetime(1962, 1, 1) + timedelta(days=rng.randrange(40 * 365))
        member: Document = {
            "name": self._person_name(rng, nationality),
            "nationality": nationality,
            "date_of_birth": born.date().isoformat(),
        }
        if rng.random() < 0.5:  # many crew lists give the seaman's book or passport, many do not
            passport = self._unlisted(
                lambda: f"{rng.choice('ABCDEGPRT')}{rng.choice('ABCDEFGHJKLMNPRSTUVWXYZ')}{rng.randrange(10**7):07d}"
            )
            member["documents"] = [{"scheme": "passport", "value": passport, "country": nationality}]
        member["rank"] = rank
        return member

    # -- names ------------------------------------------------------------------------------------

    def _person_name(self, rng: random.Random, country: str) -> str:
        return self._clear_name(lambda: _us_person(rng) if country == "US" else _latin_person(rng))

    # -- planting ---------------------------------------------------------------------------------

    def _plant(self, rng: random.Random, document: Document, kinds: list[EntityKind]) -> str:
        kind = rng.choices(kinds, weights=[PLANT_KINDS[kind] for kind in kinds])[0]
        identity = rng.choice(self._plantable[kind])
        name = rng.choice(disguises(identity))
        if kind is EntityKind.VESSEL:
            _plant_vessel(document, identity, name)
        elif document["kind"] == "vessel":
            _plant_on_board(rng, document, identity, name)
        else:
            _plant_party(rng, document, identity, name)
        return identity.entry_id


# -- planting, one function per place ------------------------------------------------------------


def _plant_vessel(document: Document, identity: Plantable, name: str) -> None:
    vessel: Document = {"name": name, "imo": identity.imo}
    for field_name in ("mmsi", "call_sign", "flag"):
        if getattr(identity, field_name):
            vessel[field_name] = getattr(identity, field_name)
    if document["kind"] == "vessel":
        vessel.update({key: document["vessel"][key] for key in ("vessel_type", "operator")})
    document["vessel"] = vessel


def _plant_on_board(rng: random.Random, document: Document, identity: Plantable, name: str) -> None:
    if identity.kind is EntityKind.ORGANIZATION:
        document["vessel"]["owner"] = name
        return
    crew_member: Document = {"name": name, "rank": rng.choice(ref.CREW_RANKS)}
    if identity.country:
        crew_member["nationality"] = identity.country
    if identity.date_of_birth:
        crew_member["date_of_birth"] = identity.date_of_birth
    document["crew"][rng.randrange(len(document["crew"]))] = crew_member


def _plant_party(rng: random.Random, document: Document, identity: Plantable, name: str) -> None:
    # Feeds often do not say whether a party is a person or a firm.
    kind = "unknown" if rng.random() < 0.15 else identity.kind.value
    party: Document = {"role": "", "name": name, "kind": kind}
    if identity.country:
        party["country"] = identity.country
        party["address"] = {"country": identity.country}
    position = rng.choices((0, 1, 2), weights=(5, 4, 1))[0]
    parties = document["parties"]
    if position >= len(parties):
        position = len(parties) - 1
    party["role"] = parties[position]["role"]
    parties[position] = party


# -- small makers --------------------------------------------------------------------------------


def imo_number(rng: random.Random) -> str:
    """A seven-digit IMO ship number of the range modern ships have, with its check digit."""
    body = f"{rng.randint(910000, 998999):06d}"
    return body + str(imo_check_digit(body))


def container_number(rng: random.Random, owner_code: str) -> str:
    """An ISO 6346 number; serials whose check digit would be 10 are skipped, as carriers do."""
    while True:
        body = f"{owner_code}{rng.randrange(10**6):06d}"
        remainder = check_remainder(body)
        if remainder != 10:
            return body + str(remainder)


def _tax_identifier(rng: random.Random, country: str, name: str) -> Document | None:
    if country == "CO":
        body = str(rng.randint(800_000_000, 901_999_999))
        return {"scheme": "nit", "value": f"{body}-{nit.calc_check_digit(body)}", "country": "CO"}
    if country == "MX":
        letters = "".join(word[0] for word in ascii_fold(name).upper().split() if word[0].isalpha())[:3].ljust(3, "X")
        founded = datetime(1975, 1, 1) + timedelta(days=rng.randrange(45 * 365))
        homoclave = rng.choice(_HOMOCLAVE_FIRST) + rng.choice(_HOMOCLAVE_SECOND)  # the SAT's alphabets
        body = f"{letters}{founded:%y%m%d}{homoclave}"
        return {"scheme": "rfc", "value": body + rfc.calc_check_digit(body), "country": "MX"}
    if country == "US":
        return {"scheme": "ein", "value": f"{rng.choice(_EIN_PREFIXES)}-{rng.randrange(10**7):07d}", "country": "US"}
    return None


def _company_country(country: str) -> str:
    return country if country in ref.CITIES else "US"


def _street_patterns(country: str) -> tuple[str, ...]:
    if country in ("US", "JM"):
        return ref.US_STREETS
    return ref.EUROPEAN_STREETS if country in ("NL", "BE") else ref.STREETS


def _company_name(rng: random.Random, country: str) -> str:
    forms = ref.LEGAL_FORMS.get(country, ("S.A.",))
    if country in ("US", "JM"):
        return f"{rng.choice(ref.US_DISTINCTIVE)} {rng.choice(ref.US_ACTIVITIES)} {rng.choice(forms)}"
    if country in ("NL", "BE"):
        return f"{rng.choice(ref.EUROPEAN_DISTINCTIVE)} {rng.choice(ref.US_ACTIVITIES)} {rng.choice(forms)}"
    activity, distinctive = rng.choice(ref.LATIN_ACTIVITIES), rng.choice(ref.LATIN_DISTINCTIVE)
    if rng.random() < 0.2:
        distinctive = f"{rng.choice(ref.LATIN_SURNAMES)} Hermanos"
    prefix = "C.I. " if country == "CO" and rng.random() < 0.25 else ""
    return f"{prefix}{activity} {distinctive} {rng.choice(forms)}"


def _broker_name(rng: random.Random, country: str) -> str:
    forms = ref.LEGAL_FORMS.get(country, ("S.A.",))
    word = ref.BROKER_WORDS.get(country)
    if word is None or country == "US":
        return f"{rng.choice(ref.US_DISTINCTIVE)} {word or 'Forwarding'} {rng.choice(forms)}"
    return f"{word} {rng.choice(ref.LATIN_DISTINCTIVE)} {rng.choice(forms)}"


def _latin_person(rng: random.Random) -> str:
    given_names = ref.LATIN_GIVEN_MEN if rng.random() < 0.6 else ref.LATIN_GIVEN_WOMEN
    given = rng.sample(given_names, rng.choice((1, 2, 2)))
    surnames = rng.sample(ref.LATIN_SURNAMES, 2)
    if rng.random() < 0.3:  # the way a ship's crew list or a customs system writes it
        return f"{' '.join(surnames).upper()}, {' '.join(given).upper()}"
    return " ".join([*given, *surnames])


def _us_person(rng: random.Random) -> str:
    initial = f" {rng.choice('ABCDEFGHJKLMNPRSTW')}." if rng.random() < 0.4 else ""
    return f"{rng.choice(ref.US_GIVEN)}{initial} {rng.choice(ref.US_SURNAMES)}"


def _feed_for(rng: random.Random, port: ref.Port) -> str:
    template = rng.choice(ref.FEEDS.get(port.country, ("port-{city}",)))
    return template.format(city=ascii_fold(port.city).lower().replace(" ", "-"))


def _reported_at(rng: random.Random, index: int, utc_offset: str) -> str:
    moment = BASE_TIME + timedelta(seconds=index * SECONDS_APART + rng.randrange(600))
    sign = -1 if utc_offset.startswith("-") else 1
    hours, minutes = (int(part) for part in utc_offset[1:].split(":"))
    local = timezone(sign * timedelta(hours=hours, minutes=minutes))
    return moment.astimezone(local).replace(microsecond=0).isoformat()


def _route(rng: random.Random, lane: ref.Lane) -> Document:
    loading, discharge = ref.PORTS[lane.loading], ref.PORTS[lane.discharge]
    route: Document = {"port_of_loading": loading.locode}
    if rng.random() < 0.35 and loading.country in ref.INLAND:
        route["port_of_origin"] = rng.choice(ref.INLAND[loading.country])
    if lane.via and rng.random() < 0.6:
        route["transshipment_ports"] = [rng.choice(lane.via)]
    route["port_of_discharge"] = discharge.locode
    if rng.random() < 0.35 and discharge.country in ref.INLAND:
        route["place_of_destination"] = rng.choice(ref.INLAND[discharge.country])
    return route


def _voyage(rng: random.Random, lane: ref.Lane, reported: str) -> Document:
    departed = datetime.fromisoformat(reported) - timedelta(hours=rng.randint(6, 96))
    calls = [{"port": lane.loading, "departure": departed.isoformat()}]
    if lane.via:
        arrival = departed + timedelta(hours=rng.randint(20, 60))
        calls.append(
            {
                "port": rng.choice(lane.via),
                "arrival": arrival.isoformat(),
                "departure": (arrival + timedelta(hours=rng.randint(8, 30))).isoformat(),
            }
        )
    eta = departed + timedelta(days=rng.randint(3, 12))
    return {
        "voyage_number": f"{rng.randint(100, 999)}{rng.choice('NSEW')}",
        "last_port": lane.loading,
        "next_port": lane.discharge,
        "eta": eta.isoformat(),
        "port_calls": calls,
    }


def _ranks(rng: random.Random) -> list[str]:
    """A small coaster's or feeder's crew list: master and chief engineer always."""
    size = rng.randint(3, 4)
    return ["Master", "Chief Engineer", *rng.sample(ref.CREW_RANKS[1:], size - 2)]


# -- the command ---------------------------------------------------------------------------------


def load_demo_watchlist() -> list[WatchlistEntry]:
    """The OFAC SDN list the demo imports (the full snapshot when present, else the bundled subset)."""
    from services.watchlist.demo_source import demo_ofac_dir
    from services.watchlist.importers.ofac_sdn import parse_ofac_sdn

    return parse_ofac_sdn(demo_ofac_dir())


COUNT = typer.Option(None, "--count", min=0, help="how many manifests (default 50,000; without end with --rate)")
RATE = typer.Option(None, "--rate", min=0.001, help="manifests per second, written as they are made (a live feed)")
HIT_RATE = typer.Option(DEFAULT_HIT_RATE, "--hit-rate", min=0.0, max=1.0, help="share carrying a listed identity")
SEED = typer.Option(1, "--seed", help="the same seed gives the same manifests")
FORMAT = typer.Option("json", "--format", help="json, csv or cuscar (bills of lading), ais (vessel identities)")
OUTPUT = typer.Option(None, "--output", dir_okay=False, help="the file (default: standard output)")
FEED = typer.Option(
    None, "--feed", help="one feed's name on every manifest, to publish the file as that feed (AIS: ais-caribbean)"
)
PLANTED = typer.Option(None, "--planted", dir_okay=False, help="also write each planted manifest's key and entries")
#: The kinds of manifest each format carries: CSV and CUSCAR are bills of lading, AIS says who a ship is.
FORMAT_KINDS: dict[str, tuple[str, ...]] = {
    "json": ("shipment", "vessel"),
    "csv": ("shipment",),
    "cuscar": ("shipment",),
    "ais": ("vessel",),
}
#: The feed whose name AIS messages are published under (`interdict feed publish --feed`).
AIS_FEED = "ais-caribbean"
DEFAULT_COUNT = 50_000


def generate(
    count: int | None = COUNT,
    rate: float | None = RATE,
    hit_rate: float = HIT_RATE,
    seed: int = SEED,
    format_name: str = FORMAT,
    feed: str | None = FEED,
    output: Path | None = OUTPUT,
    planted: Path | None = PLANTED,
) -> None:
    """Write generated manifests in a feed's format, ready for `interdict feed publish`.

    With --rate, manifests are written as they are made, at that rate, and without end unless
    --count is given: pipe them to `interdict feed publish --format F -` or read the file as it grows.
    """
    if format_name not in FORMAT_KINDS:
        raise typer.BadParameter(f"{format_name!r}: one of {', '.join(FORMAT_KINDS)}", param_hint="--format")
    if count is None and rate is None:
        count = DEFAULT_COUNT
    encode = _encoder(format_name)
    generator = ManifestGenerator(load_demo_watchlist(), hit_rate=hit_rate, seed=seed, format_name=format_name)
    sink = output.open("wb") if output is not None else sys.stdout.buffer
    truth = planted.open("wb") if planted is not None else None
    made = hits = 0
    started = time.monotonic()
    try:
        for manifest in generator.generate(count, kinds=FORMAT_KINDS[format_name]):
            document = as_sent(manifest.document, format_name, feed)
            sink.write(encode(document))
            made += 1
            if manifest.planted:
                hits += 1
                if truth is not None:
                    key = f"{document['feed']}:{document['manifest_id']}"
                    truth.write(orjson.dumps({"key": key, "entries": manifest.planted}) + b"\n")
            if rate is not None:
                sink.flush()
                _pace(started, made, rate)
    except (KeyboardInterrupt, BrokenPipeError):
        pass  # a live feed is stopped by its reader or by Ctrl-C
    finally:
        if output is not None:
            sink.close()
        if truth is not None:
            truth.close()
    typer.echo(
        f"generated {made} {format_name} manifests, {hits} with a planted watchlist identity (seed {seed})", err=True
    )


def encoded_feed(
    format_name: str, count: int, hit_rate: float, seed: int, feed: str | None = None
) -> Iterator[tuple[GeneratedManifest, bytes]]:
    """Generated manifests and their bytes in that format, as `generate --format` writes them."""
    encode = _encoder(format_name)
    generator = ManifestGenerator(load_demo_watchlist(), hit_rate=hit_rate, seed=seed, format_name=format_name)
    for manifest in generator.generate(count, kinds=FORMAT_KINDS[format_name]):
        yield manifest, encode(as_sent(manifest.document, format_name, feed))


def write_feed_file(path: Path, format_name: str, count: int, hit_rate: float, seed: int, feed: str) -> int:
    """A generated feed file (the demo's feeds in every format); how many carry a planted identity."""
    planted = 0
    with path.open("wb") as sink:
        for manifest, encoded in encoded_feed(format_name, count, hit_rate, seed, feed):
            sink.write(encoded)
            planted += bool(manifest.planted)
    return planted


def _encoder(format_name: str) -> Callable[[Document], bytes]:
    from services.ingest.formats.registry import FORMATS

    chosen = FORMATS[format_name]
    return lambda document: chosen.encode([document])


def as_sent(document: Document, format_name: str, feed: str | None = None) -> Document:
    """What the feed of that format would say: under its own name when `feed` is given (a file is
    published as one feed); an AIS receiver knows the ship by its MMSI only."""
    if format_name != "ais":
        return {**document, "feed": feed} if feed else document
    vessel = dict(document["vessel"])
    if not vessel.get("mmsi"):
        # A listed ship known by its IMO alone still broadcasts an MMSI: one of Panama's, here.
        vessel["mmsi"] = f"352{int(vessel['imo']) % 1_000_000:06d}"
    # AIS says where a ship is going and when, not where it has been: its destination (set to
    # the port's UN/LOCODE, as on most transponders) and its ETA.
    declared = document.get("voyage") or {}
    voyage = {"destination": declared.get("destination") or declared.get("next_port"), "eta": declared.get("eta")}
    voyage = {key: value for key, value in voyage.items() if value}
    sent = {key: value for key, value in document.items() if key not in ("crew", "passengers")}
    sent.update(feed=feed or AIS_FEED, manifest_id=f"ais-{vessel['mmsi']}", vessel=vessel, voyage=voyage)
    return sent


def _pace(started: float, made: int, rate: float) -> None:
    ahead = made / rate - (time.monotonic() - started)
    if ahead > 0:
        time.sleep(ahead)
