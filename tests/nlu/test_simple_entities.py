"""Countries, dealers, levels, payment methods, languages, serials and e-mails."""

from __future__ import annotations

import pytest

from bot.nlu.entities.choices import parse_language, parse_payment_method, parse_tier
from bot.nlu.entities.countries import parse_country
from bot.nlu.entities.emails import find_emails, parse_email
from bot.nlu.entities.serials import SerialFamily, check_serial, find_serials

BODY = SerialFamily(r"^[0-9]{12}$", "012021001234", "body_base_plate")
DSLR = SerialFamily(r"^[0-9]{10}([0-9]{2})?$", "0120210012", "body_base_plate")


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("Italia", "IT"),
        ("italy", "IT"),
        ("Italie", "IT"),
        ("IT", "IT"),
        ("it", "IT"),
        ("Itallia", "IT"),
        ("in Italia", "IT"),
        ("Germany", "DE"),
        ("Deutschland", "DE"),
        ("Germania", "DE"),
        ("Allemagne", "DE"),
        ("UK", "GB"),
        ("Regno Unito", "GB"),
        ("England", "GB"),
        ("Royaume-Uni", "GB"),
        ("Vereinigtes Königreich", "GB"),
        ("Spagna", "ES"),
        ("España", "ES"),
        ("Espagne", "ES"),
        ("Francia", "FR"),
        ("the Netherlands", "NL"),
        ("Olanda", "NL"),
        ("Svizzera", "CH"),
        ("USA", "US"),
        ("Stati Uniti", "US"),
        ("États-Unis", "US"),
        ("San Marino", "SM"),
        ("Austria", "AT"),
    ],
)
def test_countries_by_any_localized_name(typed, code):
    assert parse_country(typed) == code


@pytest.mark.parametrize("typed", ["Milano", "pizza", "boh", "", "XX", "🙂", "Narnia"])
def test_places_that_are_not_countries(typed):
    assert parse_country(typed) is None


@pytest.mark.parametrize(
    ("typed", "country", "name", "guessed"),
    [
        ("MediaWorld", "IT", "MediaWorld", False),
        ("da mediaworld", "IT", "MediaWorld", False),
        ("media world milano", "IT", "MediaWorld", False),
        ("wex", "GB", "Wex Photo Video", False),
        ("Park Cameras", "GB", "Park Cameras", False),
        ("fotokoch", "DE", "Foto Koch", False),
        ("El Corte Ingles", "ES", "El Corte Inglés", False),
        ("un negozio a Milano", "IT", "un negozio a Milano", True),
        ("a shop in Milan", "GB", "a shop in Milan", True),
        ("Foto Rossi, via Roma 3", "IT", "Foto Rossi, via Roma 3", False),
    ],
)
def test_dealers_known_or_in_the_members_words(dealers, typed, country, name, guessed):
    answer = dealers.parse(typed, country)
    assert (answer.value, answer.guessed) == (name, guessed)


def test_dealer_free_text_is_kept_but_bounded(dealers):
    assert len(dealers.parse("x" * 4000, "IT").value) == 120
    assert dealers.parse("!!!", "IT") is None


@pytest.mark.parametrize(
    ("typed", "tier"),
    [
        ("Gold", "gold"),
        ("vorrei il livello oro", "gold"),
        ("argento", "silver"),
        ("Platin bitte", "platinum"),
        ("platine", "platinum"),
        ("corporate", "corporate"),
        ("aziendale", "corporate"),
        ("plata", "silver"),
        ("boh", None),
    ],
)
def test_levels(typed, tier):
    assert parse_tier(typed) == tier


@pytest.mark.parametrize(
    ("typed", "method"),
    [
        ("carta", "card"),
        ("con la carta di credito", "card"),
        ("credit card", "card"),
        ("Kreditkarte", "card"),
        ("carte bancaire", "card"),
        ("tarjeta", "card"),
        ("bonifico", "bank_transfer"),
        ("bank transfer please", "bank_transfer"),
        ("Überweisung", "bank_transfer"),
        ("virement", "bank_transfer"),
        ("transferencia", "bank_transfer"),
        ("paypal", None),
        ("bitcoin", None),
    ],
)
def test_payment_methods(typed, method):
    assert parse_payment_method(typed) == method


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("inglese", "en"),
        ("English", "en"),
        ("parla italiano", "it"),
        ("auf Deutsch", "de"),
        ("en français", "fr"),
        ("español", "es"),
        ("en", "en"),
        ("klingon", None),
    ],
)
def test_languages(typed, code):
    assert parse_language(typed) == code


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("012021001234", "012021001234"),
        ("0120 2100 1234", "012021001234"),
        ("0120-2100-1234", "012021001234"),
    ],
)
def test_serials_that_fit(typed, value):
    assert check_serial(typed, BODY).value == value


@pytest.mark.parametrize(
    ("typed", "problem", "given"),
    [
        ("01202100123", "too_short", 11),
        ("0120210012345", "too_long", 13),
        ("O12021001234", "letters", 11),
        ("ABCDEF", "no_digits", 0),
        ("", "no_digits", 0),
    ],
)
def test_serials_say_what_is_wrong(typed, problem, given):
    check = check_serial(typed, BODY)
    assert (check.value, check.problem, check.digits_given, check.digits_expected) == (
        None,
        problem,
        given,
        "12",
    )


def test_a_family_with_two_lengths_says_both():
    assert check_serial("0120210012", DSLR).value == "0120210012"
    assert check_serial("01202100", DSLR).digits_expected == "10-12"


def test_serials_in_free_text_but_not_lens_names_or_dates():
    assert [v for v, _, _ in find_serials("il seriale è 0520 2400 3310 grazie")] == ["052024003310"]
    assert find_serials("il mio 70-200 2.8 comprato il 12/03/2022") == []


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("Anna.Rossi@Example.com", "anna.rossi@example.com"),
        ("  bob@studio.it ", "bob@studio.it"),
        ("not-an-email", None),
        ("a@b", None),
        ("@example.com", None),
    ],
)
def test_emails(typed, value):
    assert parse_email(typed) == value


def test_emails_in_free_text():
    assert find_emails("scrivimi a giulia.rossi@oldmail.example.") == [
        ("giulia.rossi@oldmail.example", 11, 39)
    ]
