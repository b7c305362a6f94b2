"""Dates, countries, dealers, levels, payment methods and languages as German, French and
Spanish members type them in a chat, not as a form would want them."""

from __future__ import annotations

from datetime import date

import pytest

from bot.nlu.entities.choices import parse_language, parse_payment_method, parse_tier
from bot.nlu.entities.countries import find_country, parse_country
from bot.nlu.entities.dates import parse_purchase_date

TODAY = date(2026, 11, 25)


@pytest.mark.parametrize(
    ("text", "lang", "value", "precision", "guessed"),
    [
        ("ich habe sie im März 2021 gekauft", "de", date(2021, 3, 1), "month", False),
        ("am 3. Mai 2021", "de", date(2021, 5, 3), "day", False),
        ("so um Mitte 2022 herum", "de", date(2022, 7, 1), "approximate", True),
        ("Frühjahr 2023", "de", date(2023, 4, 1), "season", True),
        ("letzten Herbst", "de", date(2026, 10, 1), "season", True),
        ("Ende letzten Jahres", "de", date(2025, 11, 1), "approximate", True),
        ("vor etwa drei Jahren", "de", date(2023, 7, 1), "year", True),
        ("vor ein paar Jahren", "de", date(2024, 7, 1), "year", True),
        ("ungefähr 2020, glaube ich", "de", date(2020, 7, 1), "approximate", True),
        ("vers l'été 2019", "fr", date(2019, 7, 1), "season", True),
        ("en mars 2021", "fr", date(2021, 3, 1), "month", False),
        ("le 3 mai 2021", "fr", date(2021, 5, 3), "day", False),
        ("03/05/2021", "fr", date(2021, 5, 3), "day", False),
        ("début 2023", "fr", date(2023, 2, 1), "approximate", True),
        ("fin 2022 je crois", "fr", date(2022, 11, 1), "approximate", True),
        ("à peu près mi-2021", "fr", date(2021, 7, 1), "approximate", True),
        ("fin de l'année dernière", "fr", date(2025, 11, 1), "approximate", True),
        ("il y a environ deux ans", "fr", date(2024, 7, 1), "year", True),
        ("en marzo de 2021", "es", date(2021, 3, 1), "month", False),
        ("el 3 de mayo de 2021", "es", date(2021, 5, 3), "day", False),
        ("a principios de 2023", "es", date(2023, 2, 1), "approximate", True),
        ("a finales del año pasado", "es", date(2025, 11, 1), "approximate", True),
        ("más o menos en 2020, creo", "es", date(2020, 7, 1), "approximate", True),
        ("el verano pasado", "es", date(2026, 7, 1), "season", True),
        ("hace un par de años", "es", date(2024, 7, 1), "year", True),
        ("hace unos tres años", "es", date(2023, 7, 1), "year", True),
        ("war wohl 2019", "de", date(2019, 7, 1), "approximate", True),
        ("vermutlich März 2020", "de", date(2020, 3, 1), "month", True),
        ("probablement en 2018", "fr", date(2018, 7, 1), "approximate", True),
        ("supongo que en 2021", "es", date(2021, 7, 1), "approximate", True),
    ],
)
def test_purchase_dates_as_members_write_them(text, lang, value, precision, guessed):
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
        ("keine Ahnung mehr", "de"),
        ("je ne sais plus du tout", "fr"),
        ("je m'en souviens plus", "fr"),
        ("ni idea", "es"),
    ],
)
def test_an_honest_dont_know_is_unknown_not_a_date(text, lang):
    assert parse_purchase_date(text, TODAY, lang).problem == "unknown"


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("aus Österreich", "AT"),
        ("in der Schweiz", "CH"),
        ("Deutschland", "DE"),
        ("Frankreich", "FR"),
        ("en France", "FR"),
        ("au Royaume-Uni", "GB"),
        ("Belgique", "BE"),
        ("en Alemania", "DE"),
        ("desde España", "ES"),
        ("Países Bajos", "NL"),
        ("El Salvador", "SV"),
    ],
)
def test_countries_with_the_words_around_them(typed, code):
    assert parse_country(typed) == code


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("ich glaube Italien", "IT"),
        ("Italien, glaube ich", "IT"),
        ("c'est en Belgique, je pense", "BE"),
        ("creo que en Portugal", "PT"),
        ("Milano", None),
    ],
)
def test_a_country_inside_a_hedged_answer(typed, code):
    assert find_country(typed) == code


@pytest.mark.parametrize(
    ("typed", "country", "name", "guessed"),
    [
        ("bei Calumet in Hamburg", "DE", "Calumet Photographic", False),
        ("Foto Koch in Düsseldorf", "DE", "Foto Koch", False),
        ("ich glaube bei MediaMarkt", "DE", "MediaMarkt", True),
        ("in einem Laden in München", "DE", "in einem Laden in München", True),
        ("chez Fnac à Paris", "FR", "Fnac", False),
        ("je crois que c'était chez Darty", "FR", "Darty", True),
        ("un magasin à Lyon", "FR", "un magasin à Lyon", True),
        ("en el Corte Ingles de Madrid", "ES", "El Corte Inglés", False),
        ("creo que en Fotocasión", "ES", "Fotocasión", True),
        ("lo compré en Worten", "ES", "Worten", False),
        ("una tienda en Barcelona", "ES", "una tienda en Barcelona", True),
        ("ein Fotoladen in Mailand", "DE", "ein Fotoladen in Mailand", True),
        ("irgendein Laden", "DE", "irgendein Laden", True),
    ],
)
def test_dealers_are_the_dealer_not_the_sentence(dealers, typed, country, name, guessed):
    answer = dealers.parse(typed, country)
    assert (answer.value, answer.guessed) == (name, guessed)


@pytest.mark.parametrize(
    ("typed", "tier"),
    [
        ("Ich möchte Gold", "gold"),
        ("das Platin-Level bitte", "platinum"),
        ("Silber reicht mir", "silver"),
        ("eine Firmenmitgliedschaft", "corporate"),
        ("je prends le niveau Platine", "platinum"),
        ("l'offre entreprise", "corporate"),
        ("Argent, ça suffit", "silver"),
        ("quiero el nivel Oro", "gold"),
        ("la opción Plata", "silver"),
        ("nivel corporativo", "corporate"),
    ],
)
def test_levels_in_their_local_names(typed, tier):
    assert parse_tier(typed) == tier


@pytest.mark.parametrize(
    ("typed", "method"),
    [
        ("per Kreditkarte", "card"),
        ("lieber per Überweisung", "bank_transfer"),
        ("Kartenzahlung", "card"),
        ("par carte bancaire", "card"),
        ("je paierai par virement bancaire", "bank_transfer"),
        ("pago con tarjeta de crédito", "card"),
        ("por transferencia bancaria", "bank_transfer"),
    ],
)
def test_payment_methods_in_a_sentence(typed, method):
    assert parse_payment_method(typed) == method


@pytest.mark.parametrize(
    ("typed", "language"),
    [
        ("auf Deutsch bitte", "de"),
        ("können Sie Englisch?", "en"),
        ("en français", "fr"),
        ("parlez-vous allemand ?", "de"),
        ("en español", "es"),
        ("¿puede hablar en francés?", "fr"),
        ("in italiano", "it"),
    ],
)
def test_languages_asked_for_by_name(typed, language):
    assert parse_language(typed) == language
