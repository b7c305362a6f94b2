"""The report's four charts as geometry for inline SVG, computed here so the page needs no
script and loads nothing: the joining funnel, containment per day, the CSAT distribution
and the fallback rate per language. The template only draws what these describe; every
text is autoescaped there. A chart with nothing to show says so instead of dividing by 0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.reporting import formats

WIDTH = 640
LEFT, RIGHT, TOP, BOTTOM = 56, 8, 26, 44  # room for the axis, the values and the names
PLOT_HEIGHT = 220
ROW = 48  # one funnel step: its label, then its bar
MIN_SLOT_FOR_VALUES = 44  # narrower columns keep their value in the tooltip only
NAME_WIDTH = 60
NO_DATA = "No data in this period"


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    tip: str


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str
    anchor: str = "middle"
    kind: str = "value"  # a CSS class: value, name, axis


@dataclass(frozen=True)
class Rule:
    y: float


@dataclass(frozen=True)
class Chart:
    id: str
    caption: str
    title: str
    summary: str
    height: float
    rects: list[Rect] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    width: float = WIDTH

    @property
    def empty(self) -> bool:
        return not self.rects


@dataclass(frozen=True)
class Column:
    name: str
    value: float | None  # None: a gap, nothing measured
    text: str
    tip: str


def _no_data(chart_id: str, caption: str, title: str) -> Chart:
    label = Label(WIDTH / 2, 40, NO_DATA, kind="empty")
    return Chart(chart_id, caption, title, f"{title}: {NO_DATA.lower()}", 64, labels=[label])


def funnel_chart(funnel: Sequence[dict[str, Any]]) -> Chart:
    """One horizontal bar per step, as long as its members: "Password set — 3 (−2)"."""
    caption = "Joining funnel: members who reached each step"
    title = "Joining funnel"
    widest = max((step["members"] for step in funnel), default=0)
    if widest <= 0:
        return _no_data("chart-funnel", caption, title)
    rects, labels, parts = [], [], []
    for index, step in enumerate(funnel):
        name = formats.step_label(step["step"])
        members = formats.count(step["members"])
        drop = "" if step["drop_off"] is None else f" (−{formats.count(step['drop_off'])})"
        top = index * ROW + 4
        labels.append(Label(0, top + 16, f"{name} — {members}{drop}", anchor="start"))
        width = WIDTH * step["members"] / widest
        tip = f"{name}: {members} members{drop}"
        rects.append(Rect(0, top + 23, _round(max(width, 2 if width else 0)), 16, tip))
        parts.append(f"{name} {members}")
    summary = f"{title}: " + ", ".join(parts)
    return Chart("chart-funnel", caption, title, summary, len(funnel) * ROW + 8, rects, labels)


def containment_chart(over_time: Sequence[dict[str, Any]]) -> Chart:
    """Containment per day, 0..100%; a day without conversations is a gap."""
    caption = "Containment per day: conversations closed without a person"
    title = "Containment per day"
    columns = []
    for entry in over_time:
        name = formats.day(entry["day"])
        measured = entry["conversations"] > 0 and entry["containment"] is not None
        value = entry["containment"] if measured else None
        tip = (
            f"{name}: {formats.rate(value)} contained "
            f"({formats.count(entry['contained'])} of {formats.count(entry['conversations'])})"
            if measured
            else f"{name}: no conversations"
        )
        columns.append(Column(name, value, formats.short_rate(value) if measured else "", tip))
    if all(column.value is None for column in columns):
        return _no_data("chart-containment", caption, title)
    ticks = [(0.0, "0%"), (0.5, "50%"), (1.0, "100%")]
    return _column_chart("chart-containment", caption, title, columns, 1.0, ticks)


def csat_chart(csat: dict[str, Any]) -> Chart:
    """Five columns, ratings 1 (worst) to 5 (best), each as tall as its count."""
    caption = "Satisfaction after a handoff: ratings from 1 (worst) to 5 (best)"
    title = "CSAT distribution"
    counts = [int(csat["distribution"].get(str(rating), 0)) for rating in range(1, 6)]
    if csat["ratings"] <= 0 or max(counts) <= 0:
        return _no_data("chart-csat", caption, title)
    columns = [
        Column(str(rating), n, formats.count(n), f"Rated {rating}: {formats.count(n)}")
        for rating, n in enumerate(counts, start=1)
    ]
    return _column_chart("chart-csat", caption, title, columns, max(counts), [])


def fallback_chart(by_language: dict[str, dict[str, Any]]) -> Chart:
    """The share of turns not understood, one column per language."""
    caption = "Fallback rate per language: turns the bot did not understand"
    title = "Fallback rate per language"
    columns = []
    for code, section in by_language.items():
        value = section["fallback"]["rate"]
        text = formats.rate(value)
        name = formats.language_label(code)
        columns.append(Column(name, value, text, f"{name}: {text}"))
    if all(column.value is None for column in columns):
        return _no_data("chart-fallback", caption, title)
    top = _nice_ceiling(max(column.value or 0.0 for column in columns))
    ticks = [(0.0, "0%"), (top / 2, formats.short_rate(top / 2)), (top, formats.short_rate(top))]
    return _column_chart("chart-fallback", caption, title, columns, top, ticks)


def _column_chart(
    chart_id: str,
    caption: str,
    title: str,
    columns: list[Column],
    top: float,
    ticks: list[tuple[float, str]],
) -> Chart:
    plot_width = WIDTH - LEFT - RIGHT
    slot = plot_width / len(columns)
    bar = min(slot * 0.7, 64)
    every = max(1, math.ceil(len(columns) * NAME_WIDTH / plot_width))  # names never overlap
    baseline = TOP + PLOT_HEIGHT
    rects, labels, rules = [], [], [Rule(baseline)]
    for value, text in ticks:
        y = _round(baseline - PLOT_HEIGHT * value / top)
        if value > 0:  # the baseline is drawn already
            rules.append(Rule(y))
        labels.append(Label(LEFT - 6, y + 4, text, anchor="end", kind="axis"))
    for index, column in enumerate(columns):
        middle = LEFT + slot * (index + 0.5)
        if index % every == 0:
            labels.append(Label(_round(middle), baseline + 22, column.name, kind="name"))
        if column.value is None:
            continue
        height = PLOT_HEIGHT * min(column.value / top, 1.0) if top > 0 else 0.0
        x, y = _round(middle - bar / 2), _round(baseline - height)
        rects.append(Rect(x, y, _round(bar), _round(height), column.tip))
        if slot >= MIN_SLOT_FOR_VALUES:
            labels.append(Label(_round(middle), _round(y - 5), column.text))
    summary = f"{title}: " + ", ".join(column.tip for column in columns)
    return Chart(
        chart_id, caption, title, summary, TOP + PLOT_HEIGHT + BOTTOM, rects, labels, rules
    )


def _nice_ceiling(value: float) -> float:
    """The scale's top: the first of 5%, 10%, 20%, 25%, 50%, 100% at or above `value`."""
    for top in (0.05, 0.1, 0.2, 0.25, 0.5):
        if value <= top:
            return top
    return 1.0


def _round(value: float) -> float:
    return round(value, 1)
