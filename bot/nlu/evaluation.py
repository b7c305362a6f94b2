"""Scores a parser on a labelled JSONL set: intents, entities and latency."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sklearn.metrics import f1_score

from bot.nlu.engines import Parser
from bot.nlu.entities import choices
from bot.nlu.entities.countries import parse_country
from bot.nlu.entities.products import ProductCatalogue


@dataclass
class Report:
    total: int
    accuracy: float
    macro_f1: float
    by_language: dict[str, tuple[int, float]]
    confused: list[tuple[str, str, int]]
    entity_precision: float | None
    entity_recall: float | None
    p50_ms: float
    p99_ms: float
    gold: list[str] = field(repr=False, default_factory=list)
    predicted: list[str] = field(repr=False, default_factory=list)
    errors: list[tuple[str, str, str]] = field(default_factory=list)


def read_set(path: Path) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    if not rows or any("text" not in r or "intent" not in r for r in rows):
        raise ValueError(f"{path}: every line needs 'text' and 'intent'")
    return rows


def gold_entities(row: dict[str, Any]) -> list[tuple[str, str]]:
    """Accepts Rasa-style lists and the dev set's {entity: surface text} mapping."""
    raw = row.get("entities") or []
    if isinstance(raw, dict):
        return [(str(k), str(v)) for k, v in raw.items()]
    return [(str(e["entity"]), str(e["value"])) for e in raw]


def canonical_values(catalogue: ProductCatalogue) -> Callable[[str, str], str]:
    """Gold values in the form the parsers give: product codes, ISO codes, level codes."""
    readers: dict[str, Callable[[str], str | None]] = {
        "product": lambda v: m.product.code if (m := catalogue.match(v)).product else None,
        "country": parse_country,
        "tier": choices.parse_tier,
        "payment_method": choices.parse_payment_method,
        "language": choices.parse_language,
    }

    def canonical(entity: str, value: str) -> str:
        reader = readers.get(entity)
        return (reader(value) if reader else None) or value

    return canonical


async def evaluate(
    parser: Parser,
    rows: list[dict[str, Any]],
    canonical: Callable[[str, str], str] = lambda entity, value: value,
) -> Report:
    gold, predicted, latencies, errors = [], [], [], []
    entity_hits = entity_found = entity_gold = 0
    for row in rows:
        started = time.perf_counter()
        result = await parser.parse(row["text"], row.get("lang"))
        latencies.append((time.perf_counter() - started) * 1000)
        gold.append(row["intent"])
        predicted.append(result.intent)
        if result.intent != row["intent"]:
            errors.append((row["text"], row["intent"], result.intent))
        if "entities" in row:
            expected = {(name, canonical(name, value)) for name, value in gold_entities(row)}
            got = {(e.entity, e.value) for e in result.entities}
            entity_hits += len(expected & got)
            entity_found += len(got)
            entity_gold += len(expected)
    return Report(
        total=len(rows),
        accuracy=sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(rows),
        macro_f1=float(f1_score(gold, predicted, average="macro", zero_division=0)),
        by_language=_by_language(rows, gold, predicted),
        confused=[
            (g, p, n)
            for (g, p), n in Counter(
                (g, p) for g, p in zip(gold, predicted, strict=True) if g != p
            ).most_common(5)
        ],
        entity_precision=entity_hits / entity_found if entity_found else None,
        entity_recall=entity_hits / entity_gold if entity_gold else None,
        p50_ms=_percentile(latencies, 50),
        p99_ms=_percentile(latencies, 99),
        gold=gold,
        predicted=predicted,
        errors=errors,
    )


def _by_language(rows, gold, predicted) -> dict[str, tuple[int, float]]:  # type: ignore[no-untyped-def]
    totals: Counter[str] = Counter()
    right: Counter[str] = Counter()
    for row, g, p in zip(rows, gold, predicted, strict=True):
        language = row.get("lang", "?")
        totals[language] += 1
        right[language] += g == p
    return {lang: (totals[lang], right[lang] / totals[lang]) for lang in sorted(totals)}


def _percentile(values: list[float], pct: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def format_report(report: Report, engine: str) -> str:
    lines = [
        f"engine: {engine}   examples: {report.total}",
        f"intent accuracy: {report.accuracy:.3f}   macro-F1: {report.macro_f1:.3f}",
        "by language: "
        + ", ".join(f"{lang} {acc:.3f} (n={n})" for lang, (n, acc) in report.by_language.items()),
    ]
    if report.confused:
        lines.append(
            "most confused (gold -> predicted): "
            + "; ".join(f"{g} -> {p} x{n}" for g, p, n in report.confused)
        )
    if report.entity_precision is None and report.entity_recall is None:
        lines.append("entities: no entity labels in this set")
    else:
        lines.append(
            f"entity precision: {report.entity_precision or 0:.3f}   "
            f"recall: {report.entity_recall or 0:.3f}"
        )
    lines.append(f"parse latency: p50 {report.p50_ms:.3f} ms   p99 {report.p99_ms:.3f} ms")
    return "\n".join(lines)


def save_confusion_matrix(report: Report, path: Path) -> None:
    """A PNG of the confusion matrix (needs the optional matplotlib: pip install '.[plots]')."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import ConfusionMatrixDisplay

    labels = sorted(set(report.gold) | set(report.predicted))
    figure, axes = plt.subplots(figsize=(12, 11))
    ConfusionMatrixDisplay.from_predictions(
        report.gold,
        report.predicted,
        labels=labels,
        ax=axes,
        xticks_rotation="vertical",
        colorbar=False,
    )
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
