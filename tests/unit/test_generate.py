"""The manifest generator (services/feed/generate.py): valid, deterministic, realistic, and its
planted identities are found by the matcher while its invented names are not."""

from __future__ import annotations

import re
from pathlib import Path

import orjson
import pytest
import typer
from stdnum import imo, iso6346
from stdnum.co import nit
from stdnum.mx import rfc
from stdnum.us import ein
from typer.testing import CliRunner

from services.feed import reference
from services.feed.generate import AIS_FEED, GeneratedManifest, ManifestGenerator, generate
from services.feed.planting import ListedVocabulary, disguises, plantable_identities
from services.ingest.decoding import MessageDecoder
from services.ingest.formats.base import FEED_HEADER, FORMAT_HEADER
from services.ingest.formats.registry import FORMATS
from services.matcher.engine import MatchingEngine, ScreeningQuery
from services.matcher.screening import screen_manifest
from services.shared.codes.vessels import imo_check_digit
from services.shared.models import ManifestAdapter, ShipmentManifest, VesselManifest
from services.shared.models.common import EntityKind, Identifier, IdentifierScheme
from services.shared.models.watchlist import EntryName, WatchlistEntry
from services.shared.settings import Settings
from services.shared.stage import InputRecord
from services.watchlist.demo_source import BUNDLED_OFAC_DIR, demo_ofac_dir
from services.watchlist.importers.ofac_sdn import parse_ofac_sdn
from tests.fakes import INGEST_NOW

SAMPLE = 2_000


@pytest.fixture(scope="module")
def entries() -> list[WatchlistEntry]:
    return parse_ofac_sdn(demo_ofac_dir())


@pytest.fixture(scope="module")
def engine(entries: list[WatchlistEntry]) -> MatchingEngine:
    engine = MatchingEngine()  # the matcher's default threshold, 0.80
    engine.load(entries)
    return engine


@pytest.fixture(scope="module")
def generator(entries: list[WatchlistEntry]) -> ManifestGenerator:
    return ManifestGenerator(entries, hit_rate=0.05, seed=7)


@pytest.fixture(scope="module")
def sample(generator: ManifestGenerator) -> list[GeneratedManifest]:
    return list(generator.generate(SAMPLE))


def parsed(manifest: GeneratedManifest) -> ShipmentManifest | VesselManifest:
    return ManifestAdapter.validate_json(manifest.to_json())


# -- valid and realistic -------------------------------------------------------------------------


def test_every_manifest_validates_against_the_models(sample: list[GeneratedManifest]) -> None:
    kinds = {parsed(manifest).kind for manifest in sample}
    assert kinds == {"shipment", "vessel"}


def test_manifests_are_about_900_bytes_and_keyed_as_feeds_key_them(sample: list[GeneratedManifest]) -> None:
    sizes = [len(manifest.to_json()) for manifest in sample]
    assert 800 <= sum(sizes) / len(sizes) <= 1100
    assert max(sizes) < 4096
    assert all(manifest.key == f"{manifest.document['feed']}:{manifest.manifest_id}".encode() for manifest in sample)
    assert len({manifest.key for manifest in sample}) == len(sample)


def test_ports_are_on_the_regions_lanes(sample: list[GeneratedManifest]) -> None:
    known = set(reference.PORTS) | {code for codes in reference.INLAND.values() for code in codes}
    ports = {port for manifest in sample for port in parsed(manifest).route_ports()}
    assert ports <= known
    assert {"COBUN", "COCTG", "MXZLO", "PABLB", "ECGYE", "BRSSZ", "USHOU", "USMIA", "HNPCR"} <= ports


def test_check_digits_are_valid(sample: list[GeneratedManifest]) -> None:
    for manifest in map(parsed, sample):
        if isinstance(manifest, ShipmentManifest):
            assert all(iso6346.is_valid(container.number) for container in manifest.containers)
            for party in manifest.parties:
                for identifier in party.identifiers:
                    assert _valid_identifier(identifier.scheme, identifier.value), identifier
        vessel = manifest.vessel
        assert vessel is not None and vessel.imo is not None and imo.is_valid(vessel.imo), vessel
        if vessel.mmsi and vessel.flag in reference.MMSI_DIGITS:  # planted vessels keep the listed MMSI
            assert re.fullmatch(r"\d{9}", vessel.mmsi) and vessel.mmsi[:3] in reference.MMSI_DIGITS[vessel.flag]


def _valid_identifier(scheme: IdentifierScheme, value: str) -> bool:
    if scheme is IdentifierScheme.NIT:
        return bool(nit.is_valid(value))
    if scheme is IdentifierScheme.RFC:
        return bool(rfc.is_valid(value, validate_check_digits=True))
    if scheme is IdentifierScheme.EIN:
        return bool(ein.is_valid(value))
    return True


