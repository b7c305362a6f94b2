"""The embedded intent classifier: TF-IDF on characters and words, a linear model, cached.

scikit-learn trains it; the bot then scores with `IntentModel`, the same arithmetic on
plain numpy arrays: ~0.1 ms a message instead of ~1 ms, and without importing
scikit-learn (~100 MB) in the bot's process. The analyzers below are handed to
scikit-learn at training time, so both sides count exactly the same n-grams;
tests/nlu/test_embedded_engine.py checks the probabilities are equal.
"""

from __future__ import annotations

import logging
import pickle
import re
from pathlib import Path
from typing import Any

import numpy as np

from bot.nlu.entities.text import fold
from bot.nlu.training_data import Example, fingerprint, load_examples

log = logging.getLogger(__name__)
MODEL_VERSION = b"intent-model-v6"
CHAR_SIZES = (2, 5)
WORD_SIZES = (1, 2)
WORD = re.compile(r"(?u)\b\w+\b")


def normalise(text: str) -> str:
    """Case, accents and the actual digits do not change what a member wants."""
    return " ".join(re.sub(r"\d", "0", fold(text)).split())


def char_ngrams(text: str) -> list[str]:
    """Character n-grams inside word boundaries (scikit-learn's "char_wb")."""
    low, high = CHAR_SIZES
    grams = []
    for word in text.split():
        padded = f" {word} "
        for size in range(low, high + 1):
            if size > len(padded):
                if size == low:
                    grams.append(padded)
                break
            grams.extend(padded[i : i + size] for i in range(len(padded) - size + 1))
    return grams


def word_ngrams(text: str) -> list[str]:
    words = WORD.findall(text)
    low, high = WORD_SIZES
    return [
        " ".join(words[i : i + n]) for n in range(low, high + 1) for i in range(len(words) - n + 1)
    ]


ANALYZERS = (char_ngrams, word_ngrams)


class IntentModel:
    """softmax(x @ W + b) where x is each analyzer's sublinear TF-IDF, l2-normalised."""

    def __init__(
        self,
        labels: tuple[str, ...],
        vocabularies: list[dict[str, int]],
        idfs: list[np.ndarray],
        weights: np.ndarray,
        intercept: np.ndarray,
        known: dict[tuple[str | None, str], str],
        fingerprint: str,
    ) -> None:
        self.labels = labels
        self.vocabularies = vocabularies
        self.idfs = idfs
        self.weights = weights
        self.intercept = intercept
        self.known = known
        self.fingerprint = fingerprint
        self.offsets = np.cumsum([0] + [len(v) for v in vocabularies[:-1]]).tolist()

    def probabilities(self, normalised: str) -> np.ndarray:
        scores = self.intercept.copy()
        for analyze, vocabulary, idf, offset in zip(
            ANALYZERS, self.vocabularies, self.idfs, self.offsets, strict=True
        ):
            counts: dict[int, int] = {}
            for term in analyze(normalised):
                index = vocabulary.get(term)
                if index is not None:
                    counts[index] = counts.get(index, 0) + 1
            if not counts:
                continue
            columns = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
            tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
            values = (1.0 + np.log(tf)) * idf[columns]
            values /= np.linalg.norm(values)
            scores += values @ self.weights[columns + offset]
        scores -= scores.max()
        exp = np.exp(scores)
        return exp / exp.sum()

    def rank(self, text: str, language: str | None = None) -> list[tuple[str, float]]:
        """Intents by probability; a message that is a training example gets its own label."""
        normalised = normalise(text)
        probabilities = self.probabilities(normalised)
        order = np.argsort(probabilities)[::-1]
        ranking = [(self.labels[i], float(probabilities[i])) for i in order]
        label = self.known.get((language, normalised)) or self.known.get((None, normalised))
        if label is None:
            return ranking
        return [(label, 1.0), *((name, 0.0) for name, _ in ranking if name != label)]


