"""Languages of templates: checking a code, naming it, and the rule the instructions carry.

Owned by the templates package; ``--lang CODE`` goes through :func:`check_language`.
"""

from __future__ import annotations

import re

from ..errors import TemplateError

__all__ = ["LANGUAGE_NAMES", "LANG_RE", "check_language", "language_name", "language_rule"]

#: Names used in the language rule of the instructions; other codes are named by their code.
LANGUAGE_NAMES: dict[str, str] = {
    "ar": "Arabic",
    "de": "German",
    "en": "English",
    "es": "Spanish",
    "fr": "French",
    "hi": "Hindi",
    "id": "Indonesian",
    "it": "Italian",
    "ja": "Japanese",
    "ko": "Korean",
    "nl": "Dutch",
    "pl": "Polish",
    "pt": "Portuguese",
    "ru": "Russian",
    "th": "Thai",
    "tr": "Turkish",
    "uk": "Ukrainian",
    "vi": "Vietnamese",
    "zh": "Simplified Chinese",
    "zh-tw": "Traditional Chinese",
}

LANG_RE = re.compile(r"^[a-z]{2,3}(?:-[a-z0-9]{2,8})*$")


def language_name(code: str) -> str:
    """``"vi"`` -> ``"Vietnamese"``; an unknown code is named by itself."""
    return LANGUAGE_NAMES.get(code.lower(), f"the language with code '{code}'")


def check_language(code: str, origin: str = "") -> str:
    """Normalize a language code (``"VI"`` -> ``"vi"``) or raise TemplateError."""
    norm = code.strip().lower().replace("_", "-")
    if not LANG_RE.match(norm):
        where = f"template {origin}: language" if origin else "--lang"
        raise TemplateError(f"{where}: {code!r} is not a language code like 'vi', 'en' or 'zh'")
    return norm


def language_rule(code: str) -> str:
    """The sentence appended to every template's instructions."""
    return (
        f"Language: write every field in {language_name(code)} ({code}). Keep technical terms, "
        "method, model, dataset and benchmark names, metric names and numbers exactly as the "
        "paper writes them (usually in English)."
    )