def test_imo_check_digit_of_a_known_ship() -> None:
    assert imo_check_digit("913427") == 0  # IMO 9134270, the README's example


# -- deterministic -------------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_manifests(entries: list[WatchlistEntry], sample: list[GeneratedManifest]) -> None:
    again = ManifestGenerator(entries, hit_rate=0.05, seed=7)
    assert [item.to_json() for item in again.generate(200)] == [item.to_json() for item in sample[:200]]
    assert [item.planted for item in again.generate(200)] == [item.planted for item in sample[:200]]


def test_a_range_can_be_generated_on_its_own(generator: ManifestGenerator, sample: list[GeneratedManifest]) -> None:
    again = [item.to_json() for item in generator.generate(10, start=500)]
    assert again == [item.to_json() for item in sample[500:510]]


def test_another_seed_gives_other_manifests(entries: list[WatchlistEntry], sample: list[GeneratedManifest]) -> None:
    other = list(ManifestGenerator(entries, hit_rate=0.05, seed=8).generate(50))
    assert sum(a.to_json() == b.to_json() for a, b in zip(other, sample, strict=False)) == 0


# -- hit rate and planted identities -------------------------------------------------------------


@pytest.mark.parametrize("hit_rate", [0.0, 0.02, 0.2, 1.0])
def test_hit_rate_is_respected(entries: list[WatchlistEntry], hit_rate: float) -> None:
    count = 2_000
    planted = sum(1 for item in ManifestGenerator(entries, hit_rate, seed=3).generate(count) if item.planted)
    tolerance = 4 * (hit_rate * (1 - hit_rate) / count) ** 0.5  # four standard deviations
    assert abs(planted / count - hit_rate) <= tolerance


def test_planted_identities_are_found_by_the_matcher(entries: list[WatchlistEntry], engine: MatchingEngine) -> None:
    planted = list(ManifestGenerator(entries, hit_rate=1.0, seed=11).generate(400))
    kinds = set()
    for manifest in planted:
        found = {match.subject_id for match in screen_manifest(parsed(manifest), engine, {})}
        assert set(manifest.planted) <= found, (manifest.planted, manifest.to_json())
        kinds |= {manifest.document["kind"]}
    assert kinds == {"shipment", "vessel"}


def test_every_plantable_name_matches_in_every_disguise(entries: list[WatchlistEntry], engine: MatchingEngine) -> None:
    """Not a sample: each identity the generator may plant, each way it may write it, with the party
    kind given or not, is found by the matcher on the name alone (vessels also carry their IMO)."""
    missed = []
    for identity in plantable_identities(entries):
        if identity.kind is EntityKind.VESSEL:
            continue
        countries = [identity.country] if identity.country else []
        for name in disguises(identity):
            for kind in (identity.kind, EntityKind.UNKNOWN):
                query = ScreeningQuery(name=name, kind=kind, countries=countries)
                if identity.entry_id not in {match.entry.entry_id for match in engine.screen(query)}:
                    missed.append((identity.entry_id, name, kind.value))
    assert missed == []


def test_disguises_change_case_and_word_order_only() -> None:
    from services.feed.planting import Plantable

    person = Plantable("x:1", EntityKind.PERSON, "HERRERA BUITRAGO, Helmer")
    assert set(disguises(person)) == {
        "HERRERA BUITRAGO, HELMER",
        "Herrera Buitrago, Helmer",
        "HELMER HERRERA BUITRAGO",
        "Helmer Herrera Buitrago",
        "HERRERA BUITRAGO HELMER",
        "Herrera Buitrago Helmer",
    }


def test_unplanted_manifests_rarely_match(entries: list[WatchlistEntry], engine: MatchingEngine) -> None:
    clean = ManifestGenerator(entries, hit_rate=0.0, seed=5)
    matched = [item.manifest_id for item in clean.generate(1_500) if screen_manifest(parsed(item), engine, {})]
    assert len(matched) <= 2, matched  # measured: about 1 in 30,000


