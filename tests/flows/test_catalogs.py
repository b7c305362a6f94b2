"""Every bot text exists in Italian and English, and every flow can explain itself."""

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


def test_italian_and_english_have_the_same_messages(catalogs):
    assert set(catalogs.texts["it"]) == set(catalogs.texts["en"])


def test_every_flow_has_help_in_both_languages(catalogs):
    for name in build_registry().by_name:
        for language in ("it", "en"):
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


def test_placeholders_match_between_languages(catalogs):
    for key, english in catalogs.texts["en"].items():
        italian = catalogs.texts["it"][key]
        assert set(re.findall(r"\{(\w+)", english)) == set(re.findall(r"\{(\w+)", italian)), key
