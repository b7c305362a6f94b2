"""k-fold cross-validation on the training data, per language: how well each language's
examples are understood when the model has not seen them.

The folds are stratified by language and intent, so every fold holds about a k-th of each
intent in each language. The embedded engine is retrained per fold here (seconds);
`bench/nlu.py --rasa-folds` trains the Rasa server on the same folds (`without_examples`).
"""

from __future__ import annotations

import random
import shutil
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from bot.nlu.training_data import Example, project_files, strip_annotations

Predict = Callable[[list[Example]], list[str]]


@dataclass(frozen=True)
class CrossValidation:
    folds: int
    by_language: dict[str, tuple[int, float]]  # language -> (examples, accuracy)
    confused: list[tuple[str, str, str, int]]  # (language, gold, predicted, count)

    @property
    def lowest(self) -> float:
        return min(accuracy for _, accuracy in self.by_language.values())

    def line(self) -> str:
        return ", ".join(
            f"{lang} {accuracy:.3f} (n={n})" for lang, (n, accuracy) in self.by_language.items()
        )


def stratified_folds(examples: list[Example], k: int, seed: int = 0) -> list[list[Example]]:
    """k disjoint folds; each (language, intent) group dealt round-robin after a shuffle."""
    if k < 2:
        raise ValueError("cross-validation needs at least 2 folds")
    groups: dict[tuple[str, str], list[Example]] = defaultdict(list)
    for example in examples:
        groups[(example.language, example.intent)].append(example)
    shuffle = random.Random(seed)
    folds: list[list[Example]] = [[] for _ in range(k)]
    start = 0
    for key in sorted(groups):
        members = groups[key][:]
        shuffle.shuffle(members)
        for offset, example in enumerate(members):
            folds[(start + offset) % k].append(example)
        start += len(members)  # the next group starts where this one stopped: even folds
    return folds


def cross_validate(
    examples: list[Example],
    train_and_predict: Callable[[list[Example], list[Example]], list[str]],
    k: int = 5,
    languages: Iterable[str] | None = None,
) -> CrossValidation:
    """Each fold held out in turn: trained on the rest, the fold's intents predicted."""
    wanted = set(languages) if languages is not None else None
    totals: Counter[str] = Counter()
    right: Counter[str] = Counter()
    confused: Counter[tuple[str, str, str]] = Counter()
    folds = stratified_folds(examples, k)
    for number, held in enumerate(folds):
        training = [e for other, fold in enumerate(folds) if other != number for e in fold]
        scored = [e for e in held if wanted is None or e.language in wanted]
        for example, intent in zip(scored, train_and_predict(training, scored), strict=True):
            totals[example.language] += 1
            right[example.language] += intent == example.intent
            if intent != example.intent:
                confused[(example.language, example.intent, intent)] += 1
    return CrossValidation(
        folds=k,
        by_language={lang: (totals[lang], right[lang] / totals[lang]) for lang in sorted(totals)},
        confused=[(*key, n) for key, n in confused.most_common(10)],
    )


def embedded_train_and_predict(training: list[Example], held: list[Example]) -> list[str]:
    """The embedded engine's own model (bot.nlu.intent_model) on `training`."""
    from bot.nlu.intent_model import fit_pipeline, from_pipeline

    pipeline, temperature = fit_pipeline(training)
    model = from_pipeline(pipeline, temperature, training, "cross-validation")
    return [model.rank(e.text, e.language)[0][0] for e in held]


def without_examples(project: Path, held: list[Example], target: Path) -> Path:
    """A copy of the NLU project at `target` without the held-out examples (for Rasa)."""
    shutil.copytree(project, target)
    dropped = {(e.language, e.intent, e.text) for e in held}
    for path in project_files(target):
        language, intent, kept = path.parent.name, None, []
        for line in path.read_text(encoding="utf-8").splitlines(keepends=True):
            stripped = line.strip()
            if stripped.startswith("- intent:"):
                intent = stripped.removeprefix("- intent:").strip()
            elif stripped.startswith("- ") and not line.startswith("- "):
                text = strip_annotations(stripped[2:].strip())
                if (language, intent, text) in dropped:
                    continue
            elif stripped.startswith("- "):
                intent = None  # a synonym, regex or lookup block
            kept.append(line)
        path.write_text("".join(kept), encoding="utf-8")
    return target
