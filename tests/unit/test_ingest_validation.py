import orjson
import pytest

from services.ingest.validation import MAX_MESSAGE_BYTES, InvalidManifest, parse_manifest
from services.shared.models import ShipmentManifest, VesselManifest, route_countries


def shipment(**overrides: object) -> dict[str, object]:
    document: dict[str, object] = {
        "kind": "shipment",
        "manifest_id": "BOL-1",
        "feed": "port-test",
        "reported_at": "2026-11-20T08:00:00Z",
        "bill_of_lading": "B1",
        "port_of_loading": "cobun",
        "transshipment_ports": ["PABLB"],
        "port_of_discharge": "MXZLO",
        "parties": [{"role": "consignee", "name": "ACME", "country": "mx"}],
        "containers": [{"number": "mscu4719030"}],
    }
    document.update(overrides)
    return document


def test_valid_shipment_is_normalised() -> None:
    manifest = parse_manifest(orjson.dumps(shipment()))
    assert isinstance(manifest, ShipmentManifest)
    assert manifest.port_of_loading == "COBUN"
    assert manifest.parties[0].country == "MX"
    assert manifest.containers[0].number == "MSCU4719030"
    assert route_countries(manifest) == ["CO", "PA", "MX"]


def test_vessel_manifest_needs_an_identifier() -> None:
    document = {
        "kind": "vessel",
        "manifest_id": "V-1",
        "feed": "ais",
        "reported_at": "2026-11-20T08:00:00Z",
        "vessel": {"name": "NO IDS"},
    }
    with pytest.raises(InvalidManifest, match="imo, mmsi or call_sign"):
        parse_manifest(orjson.dumps(document))
    document["vessel"] = {"name": "ARK", "imo": "9187655"}
    assert isinstance(parse_manifest(orjson.dumps(document)), VesselManifest)


@pytest.mark.parametrize(
    ("raw", "reason", "fragment"),
    [
        (b"{not json", "invalid_json", "not JSON"),
        (b"[1, 2]", "not_an_object", "JSON object"),
        (orjson.dumps({"kind": "aircraft"}), "unknown_kind", "'aircraft'"),
        (orjson.dumps(shipment(port_of_discharge=None)), "schema_violation", "port_of_discharge"),
        (orjson.dumps(shipment(port_of_loading="CO-BUN")), "schema_violation", "port_of_loading"),
        (orjson.dumps(shipment(parties=[])), "schema_violation", "parties"),
        (orjson.dumps(shipment(reported_at="2026-11-20T08:00:00")), "schema_violation", "reported_at"),
        (orjson.dumps(shipment(surprise=1)), "schema_violation", "surprise"),
        (orjson.dumps(shipment(containers=[{"number": "ABC123"}])), "schema_violation", "containers.0.number"),
    ],
)
def test_invalid_messages_say_why(raw: bytes, reason: str, fragment: str) -> None:
    with pytest.raises(InvalidManifest) as caught:
        parse_manifest(raw)
    assert caught.value.reason == reason
    assert fragment in caught.value.message


def test_oversized_message_is_rejected_before_parsing() -> None:
    with pytest.raises(InvalidManifest) as caught:
        parse_manifest(b" " * (MAX_MESSAGE_BYTES + 1))
    assert caught.value.reason == "too_large"


def test_error_class_names_the_underlying_exception() -> None:
    with pytest.raises(InvalidManifest) as caught:
        parse_manifest(orjson.dumps(shipment(parties=[])))
    assert caught.value.error_class.endswith("ValidationError")
