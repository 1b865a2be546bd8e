"""Labels and explanation phrases in the desks' working languages (English, Spanish, Portuguese)."""

from services.shared.i18n.catalogue import LANGUAGES, Language, Translator, translate

__all__ = ["LANGUAGES", "Language", "Translator", "translate"]
