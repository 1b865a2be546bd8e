"""Message catalogues: labels and explanation phrases in the desks' working languages.

One TOML file per language beside this module (en.toml, es.toml, pt.toml), its tables flattened
into dotted keys (`[severity] critical = ...` is `severity.critical`). English is complete by
definition; a key missing from another catalogue falls back to English rather than failing a
desk, and tests/unit/test_i18n.py keeps every catalogue complete and its placeholders intact.
"""

from __future__ import annotations

import string
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, get_args

Language = Literal["en", "es", "pt"]
#: The partners' working languages: English, Spanish and Portuguese.
LANGUAGES: tuple[Language, ...] = get_args(Language)
FALLBACK: Language = "en"

_DIRECTORY = Path(__file__).parent


def catalogue_path(language: Language) -> Path:
    return _DIRECTORY / f"{language}.toml"


@lru_cache(maxsize=len(LANGUAGES))
def catalogue(language: Language) -> dict[str, str]:
    """Every message of a language, by dotted key."""
    with catalogue_path(language).open("rb") as handle:
        return dict(_flatten(tomllib.load(handle)))


def _flatten(table: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    items: list[tuple[str, str]] = []
    for key, value in table.items():
        if isinstance(value, dict):
            items += _flatten(value, f"{prefix}{key}.")
        else:
            items.append((f"{prefix}{key}", str(value)))
    return items


def placeholders(message: str) -> set[str]:
    """The names a message's braces ask for."""
    return {name for _, name, _, _ in string.Formatter().parse(message) if name}


def is_language(value: str) -> bool:
    return value in LANGUAGES


def translate(language: Language, key: str, **values: object) -> str:
    """The message `key` in `language` (English if that catalogue lacks it), filled with `values`.

    An unknown key is a programming error and raises KeyError. The values are inserted, never
    interpreted: a party's name with braces in it is printed as it is.
    """
    message = catalogue(language).get(key)
    if message is None:
        message = catalogue(FALLBACK)[key]
    return message.format(**values) if values else message


class Translator:
    """translate() bound to one desk's language, for code that writes many messages."""

    def __init__(self, language: Language) -> None:
        self.language = language

    def __call__(self, key: str, **values: object) -> str:
        return translate(self.language, key, **values)

    def label(self, group: str, value: str) -> str:
        """The word for an enumerated value (`severity`, `critical`), or the value itself if none."""
        key = f"{group}.{value}"
        return self(key) if key in catalogue(FALLBACK) else value
