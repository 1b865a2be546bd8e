"""The desks' message catalogues: complete in every language, placeholders intact, values inert."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.shared.i18n import LANGUAGES, Translator, translate
from services.shared.i18n.catalogue import catalogue, placeholders
from services.shared.models import Severity
from services.shared.settings import Settings


@pytest.mark.parametrize("language", [language for language in LANGUAGES if language != "en"])
def test_every_language_has_every_english_message_with_the_same_placeholders(language: str) -> None:
    english, other = catalogue("en"), catalogue(language)
    assert sorted(set(english) - set(other)) == []
    assert sorted(set(other) - set(english)) == []
    wrong = {key: (placeholders(english[key]), placeholders(other[key])) for key in english
             if placeholders(english[key]) != placeholders(other[key])}
    assert wrong == {}


#: Messages that read the same in every language: an abbreviation, and one made only of placeholders.
SAME_IN_EVERY_LANGUAGE = {"label.eta", "explain.identity_conflict", "scheme.mmsi"}


@pytest.mark.parametrize("language", [language for language in LANGUAGES if language != "en"])
def test_translations_are_translated_not_copied(language: str) -> None:
    english, other = catalogue("en"), catalogue(language)
    assert {key for key in english if english[key] == other[key]} == SAME_IN_EVERY_LANGUAGE


def test_each_desk_language_says_the_same_thing_in_its_own_words() -> None:
    assert translate("en", "severity.critical") == "critical"
    assert translate("es", "state.under_investigation") == "en investigación"
    assert translate("pt", "outcome.false_positive") == "falso positivo"
    assert translate("es", "evidence.name_fuzzy", query="Helmer Herrera", listed="HERRERA BUITRAGO, Helmer") == (
        "el nombre «Helmer Herrera» se parece al nombre listado «HERRERA BUITRAGO, Helmer»"
    )


def test_a_value_with_braces_is_printed_not_interpreted() -> None:
    text = translate("pt", "evidence.name_exact", query="{listed} {0.__class__}", listed="X")
    assert text == "o nome «{listed} {0.__class__}» é o nome listado «X»"


def test_a_message_missing_from_a_catalogue_falls_back_to_english(monkeypatch: pytest.MonkeyPatch) -> None:
    spanish = dict(catalogue("es"))
    del spanish["severity.high"]
    monkeypatch.setattr("services.shared.i18n.catalogue.catalogue", lambda language: spanish
                        if language == "es" else catalogue(language))
    assert translate("es", "severity.high") == "high"
    assert translate("es", "severity.low") == "baja"


def test_an_unknown_key_is_a_programming_error() -> None:
    with pytest.raises(KeyError):
        translate("en", "severity.unheard_of")


def test_labels_of_enumerated_values_fall_back_to_the_value_itself() -> None:
    spanish = Translator("es")
    assert [spanish.label("severity", severity.value) for severity in Severity] == ["crítica", "alta", "media", "baja"]
    assert spanish.label("severity", "apocalyptic") == "apocalyptic"


def test_each_desk_reads_its_configured_language_and_english_when_not_named() -> None:
    settings = Settings(desk_languages="MX=es, BR=pt")
    assert [settings.desk_language(desk) for desk in ("mx", "BR", "US")] == ["es", "pt", "en"]
    assert Settings().desk_language("BR") == "pt"


@pytest.mark.parametrize(
    ("text", "complaint"),
    [("MX=fr", "'fr' for desk MX is not one of en, es, pt"), ("NL=es", "'NL' is not a partner desk"),
     ("MX", "'MX' is not name=value")],
)
def test_a_wrong_desk_language_is_named_when_the_settings_load(text: str, complaint: str) -> None:
    with pytest.raises(ValidationError, match=complaint):
        Settings(desk_languages=text)
