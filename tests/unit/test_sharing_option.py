"""The sharing option's text (`--share` of the CLI, `?share=` of the admin API): one parser for both."""

from __future__ import annotations

import pytest

from services.shared.models.watchlist import Sharing, SharingScope
from services.watchlist.operations import SharingOptionError, format_sharing, parse_sharing


@pytest.mark.parametrize(
    ("text", "scope", "countries"),
    [
        ("all", SharingScope.ALL_PARTNERS, []),
        ("owner", SharingScope.OWNER_ONLY, []),
        ("countries:CO", SharingScope.NAMED_COUNTRIES, ["CO"]),
        ("countries:CO,MX", SharingScope.NAMED_COUNTRIES, ["CO", "MX"]),
        # Codes are upper-cased and trimmed, and empty places between commas skipped.
        ("countries:co, mx", SharingScope.NAMED_COUNTRIES, ["CO", "MX"]),
        ("countries:MX,,", SharingScope.NAMED_COUNTRIES, ["MX"]),
        # An empty list after a scope that takes none is no list.
        ("all:", SharingScope.ALL_PARTNERS, []),
    ],
)
def test_valid_forms(text: str, scope: SharingScope, countries: list[str]) -> None:
    assert parse_sharing(text) == Sharing(scope=scope, countries=countries)


@pytest.mark.parametrize("text", ["countries:", "countries", "countries: , ,"])
def test_countries_with_no_code_is_refused(text: str) -> None:
    with pytest.raises(SharingOptionError) as refused:
        parse_sharing(text)
    assert str(refused.value) == f"countries:CC,CC needs at least one country code; got {text!r}"


def test_a_code_not_of_two_letters_is_named() -> None:
    with pytest.raises(SharingOptionError) as refused:
        parse_sharing("countries:MX,MEX,1X")
    assert str(refused.value) == "not a two-letter country code: 'MEX', '1X' (in 'countries:MX,MEX,1X')"


def test_any_two_letter_code_is_taken() -> None:
    # As in the entries' own sharing, a code is checked for its form only: XX is no country, and
    # FR no partner, yet both are taken (sharing with them shares with no desk).
    assert parse_sharing("countries:XX,FR").countries == ["XX", "FR"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("friends", "expected all, owner or countries:CC,CC; got 'friends'"),
        ("ALL", "expected all, owner or countries:CC,CC; got 'ALL'"),
        (" all", "expected all, owner or countries:CC,CC; got ' all'"),
        ("", "expected all, owner or countries:CC,CC; got ''"),
        ("all:MX", "only 'countries' takes a list: 'all:MX'"),
        ("friends:MX", "only 'countries' takes a list: 'friends:MX'"),
    ],
)
def test_other_texts_are_refused_saying_why(text: str, message: str) -> None:
    with pytest.raises(SharingOptionError) as refused:
        parse_sharing(text)
    assert str(refused.value) == message


@pytest.mark.parametrize("text", ["all", "owner", "countries:CO,MX"])
def test_format_is_the_inverse_of_parse(text: str) -> None:
    assert format_sharing(parse_sharing(text)) == text
