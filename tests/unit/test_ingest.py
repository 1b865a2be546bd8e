"""Ingest's handler: formats, codes checked, limits, versions and duplicates, vessel identity conflicts.

Runs the real decoder and checks with in-memory stand-ins for the Redis-held history and sightings
(tests/fakes.py mirrors their scripts; tests/integration/test_ingest_state.py runs the scripts).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from services.ingest.formats.base import FEED_HEADER, FORMAT_HEADER
from services.shared.models import ShipmentManifest, VesselManifest
from services.shared.models.ingest import ConflictKind
from services.shared.models.manifest import MAX_PARTIES
from services.shared.stage import InputRecord, Outcome
from tests.fakes import MemoryManifestHistory, MemorySightingLog, ingest_handler

NOW_MS = int(datetime(2026, 11, 21, tzinfo=UTC).timestamp() * 1000)


def record(value: bytes, offset: int = 0, headers: tuple[tuple[str, bytes], ...] = ()) -> InputRecord:
    return InputRecord("manifests.raw", 0, offset, None, value, headers, timestamp_ms=NOW_MS)


def shipment(**overrides: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "kind": "shipment",
        "manifest_id": "BOL-1",
        "feed": "port-manzanillo-mx",
        "reported_at": "2026-11-20T08:00:00Z",
        "bill_of_lading": "MEDU1234567",
        "port_of_loading": "COBUN",
        "port_of_discharge": "MXZLO",
        "vessel": {"name": "MSC ANNA", "imo": "9134270", "mmsi": "351234567"},
        "parties": [{"role": "consignee", "name": "ACME", "country": "MX"}],
        "containers": [{"number": "MSCU1234566"}],
        "commodities": [{"hs_code": "0803.90", "description": "bananas", "container_number": "MSCU1234566"}],
    }
    document.update(overrides)
    return document


def vessel(**overrides: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "kind": "vessel",
        "manifest_id": "V-1",
        "feed": "dimar-co",
        "reported_at": "2026-11-20T08:00:00Z",
        "vessel": {"name": "EVER DIADEM", "imo": "9134270", "mmsi": "352000001"},
    }
    document.update(overrides)
    return document


async def one(document: dict[str, Any] | bytes, **kwargs: Any) -> Outcome:
    raw = document if isinstance(document, bytes) else orjson.dumps(document)
    [outcome] = await ingest_handler(**kwargs).handle([record(raw)])
    return outcome


def published(outcome: Outcome) -> dict[str, Any]:
    assert outcome.rejection is None, outcome.rejection
    [output] = outcome.outputs
    document: dict[str, Any] = orjson.loads(output.value)
    return document


# -- codes: what is refused, what is kept with a warning ------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "reason", "where"),
    [
        ({"parties": [{"role": "consignee", "name": "ACME", "country": "ZZ"}]}, "invalid_code", "parties[0].country"),
        ({"port_of_loading": "XXABC"}, "invalid_code", "port_of_loading"),
        ({"vessel": {"name": "X", "mmsi": "12"}}, "invalid_code", "vessel.mmsi"),
        ({"vessel": {"name": "X", "mmsi": "999999999"}}, "invalid_code", "vessel.mmsi"),
        ({"vessel": {"name": "X", "imo": "12345"}}, "invalid_code", "vessel.imo"),
        ({"vessel": {"name": "X", "flag": "QZ"}}, "invalid_code", "vessel.flag"),
        ({"reported_at": "2099-01-01T00:00:00Z"}, "implausible_date", "reported_at"),
        ({"reported_at": "1970-01-01T00:00:00Z"}, "implausible_date", "reported_at"),
    ],
)
async def test_a_value_that_is_not_a_code_is_refused_naming_where(
    overrides: dict[str, Any], reason: str, where: str
) -> None:
    outcome = await one(shipment(**overrides))
    assert outcome.outputs == []
    assert outcome.rejection is not None and outcome.rejection.reason == reason
    assert where in outcome.rejection.message


async def test_every_wrong_code_of_a_manifest_is_named_at_once() -> None:
    outcome = await one(shipment(port_of_loading="XXABC", parties=[{"role": "shipper", "name": "A", "country": "ZZ"}]))
    assert outcome.rejection is not None
    assert "port_of_loading" in outcome.rejection.message and "parties[0].country" in outcome.rejection.message


async def test_a_doubtful_code_is_kept_with_a_warning_for_the_desk() -> None:
    document = shipment(
        containers=[{"number": "MSCU1234567"}],  # check digit should be 6
        commodities=[{"hs_code": "9999", "description": "??"}],
        port_of_discharge="MXQQQ",  # a well-formed code of a real country, not a known port
        vessel={"name": "MSC ANNA", "imo": "9134271", "mmsi": "351234567"},
    )
    warnings = {(w["field"], w["code"]) for w in published(await one(document))["ingest"]["warnings"]}
    assert warnings == {
        ("containers[0].number", "container_check_digit"),
        ("commodities[0].hs_code", "unknown_hs_code"),
        ("port_of_discharge", "unknown_port"),
        ("vessel.imo", "imo_check_digit"),
    }


async def test_a_clean_manifest_has_no_warnings_and_its_flag_comes_from_its_mmsi() -> None:
    document = published(await one(shipment()))
    assert document["ingest"]["warnings"] == []
    assert document["vessel"]["flag"] == "PA"  # MID 351
    assert document["ingest"]["format"] == "json" and document["ingest"]["feed_owner"] == "MX"


async def test_a_feed_not_in_the_feeds_file_is_accepted_with_a_warning() -> None:
    document = published(await one(shipment(feed="someone-else")))
    assert [w["code"] for w in document["ingest"]["warnings"]] == ["unconfigured_feed"]


async def test_a_vessel_destination_naming_a_known_port_becomes_its_next_port() -> None:
    document = published(await one(vessel(voyage={"destination": "PA BLB"})))
    assert document["voyage"]["next_port"] == "PABLB"


# -- limits ---------------------------------------------------------------------------------------


async def test_padding_a_manifest_with_parties_is_refused_as_over_the_limit() -> None:
    parties = [{"role": "notify_party", "name": f"PARTY {n}"} for n in range(10_000)]
    outcome = await one(shipment(parties=parties))
    assert outcome.rejection is not None and outcome.rejection.reason == "limit_exceeded"
    assert f"at most {MAX_PARTIES}" in outcome.rejection.message


async def test_a_megabyte_description_is_refused_as_over_the_limit() -> None:
    outcome = await one(shipment(commodities=[{"hs_code": "0803", "description": "x" * 1_000_000}]))
    assert outcome.rejection is not None and outcome.rejection.reason == "limit_exceeded"


async def test_a_feed_may_not_write_what_ingest_writes() -> None:
    outcome = await one(shipment(ingest={"format": "json"}))
    assert outcome.rejection is not None and outcome.rejection.reason == "reserved_field"


# -- formats --------------------------------------------------------------------------------------


async def test_the_format_header_names_a_format_we_know() -> None:
    [outcome] = await ingest_handler().handle([record(b"{}", headers=((FORMAT_HEADER, b"xml"),))])
    assert outcome.rejection is not None and outcome.rejection.reason == "unknown_format"


async def test_bytes_in_no_format_are_refused_as_unrecognised() -> None:
    outcome = await one(b"\x00\x01 what is this")
    assert outcome.rejection is not None and outcome.rejection.reason == "unrecognised_format"


async def test_a_json_manifest_must_name_the_feed_its_header_names() -> None:
    raw = orjson.dumps(shipment())
    [outcome] = await ingest_handler().handle([record(raw, headers=((FEED_HEADER, b"cbp-ace-us"),))])
    assert outcome.rejection is not None and outcome.rejection.reason == "feed_mismatch"


# -- versions and duplicates ----------------------------------------------------------------------


async def test_a_manifest_sent_twice_unchanged_is_processed_once() -> None:
    handler = ingest_handler()
    raw = orjson.dumps(shipment())
    restamped = orjson.dumps(shipment(reported_at="2026-11-20T09:30:00Z"))
    first, second, third = await handler.handle([record(raw, 0), record(raw, 1), record(restamped, 2)])
    assert published(first)["ingest"]["version"] == 1
    assert second.outputs == [] and second.rejection is None
    assert third.outputs == [] and third.rejection is None


async def test_an_amended_manifest_is_a_new_version_saying_what_changed() -> None:
    handler = ingest_handler()
    amended = shipment(
        parties=[
            {"role": "consignee", "name": "ACME", "country": "MX"},
            {"role": "notify_party", "name": "NEW FRIEND LTDA", "country": "CO"},
        ]
    )
    first, second = await handler.handle([record(orjson.dumps(shipment()), 0), record(orjson.dumps(amended), 1)])
    assert published(first)["ingest"]["version"] == 1
    info = published(second)["ingest"]
    assert info["version"] == 2
    assert info["changes"] == ["parties added: notify_party: NEW FRIEND LTDA (CO)"]


async def test_a_redone_batch_gets_the_verdicts_of_its_first_attempt() -> None:
    """A worker that died before committing redoes its batch: its records are not duplicates of themselves."""
    history, sightings = MemoryManifestHistory(), MemorySightingLog()
    records = [record(orjson.dumps(shipment()), 0), record(orjson.dumps(shipment(manifest_id="BOL-2")), 1)]
    first = await ingest_handler(history=history, sightings=sightings).handle(records)
    again = await ingest_handler(history=history, sightings=sightings).handle(records)
    assert [o.outputs for o in first] == [o.outputs for o in again]
    assert all(len(o.outputs) == 1 for o in again)


# -- vessel identity ------------------------------------------------------------------------------


async def test_an_imo_seen_with_another_mmsi_and_name_is_an_identity_conflict() -> None:
    handler = ingest_handler()
    before = vessel(manifest_id="V-1", vessel={"name": "EVER DIADEM", "imo": "9134270", "mmsi": "352000001"})
    after = vessel(
        manifest_id="V-2", feed="amp-pa", vessel={"name": "OCEAN PRIDE", "imo": "9134270", "mmsi": "538000001"}
    )
    first, second = await handler.handle([record(orjson.dumps(before), 0), record(orjson.dumps(after), 1)])
    assert published(first)["ingest"]["identity_conflicts"] == []
    conflicts = published(second)["ingest"]["identity_conflicts"]
    assert {c["kind"] for c in conflicts} == {ConflictKind.IMO_MMSI, ConflictKind.IMO_NAME}
    assert all("dimar-co" in c["explanation"] for c in conflicts)


async def test_a_flag_that_is_not_the_mmsi_country_is_an_identity_conflict() -> None:
    document = published(await one(vessel(vessel={"name": "X", "mmsi": "730000001", "flag": "PA"})))
    [conflict] = document["ingest"]["identity_conflicts"]
    assert conflict["kind"] == ConflictKind.FLAG_MID and "CO" in conflict["explanation"]


async def test_the_same_name_written_differently_is_no_conflict() -> None:
    handler = ingest_handler()
    before = vessel(manifest_id="V-1", vessel={"name": "M/V Ever Diadem", "imo": "9134270"})
    after = vessel(manifest_id="V-2", vessel={"name": "EVER DIADEM", "imo": "9134270"})
    _, second = await handler.handle([record(orjson.dumps(before), 0), record(orjson.dumps(after), 1)])
    assert published(second)["ingest"]["identity_conflicts"] == []


def test_models_round_trip_what_ingest_publishes() -> None:
    for model in (ShipmentManifest, VesselManifest):
        assert "ingest" in model.model_fields
