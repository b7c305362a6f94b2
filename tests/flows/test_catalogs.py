"""Every bot text exists in the five languages, and every flow can explain itself."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.flows.i18n import Catalogs
from bot.flows.registry import build_registry

CODE = Path(__file__).resolve().parents[2] / "bot"


@pytest.fixture(scope="module")
def catalogs() -> Catalogs:
    return Catalogs()


LANGUAGES = ("it", "en", "de", "fr", "es")
# Words that are English and nothing else in German, French and Spanish support texts.
ENGLISH_ONLY = re.compile(
    r"\b(the|your|you|please|with|which|would|should|what|have|has|click|here|"
    r"points?|products?|register|registered|details|password|payment|member|level|"
    r"invitation|account|date|dealer|serial|number|again|sorry|thanks?|now|yes)\b",
    re.IGNORECASE,
)
# Allowed where a language uses the same word: French "points", "date", "Date" in German...
SHARED_WORDS = {
    "de": {"date", "account", "level", "details"},
    "fr": {"points", "point", "date", "dealer", "serial", "level", "invitation"},
    "es": {"date", "level"},
}
PRODUCT_NAMES = re.compile(r"\b(Canon Professional Services|My Products|CPS)\b")


@pytest.mark.parametrize("language", LANGUAGES[1:])
def test_every_language_has_the_same_messages_as_italian(catalogs, language):
    assert set(catalogs.texts[language]) == set(catalogs.texts["it"])


@pytest.mark.parametrize("language", ["de", "fr", "es"])
def test_no_english_is_left_in_german_french_and_spanish_texts(catalogs, language):
    english = {}
    for key, text in catalogs.texts[language].items():
        words = re.sub(r"\{\w+\}|https?://\S+", " ", PRODUCT_NAMES.sub(" ", text))
        found = {w.lower() for w in ENGLISH_ONLY.findall(words)} - SHARED_WORDS[language]
        if found:
            english[key] = sorted(found)
    assert english == {}


def test_every_flow_has_help_in_every_language(catalogs):
    for name in build_registry().by_name:
        for language in LANGUAGES:
            assert f"{name}.help" in catalogs.texts[language], (name, language)


def test_every_key_written_in_the_code_has_a_text(catalogs):
    """Any "<prefix>.<name>" string in bot/ whose prefix is a catalogue's or a flow's."""
    prefixes = {key.partition(".")[0] for key in catalogs.texts["en"]}
    prefixes |= set(build_registry().by_name)
    key = re.compile(rf'"((?:{"|".join(sorted(prefixes))})\.[a-z0-9_.]+)"')
    written = set()
    for path in CODE.rglob("*.py"):
        written |= set(key.findall(path.read_text(encoding="utf-8")))
    missing = sorted(k for k in written if k not in catalogs.texts["en"] and not k.endswith("."))
    assert missing == []


@pytest.mark.parametrize("language", LANGUAGES[1:])
def test_placeholders_match_between_languages(catalogs, language):
    differ = [
        key
        for key, italian in catalogs.texts["it"].items()
        if set(re.findall(r"\{(\w+)", italian))
        != set(re.findall(r"\{(\w+)", catalogs.texts[language].get(key, "")))
    ]
    assert differ == []
