"""R1: a password typed anywhere in a message is found and hidden, and nothing else is.

The corpus (`data/passwords.yml`) holds what members type in five languages: passwords in
sentences and on their own, and the serials, models, dealers, dates, codes and e-mails
that must stay as they are.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from bot.privacy.passwords import MARKER, find_passwords, hide_passwords, looks_like_password

CORPUS = yaml.safe_load((Path(__file__).parent / "data" / "passwords.yml").read_text("utf-8"))
LANGUAGES = ("it", "en", "de", "fr", "es")
POSITIVES = CORPUS["positives"]
NEGATIVES = CORPUS["negatives"]
KNOWN_MISSES = CORPUS["known_misses"]


def _id(example: dict[str, str]) -> str:
    return f"{example['lang']}: {example['text'][:60]}"


@pytest.mark.parametrize("kind", ["positives", "negatives"])
def test_the_corpus_is_large_and_spread_over_the_languages(kind):
    examples = CORPUS[kind]
    per_language = Counter(example["lang"] for example in examples)
    assert len(examples) >= 200
    assert set(per_language) == set(LANGUAGES)
    assert min(per_language.values()) >= 30, per_language
    assert len({example["text"] for example in examples}) == len(examples)  # no duplicate


def test_each_positive_names_a_password_that_is_in_its_text_once():
    for example in POSITIVES:
        assert example["text"].count(example["password"]) == 1, example


@pytest.mark.parametrize("example", POSITIVES, ids=_id)
def test_a_password_is_hidden_and_the_rest_of_the_sentence_kept(example):
    text, password = example["text"], example["password"]
    start = text.index(password)
    assert find_passwords(text) == [(start, start + len(password))]
    assert hide_passwords(text) == (text[:start] + MARKER + text[start + len(password) :], True)


@pytest.mark.parametrize("example", NEGATIVES, ids=_id)
def test_what_is_not_a_password_is_left_alone(example):
    assert find_passwords(example["text"]) == []
    assert hide_passwords(example["text"]) == (example["text"], False)


@pytest.mark.parametrize("example", KNOWN_MISSES, ids=_id)
def test_the_known_misses_are_still_missed(example):
    """Accepted misses (each says why); if one is found now, move it to the positives."""
    assert example["text"].count(example["password"]) == 1 and example["why"]
    assert find_passwords(example["text"]) == []


def test_the_marker_replaces_the_password_and_hiding_twice_changes_nothing():
    hidden, found = hide_passwords("la mia password è Tr0ub4dor&3, grazie")
    assert (hidden, found) == (f"la mia password è {MARKER}, grazie", True)
    assert hide_passwords(hidden) == (hidden, False)


def test_every_password_of_a_message_is_hidden():
    text = "I tried Camera2024 and camera2025, then Xk9$mq2LzQ; the serial is 083023001122"
    assert hide_passwords(text) == (
        f"I tried {MARKER} and {MARKER}, then {MARKER}; the serial is 083023001122",
        True,
    )
    spans = find_passwords(text)
    assert [text[a:b] for a, b in spans] == ["Camera2024", "camera2025", "Xk9$mq2LzQ"]
    assert spans == sorted(spans)


@pytest.mark.parametrize(
    ("text", "password"),
    [
        ('password: "hunter2"', "hunter2"),
        ("la password è 'gatto123'.", "gatto123"),
        ("mon mot de passe est «Soleil#2023».", "Soleil#2023"),
        ("(Summer2024!)", "Summer2024!"),
        ("password:hunter2", "hunter2"),
    ],
)
def test_quotes_brackets_and_a_closing_period_are_not_part_of_the_password(text, password):
    [(start, end)] = find_passwords(text)
    assert text[start:end] == password


@pytest.mark.parametrize("text", ["", " ", "\n\t", "?", "password", "ciao " * 800])
def test_empty_and_harmless_text(text):
    assert find_passwords(text) == []
    assert hide_passwords(text) == (text, False)
    assert not looks_like_password(text)


def test_the_one_word_shapes_caught_before_are_still_caught_and_answers_still_pass():
    for said in ("Summer2024!", "Xk9$mq2LzQ", "Tr0ub4dor&3xyz", "la mia password è gatto123"):
        assert looks_like_password(said)
    for said in ("Wex-Photo", "MediaWorld", "emma.clark@example.com", "RF24-70mm", "R5mk2"):
        assert not looks_like_password(said)
