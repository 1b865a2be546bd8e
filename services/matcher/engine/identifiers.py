"""Identifier normalisation and validation (python-stdnum where it knows the format).

A number is matched on its compact form (no spaces, dots, dashes or scheme prefixes). Validation
never blocks matching: a tampered or mistyped number may still equal a listed one, so the problem is
reported alongside the result instead.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from types import ModuleType

from stdnum import imo, iso6346
from stdnum.co import nit
from stdnum.exceptions import ValidationError
from stdnum.mx import curp, rfc
from stdnum.us import ein

from services.shared.models.common import Identifier, IdentifierScheme

_NON_ALNUM = re.compile(r"[^0-9A-Z]+")

# Schemes whose numbers identify a vessel: matched only within the same scheme, since a 7-digit
# IMO number and a 7-digit passport number colliding means nothing.
_VESSEL_SCHEMES = {IdentifierScheme.IMO, IdentifierScheme.MMSI, IdentifierScheme.CALL_SIGN}

# Documents are often labelled loosely on manifests (a cedula filed as "national_id", an RFC as
# "other"), so all document schemes share one namespace and match each other.
DOCUMENT_CLASS = "document"

_STDNUM: dict[IdentifierScheme, ModuleType] = {
    IdentifierScheme.IMO: imo,
    IdentifierScheme.NIT: nit,
    IdentifierScheme.RFC: rfc,
    IdentifierScheme.CURP: curp,
    IdentifierScheme.EIN: ein,
    IdentifierScheme.CONTAINER: iso6346,
}

SCHEME_LABELS: dict[IdentifierScheme, str] = {
    IdentifierScheme.IMO: "IMO number",
    IdentifierScheme.MMSI: "MMSI",
    IdentifierScheme.CALL_SIGN: "call sign",
    IdentifierScheme.PASSPORT: "passport",
    IdentifierScheme.NATIONAL_ID: "national id",
    IdentifierScheme.CEDULA: "Colombian cedula",
    IdentifierScheme.NIT: "Colombian NIT",
    IdentifierScheme.RFC: "Mexican RFC",
    IdentifierScheme.CURP: "Mexican CURP",
    IdentifierScheme.EIN: "US EIN",
    IdentifierScheme.CONTAINER: "container number",
    IdentifierScheme.REGISTRATION: "registration number",
    IdentifierScheme.OTHER: "identifier",
}


def identifier_class(scheme: IdentifierScheme) -> str:
    if scheme in _VESSEL_SCHEMES or scheme is IdentifierScheme.CONTAINER:
        return scheme.value
    return DOCUMENT_CLASS


def compact(identifier: Identifier) -> str:
    """The form two spellings of the same number share: upper-case letters and digits only."""
    value = identifier.value.upper()
    module = _STDNUM.get(identifier.scheme)
    if module is not None:
        with contextlib.suppress(ValidationError, ValueError):
            value = module.compact(value)
    value = _NON_ALNUM.sub("", value.upper())
    if identifier.scheme is IdentifierScheme.IMO and value.startswith("IMO"):
        value = value[3:]
    return value


def _check_digits_only(length: range) -> Callable[[str], str | None]:
    def check(value: str) -> str | None:
        if not value.isdigit():
            return "must contain digits only"
        if len(value) not in length:
            return f"must have {length.start} to {length.stop - 1} digits"
        return None

    return check


_SIMPLE_CHECKS: dict[IdentifierScheme, Callable[[str], str | None]] = {
    IdentifierScheme.MMSI: _check_digits_only(range(9, 10)),
    IdentifierScheme.CEDULA: _check_digits_only(range(5, 11)),
}


def problem(identifier: Identifier) -> str | None:
    """Why this identifier is not valid for its scheme, in words; None when it is valid or unchecked."""
    label = SCHEME_LABELS[identifier.scheme]
    module = _STDNUM.get(identifier.scheme)
    if module is not None:
        try:
            module.validate(identifier.value)
        except ValidationError as error:
            return f"{label} {identifier.value!r} is invalid: {str(error).rstrip('.')}"
        return None
    check = _SIMPLE_CHECKS.get(identifier.scheme)
    if check is not None:
        reason = check(compact(identifier))
        if reason:
            return f"{label} {identifier.value!r} is invalid: {reason}"
    if identifier.scheme is IdentifierScheme.CALL_SIGN and not 3 <= len(compact(identifier)) <= 7:
        return f"{label} {identifier.value!r} is invalid: call signs have 3 to 7 letters and digits"
    return None