def test_invented_names_that_could_pass_for_listed_ones_are_refused() -> None:
    def listed(number: int, kind: EntityKind, name: str) -> WatchlistEntry:
        imo_number = Identifier(scheme=IdentifierScheme.IMO, value="9513270")
        return WatchlistEntry(
            entry_id=f"t:{number}",
            list_id="t",
            kind=kind,
            names=[EntryName(name=name)],
            owner_country="US",
            identifiers=[imo_number],
        )

    vocabulary = ListedVocabulary(
        [
            listed(1, EntityKind.PERSON, "HERRERA BUITRAGO, Helmer"),
            listed(2, EntityKind.ORGANIZATION, "GLOBAL DE TEXTILES ANDINO S.A.S."),
            listed(3, EntityKind.VESSEL, "AMUAY"),
        ]
    )
    assert not vocabulary.is_clear("Helmer Herrera Buitrago")  # two listed words together
    assert not vocabulary.is_clear("Textiles Andina S.A.S.")  # the same words but for the gender ending
    assert not vocabulary.is_clear("Transportes Amuay S.A.")  # a listed one-word name
    assert vocabulary.is_clear("Helmer Smith")  # one shared word is not enough for the matcher either
    assert vocabulary.is_clear("Gulf Coast Produce Importers LLC")
    assert vocabulary.is_listed_identifier("9513270") and not vocabulary.is_listed_identifier("9513271")


def test_works_with_the_bundled_subset_of_the_list() -> None:
    subset = parse_ofac_sdn(BUNDLED_OFAC_DIR)
    engine = MatchingEngine()
    engine.load(subset)
    for manifest in ManifestGenerator(subset, hit_rate=1.0, seed=2).generate(100):
        found = {match.subject_id for match in screen_manifest(parsed(manifest), engine, {})}
        assert set(manifest.planted) <= found


def test_rejects_an_impossible_hit_rate(entries: list[WatchlistEntry]) -> None:
    with pytest.raises(ValueError, match="hit rate"):
        ManifestGenerator(entries, hit_rate=1.5)


# -- the command ---------------------------------------------------------------------------------


def test_command_writes_json_lines_and_the_planted_entries(tmp_path: Path) -> None:
    app = typer.Typer()
    app.command()(generate)
    output, planted = tmp_path / "manifests.jsonl", tmp_path / "planted.jsonl"
    result = CliRunner().invoke(
        app, ["--count", "300", "--hit-rate", "0.1", "--seed", "4", "--output", str(output), "--planted", str(planted)]
    )
    assert result.exit_code == 0, result.output
    lines = output.read_bytes().splitlines()
    assert len(lines) == 300
    assert all(ManifestAdapter.validate_json(line) for line in lines)
    truth = [orjson.loads(line) for line in planted.read_bytes().splitlines()]
    assert 10 <= len(truth) <= 60
    keys = {f"{doc['feed']}:{doc['manifest_id']}" for doc in map(orjson.loads, lines)}
    assert all(item["key"] in keys and item["entries"] for item in truth)


@pytest.mark.parametrize("format_name", ["json", "csv", "cuscar", "ais"])
def test_command_writes_every_format_as_ingest_reads_it(tmp_path: Path, format_name: str) -> None:
    """What `generate --format F` writes, `publish` cuts into messages that ingest finds valid,
    and the planted keys are the keys ingest gives those manifests."""
    app = typer.Typer()
    app.command()(generate)
    output, planted = tmp_path / f"feed.{format_name}", tmp_path / "planted.jsonl"
    arguments = ["--count", "40", "--hit-rate", "0.3", "--seed", "9", "--format", format_name]
    result = CliRunner().invoke(app, [*arguments, "--output", str(output), "--planted", str(planted)])
    assert result.exit_code == 0, result.output

    decoder = MessageDecoder.from_settings(Settings(), clock=lambda: INGEST_NOW)
    headers = ((FORMAT_HEADER, format_name.encode()), (FEED_HEADER, AIS_FEED.encode()))[
        : 2 if format_name == "ais" else 1
    ]
    with output.open("rb") as handle:
        messages = list(FORMATS[format_name].split(handle))
    manifests = [
        manifest
        for message in messages
        for manifest in decoder.decode(
            InputRecord("raw", 0, message.line, message.key, message.payload, headers)
        ).manifests
    ]
    assert len(manifests) == 40
    keys = {f"{manifest.feed}:{manifest.manifest_id}" for manifest in manifests}
    truth = [orjson.loads(line) for line in planted.read_bytes().splitlines()]
    assert truth and all(item["key"] in keys for item in truth)


def test_command_at_a_rate_writes_as_it_goes(tmp_path: Path) -> None:
    app = typer.Typer()
    app.command()(generate)
    output = tmp_path / "live.jsonl"
    result = CliRunner().invoke(app, ["--rate", "500", "--count", "25", "--output", str(output)])
    assert result.exit_code == 0, result.output
    assert len(output.read_bytes().splitlines()) == 25


def test_command_refuses_a_format_it_cannot_write() -> None:
    app = typer.Typer()
    app.command()(generate)
    result = CliRunner().invoke(app, ["--count", "1", "--format", "xml"])
    assert result.exit_code != 0 and "xml" in result.output
