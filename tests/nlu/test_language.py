"""Language identification for members whose language is not known yet."""

from __future__ import annotations

import pytest

from bot.nlu.language import detect_language


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("vorrei registrare la mia fotocamera", "it"),
        ("non ricordo la password del mio account", "it"),
        ("how many points do I have", "en"),
        ("can you reset my password please", "en"),
        ("wie viele Punkte habe ich noch", "de"),
        ("je voudrais payer par virement bancaire", "fr"),
        ("quiero pagar con tarjeta de crédito", "es"),
    ],
)
def test_sentences_in_our_five_languages(text, language):
    assert detect_language(text) == language


@pytest.mark.parametrize("text", ["ciao", "ok", "R5", "🙂🙂🙂", "", "012345678901"])
def test_too_little_text_says_nothing_rather_than_guessing(text):
    assert detect_language(text) is None


def test_only_our_languages_are_ever_answered():
    assert detect_language("Eu gostaria de registrar a minha câmera fotográfica") in {
        None,
        "it",
        "en",
        "de",
        "fr",
        "es",
    }
