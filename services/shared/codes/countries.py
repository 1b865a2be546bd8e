"""ISO 3166-1 alpha-2 country codes: the countries and territories feeds may name.

pycountry holds the assigned codes. The user-assigned ranges (AA, QM-QZ, XA-XZ, ZZ) are not
countries: feeds use them for "unknown" or for private purposes, and a desk cannot act on them.
"""

from __future__ import annotations

import string
from functools import cache

import pycountry

#: Codes ISO 3166 leaves to users: never a real country, whatever a feed means by them.
USER_ASSIGNED: frozenset[str] = frozenset(
    {"AA", "ZZ"} | {"Q" + letter for letter in "MNOPQRSTUVWXYZ"} | {"X" + letter for letter in string.ascii_uppercase}
)

# Kosovo has no ISO code yet, but the European Commission, the IMF, SWIFT and most registries
# (passports, company and vessel registers) use XK for it. Rejecting it would dead-letter genuine
# documents, so it is accepted although it sits in the user-assigned range.
_ACCEPTED_USER_ASSIGNED: dict[str, str] = {"XK": "Kosovo"}


@cache
def _iso_countries() -> dict[str, str]:
    """alpha-2 -> the name people use (pycountry's common name where it has one)."""
    return {
        country.alpha_2: getattr(country, "common_name", None) or country.name
        for country in pycountry.countries
        if country.alpha_2 not in USER_ASSIGNED
    }


def is_country(code: str) -> bool:
    """True for the alpha-2 code of a real country or territory, in any case ("co", "CO")."""
    return country_name(code) is not None


def country_name(code: str) -> str | None:
    """The country's name ("CO" -> "Colombia"), or None when `code` is not a country."""
    normalised = code.strip().upper()
    return _ACCEPTED_USER_ASSIGNED.get(normalised) or _iso_countries().get(normalised)


def country_from_text(text: str) -> str | None:
    """The alpha-2 code of a country written as alpha-2, alpha-3 or English name ("COL", "Colombia")."""
    if is_country(text):
        return text.strip().upper()
    try:
        found = pycountry.countries.lookup(text.strip())
    except LookupError:
        return None
    return found.alpha_2 if is_country(found.alpha_2) else None
