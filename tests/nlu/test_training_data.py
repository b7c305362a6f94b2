"""The NLU training data: every intent as deep in German, French and Spanish as in Italian."""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict

from bot.nlu.evaluation import read_set
from bot.nlu.intent_model import normalise
from bot.nlu.training_data import load_examples
from tests.nlu.conftest import NLU

LANGUAGES = ("it", "en", "de", "fr", "es")
DEPTH = 40  # examples per intent and language, at least


def test_every_intent_has_enough_examples_in_every_language():
    counts = Counter((e.language, e.intent) for e in load_examples(NLU))
    intents = {intent for _, intent in counts}
    thin = {
        (language, intent): counts[(language, intent)]
        for language in LANGUAGES
        for intent in intents
        if counts[(language, intent)] < DEPTH
    }
    assert thin == {}


def test_no_sentence_is_taught_as_two_intents_in_one_language():
    labels: dict[tuple[str, str], set[str]] = defaultdict(set)
    for example in load_examples(NLU):
        labels[(example.language, normalise(example.text))].add(example.intent)
    assert {key: found for key, found in labels.items() if len(found) > 1} == {}


def test_the_dev_set_is_never_trained_on(dev_set):
    """Sentences of three words or more; "hello" or "no grazie" are everyone's words."""
    taught = {(e.language, normalise(e.text)) for e in load_examples(NLU)}
    leaked = [
        r["text"]
        for r in read_set(dev_set)
        if len(r["text"].split()) >= 3 and (r["lang"], normalise(r["text"])) in taught
    ]
    assert leaked == []


def test_every_entity_annotation_is_one_rasa_accepts():
    """`[Portugal]{"entity": "country", "value": "PT"}`: the braces hold one JSON object
    (Rasa refuses the whole training set for one bad annotation; the embedded loader would not)."""
    annotation = re.compile(r"\]\{(.*?)\}(?=[^}]|$)")
    wrong = []
    for path in sorted(NLU.glob("data/*/nlu.yml")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for body in annotation.findall(line):
                try:
                    parsed = json.loads("{" + body + "}")
                except ValueError:
                    parsed = None
                if not isinstance(parsed, dict) or "entity" not in parsed:
                    wrong.append(f"{path.parent.name}:{number}: {line.strip()}")
    assert wrong == []
