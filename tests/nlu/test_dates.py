"""Purchase dates in five languages, with precision and best-guess flag; never in the future."""

from __future__ import annotations

from datetime import date

import pytest

from bot.nlu.entities.dates import parse_purchase_date

TODAY = date(2026, 11, 25)


@pytest.mark.parametrize(
    ("text", "lang", "value", "precision", "guessed"),
    [
        ("marzo 2022", "it", date(2022, 3, 1), "month", False),
        ("estate 2021", "it", date(2021, 7, 1), "season", True),
        ("l'anno scorso", "it", date(2025, 7, 1), "year", True),
        ("around spring 2020", "en", date(2020, 4, 1), "season", True),
        ("Anfang 2023", "de", date(2023, 2, 1), "approximate", True),
        ("12/03/2022", "it", date(2022, 3, 12), "day", False),
        ("3 maggio 2021", "it", date(2021, 5, 3), "day", False),
        ("March 3rd, 2021", "en", date(2021, 3, 3), "day", False),
        ("15.06.2023", "de", date(2023, 6, 15), "day", False),
        ("2023-06-15", "en", date(2023, 6, 15), "day", False),
        ("03/2022", "it", date(2022, 3, 1), "month", False),
        ("2019", "en", date(2019, 7, 1), "year", False),
        ("circa 2019", "it", date(2019, 7, 1), "approximate", True),
        ("due anni fa", "it", date(2024, 7, 1), "year", True),
        ("vor 2 Jahren", "de", date(2024, 7, 1), "year", True),
        ("hace tres años", "es", date(2023, 7, 1), "year", True),
        ("el año pasado", "es", date(2025, 7, 1), "year", True),
        ("printemps 2020", "fr", date(2020, 4, 1), "season", True),
        ("l'année dernière", "fr", date(2025, 7, 1), "year", True),
        ("fine 2022", "it", date(2022, 11, 1), "approximate", True),
        ("mid 2024", "en", date(2024, 7, 1), "approximate", True),
        ("late 2021 I think", "en", date(2021, 11, 1), "approximate", True),
        ("Sommer 2021", "de", date(2021, 7, 1), "season", True),
        ("verano de 2019", "es", date(2019, 7, 1), "season", True),
        ("a marzo", "it", date(2026, 3, 1), "month", True),
        ("dicembre 2025", "it", date(2025, 12, 1), "month", False),
        ("septembre 2020", "fr", date(2020, 9, 1), "month", False),
        ("Oktober 2021", "de", date(2021, 10, 1), "month", False),
        ("last summer", "en", date(2026, 7, 1), "season", True),
        ("l'ho presa nel 2020 credo", "it", date(2020, 7, 1), "approximate", True),
    ],
)
def test_dates_as_members_remember_them(text, lang, value, precision, guessed):
    parsed = parse_purchase_date(text, TODAY, lang)
    assert (parsed.value, parsed.precision, parsed.guessed, parsed.problem) == (
        value,
        precision,
        guessed,
        None,
    )


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("je ne sais plus", "fr"),
        ("boh non ricordo", "it"),
        ("non me lo ricordo", "it"),
        ("no idea", "en"),
        ("I don't remember", "en"),
        ("keine Ahnung", "de"),
        ("weiß ich nicht", "de"),
        ("no me acuerdo", "es"),
    ],
)
def test_not_remembering_is_unknown_not_an_error(text, lang):
    parsed = parse_purchase_date(text, TODAY, lang)
    assert parsed.value is None and parsed.problem == "unknown"


@pytest.mark.parametrize("text", ["dicembre 2026", "2030", "next year 2027", "31/12/2026"])
def test_never_in_the_future(text):
    assert parse_purchase_date(text, TODAY, "it").problem == "future"


@pytest.mark.parametrize("text", ["1975", "marzo 1980"])
def test_before_the_first_eos_is_too_old(text):
    assert parse_purchase_date(text, TODAY, "it").problem == "too_old"


@pytest.mark.parametrize(
    "text",
    ["asdf", "", "🙂", "<script>alert(1)</script>", "x" * 4000, "'; DROP TABLE registrations; --"],
)
def test_nonsense_is_unreadable(text):
    parsed = parse_purchase_date(text, TODAY, "en")
    assert parsed.value is None and parsed.problem == "unreadable"
