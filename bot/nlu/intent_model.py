"""The embedded intent classifier: TF-IDF on characters and words, a linear model, cached."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import joblib
import numpy as np
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from bot.nlu.entities.text import fold
from bot.nlu.training_data import Example, fingerprint, load_examples

log = logging.getLogger(__name__)
MODEL_VERSION = b"intent-model-v4"


def normalise(text: str) -> str:
    """Case, accents and the actual digits do not change what a member wants."""
    return " ".join(re.sub(r"\d", "0", fold(text)).split())


def build_pipeline() -> Pipeline:
    features = FeatureUnion(
        [
            (
                "chars",
                TfidfVectorizer(
                    analyzer="char_wb",
                    ngram_range=(2, 5),
                    sublinear_tf=True,
                    min_df=1,
                    dtype=np.float32,
                ),
            ),
            (
                "words",
                TfidfVectorizer(
                    analyzer="word",
                    ngram_range=(1, 2),
                    sublinear_tf=True,
                    token_pattern=r"(?u)\b\w+\b",
                    dtype=np.float32,
                ),
            ),
        ]
    )
    classifier = LogisticRegression(C=10.0, tol=1e-3, max_iter=1000)
    return Pipeline([("features", features), ("classifier", classifier)])


class IntentModel:
    """Trained by scikit-learn; scored by `FastScorer`, the same arithmetic without overhead."""

    def __init__(
        self, pipeline: Pipeline, fingerprint: str, known: dict[tuple[str | None, str], str]
    ) -> None:
        self.pipeline = pipeline
        self.fingerprint = fingerprint
        self.known = known
        self.labels = tuple(str(label) for label in pipeline.classes_)
        self.scorer = FastScorer(pipeline)

    def rank(self, text: str, language: str | None = None) -> list[tuple[str, float]]:
        """Intents by probability; a message that is a training example gets its own label."""
        normalised = normalise(text)
        probabilities = self.scorer.probabilities(normalised)
        order = np.argsort(probabilities)[::-1]
        ranking = [(self.labels[i], float(probabilities[i])) for i in order]
        label = self.known.get((language, normalised)) or self.known.get((None, normalised))
        if label is None:
            return ranking
        return [(label, 1.0), *((name, 0.0) for name, _ in ranking if name != label)]


class FastScorer:
    """predict_proba of the fitted pipeline for one text, in tens of microseconds.

    scikit-learn spends ~1 ms per call validating and building sparse matrices; here each
    vectorizer's analyzer, vocabulary and idf weights are applied directly (sublinear tf,
    l2 norm per vectorizer, as TfidfVectorizer does), then softmax(x @ coef.T + intercept).
    tests/nlu/test_embedded_engine.py checks it equals predict_proba.
    """

    def __init__(self, pipeline: Pipeline) -> None:
        features: FeatureUnion = pipeline.named_steps["features"]
        classifier: LogisticRegression = pipeline.named_steps["classifier"]
        self.parts = []
        offset = 0
        for _, vectorizer in features.transformer_list:
            size = len(vectorizer.vocabulary_)
            self.parts.append(
                (
                    vectorizer.build_analyzer(),
                    vectorizer.vocabulary_,
                    vectorizer.idf_.astype(np.float64),
                    offset,
                )
            )
            offset += size
        self.weights = np.ascontiguousarray(classifier.coef_.T, dtype=np.float64)
        self.intercept = classifier.intercept_.astype(np.float64)

    def probabilities(self, text: str) -> np.ndarray:
        scores = self.intercept.copy()
        for analyze, vocabulary, idf, offset in self.parts:
            counts: dict[int, int] = {}
            for term in analyze(text):
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


def train(project: Path) -> IntentModel:
    examples = load_examples(project)
    if not examples:
        raise ValueError(f"no training examples under {project / 'data'}")
    pipeline = build_pipeline()
    texts = [normalise(e.text) for e in examples]
    pipeline.fit(texts, [e.intent for e in examples])
    return IntentModel(pipeline, fingerprint(project, MODEL_VERSION), _unambiguous(examples))


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
    """Loads the model trained on exactly these data (and this scikit-learn), else trains it."""
    key = fingerprint(project, MODEL_VERSION, sklearn.__version__.encode())
    path = cache_dir / f"embedded-intents-{key}.joblib"
    if path.exists():
        try:
            return joblib.load(path)
        except Exception:
            log.warning("embedded NLU cache %s unreadable; retraining", path)
    model = train(project)
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".tmp")
    joblib.dump(model, partial)
    partial.replace(path)  # atomic: a half-written file is never loaded
    return model
