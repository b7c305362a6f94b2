"""The embedded engine: accuracy on the held-out dev set, exact fast scoring, cache, limits."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from bot.nlu import intent_model
from bot.nlu.evaluation import canonical_values, evaluate, read_set
from bot.nlu.training_data import load_examples
from tests.nlu.conftest import DATA, NLU


async def test_intent_accuracy_on_the_dev_set_is_at_least_95_percent_in_every_language(
    embedded, catalogue, dev_set
):
    report = await evaluate(embedded, read_set(dev_set), canonical_values(catalogue))
    assert set(report.by_language) == {"it", "en", "de", "fr", "es"}
    low = {lang: acc for lang, (_, acc) in report.by_language.items() if acc < 0.95}
    assert low == {}, report.errors
    assert report.entity_recall is not None and report.entity_recall >= 0.9


def test_lean_scoring_equals_scikit_learn(dev_set):
    examples = load_examples(NLU)
    pipeline, temperature = intent_model.fit_pipeline(examples)
    model = intent_model.from_pipeline(pipeline, temperature, examples, "test")
    texts = [intent_model.normalise(r["text"]) for r in read_set(dev_set)]
    texts += ["", "🙂", "x" * 50, "0000 0000 0000", "parola sconosciutissima"]
    margins = pipeline.decision_function(texts) / temperature
    expected = np.exp(margins - margins.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    for text, row in zip(texts, expected, strict=True):
        assert np.allclose(model.probabilities(text), row, atol=1e-9)
    assert list(model.labels) == list(pipeline.classes_)


def test_the_bot_never_imports_scikit_learn(tmp_path):
    code = (
        "import sys; from pathlib import Path; from bot.nlu.engines import EmbeddedEngine; "
        f"e = EmbeddedEngine.load(Path({str(NLU)!r}), Path({str(DATA)!r}), "
        f"Path({str(tmp_path)!r})); e.parse_now('quanti punti ho', 'it'); "
        "print('sklearn' in sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)  # trains into the empty cache
    warm = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert warm.stdout.strip() == "False"


def test_the_model_is_cached_and_retrained_only_when_data_change(tmp_path):
    project = tmp_path / "nlu"
    shutil.copytree(NLU / "data", project / "data")
    cache = tmp_path / "cache"
    first = intent_model.load_or_train(project, cache)
    [cached] = list(cache.glob("*.pickle"))
    stamp = cached.stat().st_mtime_ns
    again = intent_model.load_or_train(project, cache)
    assert again.fingerprint == first.fingerprint and cached.stat().st_mtime_ns == stamp
    extra = project / "data" / "en" / "extra.yml"
    extra.write_text('version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - howdy partner\n')
    changed = intent_model.load_or_train(project, cache)
    assert changed.fingerprint != first.fingerprint
    assert len(list(cache.glob("*.pickle"))) == 2


def test_a_damaged_cache_file_is_rebuilt(tmp_path):
    project = tmp_path / "nlu"
    shutil.copytree(NLU / "data", project / "data")
    cache = tmp_path / "cache"
    intent_model.load_or_train(project, cache)
    [cached] = list(cache.glob("*.pickle"))
    cached.write_bytes(b"not a model")
    model = intent_model.load_or_train(project, cache)
    assert model.rank("quanti punti ho")[0][0] == "check_points"


@pytest.mark.parametrize("text", ["", "   ", "🙂", "?!?!", "\x00"])
async def test_empty_or_symbol_only_messages_are_out_of_scope(embedded, text):
    result = await embedded.parse(text)
    assert (result.intent, result.confidence) == ("out_of_scope", 0.0)


async def test_a_very_long_message_is_understood_from_its_start(embedded):
    result = await embedded.parse("quanti punti ho? " + "davvero " * 600)
    assert result.intent == "check_points"
    assert len(result.text) == 1000


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("'; DROP TABLE business_accounts; --", "out_of_scope"),
        ("che tempo fa domani a Roma?", "out_of_scope"),
        ("tell me a joke", "out_of_scope"),
    ],
)
async def test_off_topic_and_injection_like_text(embedded, text, intent):
    assert (await embedded.parse(text)).intent == intent


async def test_language_is_detected_when_unknown_and_kept_when_given(embedded):
    assert (await embedded.parse("vorrei registrare la mia fotocamera")).language == "it"
    assert (await embedded.parse("how many points do I have")).language == "en"
    assert (await embedded.parse("ciao", "de")).language == "de"


async def test_parse_json_has_rasas_shape(embedded):
    shape = (await embedded.parse("voglio il livello Gold")).as_json()
    json.dumps(shape)
    assert shape["intent"]["name"] == "choose_tier"
    assert 0 < shape["intent"]["confidence"] <= 1
    assert shape["entities"] == [
        {"entity": "tier", "value": "gold", "start": 18, "end": 22, "extractor": "cps"}
    ]


async def test_a_word_that_differs_by_language_follows_the_members_language(embedded):
    assert (await embedded.parse("ciao", "it")).intent == "greet"
    assert (await embedded.parse("ciao", "de")).intent == "goodbye"
