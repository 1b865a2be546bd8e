"""The project's JSON Lines watchlist format."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.shared.models.watchlist import Sharing, SharingScope
from services.watchlist.errors import WatchlistFileError
from services.watchlist.importers.jsonl import dump_jsonl, parse_jsonl


def test_round_trip_and_file_defaults(tmp_path: Path) -> None:
    file = tmp_path / "mx.jsonl"
    file.write_text(
        '{"entry_id": "mx:1", "kind": "person", "names": [{"name": "ANA"}], '
        '"identifiers": [{"scheme": "rfc", "value": "AAAA800101XX1"}]}\n'
        "\n"
        '{"entry_id": "mx:2", "list_id": "mx", "kind": "vessel", "names": [{"name": "LA PERLA"}], '
        '"owner_country": "PA", "sharing": {"scope": "owner"}}\n'
    )
    first, second = parse_jsonl(
        file, list_id="mx", owner_country="MX", sharing=Sharing(scope=SharingScope.ALL_PARTNERS)
    )
    assert (first.list_id, first.owner_country, first.sharing.scope) == ("mx", "MX", SharingScope.ALL_PARTNERS)
    assert (second.owner_country, second.sharing.scope) == ("PA", SharingScope.OWNER_ONLY)
    out = tmp_path / "out.jsonl"
    dump_jsonl([first, second], out)
    assert parse_jsonl(out, list_id="mx", owner_country="US") == [first, second]


def test_every_bad_line_is_reported(tmp_path: Path) -> None:
    file = tmp_path / "bad.jsonl"
    file.write_text(
        '{"entry_id": "mx:1", "kind": "person", "names": [{"name": "ANA"}]}\n'
        "[1, 2]\n"
        '{"entry_id": "mx:1", "kind": "person", "names": [{"name": "ANA"}]}\n'
        '{"entry_id": "co:3", "list_id": "co", "kind": "person", "names": [{"name": "X"}]}\n'
        '{"entry_id": "mx:4", "kind": "person", "names": [{"name": "X"}], "colour": "red"}\n'
    )
    with pytest.raises(WatchlistFileError) as raised:
        parse_jsonl(file, list_id="mx", owner_country="MX")
    assert [(problem.line, problem.message.split(":")[0]) for problem in raised.value.problems] == [
        (2, "expected a JSON object"),
        (3, "entry_id 'mx"),
        (4, "list_id 'co' differs from the list imported, 'mx'"),
        (5, "colour"),
    ]
