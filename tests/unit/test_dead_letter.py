from dataclasses import dataclass

from services.shared.dead_letter import dead_letter_headers, decode_headers


@dataclass
class Record:
    topic: str = "manifests.raw"
    partition: int = 3
    offset: int = 42


def test_headers_follow_kafka_connect_names() -> None:
    headers = dead_letter_headers(Record(), "orjson.JSONDecodeError", "not JSON", "ingest", "invalid_json")
    decoded = decode_headers(list(headers.items()))
    assert decoded["__connect.errors.topic"] == "manifests.raw"
    assert decoded["__connect.errors.partition"] == "3"
    assert decoded["__connect.errors.offset"] == "42"
    assert decoded["__connect.errors.exception.class.name"] == "orjson.JSONDecodeError"
    assert decoded["__connect.errors.exception.message"] == "not JSON"
    assert decoded["interdict.errors.reason"] == "invalid_json"