def fit_pipeline(examples: list[Example]) -> tuple[Any, float]:
    """The trained scikit-learn pipeline and its softmax temperature.

    A linear SVM trains in a fraction of a second and generalises as well as logistic
    regression here (5-fold accuracy 0.886 against 0.876); its margins become
    probabilities through softmax(margin / T), T fitted on a held-out fifth of the data.
    scikit-learn is imported here only, so the bot never loads it.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import FeatureUnion, Pipeline
    from sklearn.svm import LinearSVC

    def pipeline() -> Pipeline:
        features = FeatureUnion(
            [
                (
                    analyze.__name__,
                    TfidfVectorizer(analyzer=analyze, sublinear_tf=True, dtype=np.float64),
                )
                for analyze in ANALYZERS
            ]
        )
        return Pipeline([("features", features), ("classifier", LinearSVC(C=0.5))])

    texts = [normalise(e.text) for e in examples]
    labels = [e.intent for e in examples]
    fit_texts, held_texts, fit_labels, held_labels = train_test_split(
        texts, labels, test_size=0.2, stratify=labels, random_state=0
    )
    probe = pipeline().fit(fit_texts, fit_labels)
    temperature = _temperature(
        probe.decision_function(held_texts), [list(probe.classes_).index(lb) for lb in held_labels]
    )
    return pipeline().fit(texts, labels), temperature


def _temperature(margins: np.ndarray, truth: list[int]) -> float:
    """The T that makes softmax(margins / T) most likely on held-out data (log-loss)."""
    best, best_loss = 1.0, float("inf")
    for temperature in np.geomspace(0.02, 2.0, 60):
        scaled = margins / temperature
        scaled -= scaled.max(axis=1, keepdims=True)
        log_probs = scaled - np.log(np.exp(scaled).sum(axis=1, keepdims=True))
        loss = -float(np.mean(log_probs[np.arange(len(truth)), truth]))
        if loss < best_loss:
            best, best_loss = float(temperature), loss
    return best


def from_pipeline(
    pipeline: Any, temperature: float, examples: list[Example], key: str
) -> IntentModel:
    vectorizers = [v for _, v in pipeline.named_steps["features"].transformer_list]
    classifier = pipeline.named_steps["classifier"]
    return IntentModel(
        labels=tuple(str(label) for label in classifier.classes_),
        vocabularies=[{str(k): int(i) for k, i in v.vocabulary_.items()} for v in vectorizers],
        idfs=[np.asarray(v.idf_, dtype=np.float64) for v in vectorizers],
        weights=np.ascontiguousarray(classifier.coef_.T / temperature, dtype=np.float64),
        intercept=np.asarray(classifier.intercept_ / temperature, dtype=np.float64),
        known=_unambiguous(examples),
        fingerprint=key,
    )


def train(project: Path) -> IntentModel:
    examples = load_examples(project)
    if not examples:
        raise ValueError(f"no training examples under {project / 'data'}")
    pipeline, temperature = fit_pipeline(examples)
    return from_pipeline(pipeline, temperature, examples, fingerprint(project, MODEL_VERSION))


def _unambiguous(examples: list[Example]) -> dict[tuple[str | None, str], str]:
    """Training texts with a single label, per language and across languages.

    "ciao" greets in Italian but says goodbye in German and French: it is remembered for
    Italian only, and left to the model when the language is unknown.
    """
    seen: dict[tuple[str | None, str], set[str]] = {}
    for example in examples:
        text = normalise(example.text)
        for key in ((example.language, text), (None, text)):
            seen.setdefault(key, set()).add(example.intent)
    return {key: next(iter(found)) for key, found in seen.items() if len(found) == 1}


def load_or_train(project: Path, cache_dir: Path) -> IntentModel:
    """Loads the model trained on exactly these data, else trains and caches it."""
    path = cache_dir / f"embedded-intents-{fingerprint(project, MODEL_VERSION)}.pickle"
    if path.exists():
        try:
            with path.open("rb") as cached:
                model = pickle.load(cached)  # our own cache file, written below
            if isinstance(model, IntentModel):
                return model
        except Exception:
            log.warning("embedded NLU cache %s unreadable; retraining", path)
    model = train(project)
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".tmp")
    with partial.open("wb") as out:
        pickle.dump(model, out, protocol=pickle.HIGHEST_PROTOCOL)
    partial.replace(path)  # atomic: a half-written file is never loaded
    return model
