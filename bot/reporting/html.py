"""The analytics report (`cps-bot report --json`'s dict) as one self-contained HTML page
for `cps-bot report --html FILE`: headline figures, four inline SVG charts and the tables
behind them, readable on screen and printable.

The page loads nothing: no script, font, stylesheet or image from anywhere, and its
content-security-policy forbids them. Everything shown is autoescaped, because the
not-understood messages are members' text.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from bot.reporting import charts, formats

TEMPLATES = Path(__file__).resolve().parent / "templates"
FILTERS = {
    "rate": formats.rate,
    "count": formats.count,
    "average": formats.average,
    "duration": formats.duration,
    "step_label": formats.step_label,
    "reason_label": formats.reason_label,
    "humanised": formats.humanised,
}


def render_report(report: dict[str, Any]) -> str:
    """The page for `report`, the dict `cps-bot report --json` prints."""
    overall = report["overall"]
    period = report["period"]
    context = {
        "report": report,
        "overall": overall,
        "since": formats.long_day(period["since"]),
        "until": formats.long_day(period["until"]),
        "generated": formats.moment(report["generated_at"]),
        "headline": headline(overall),
        "charts": [
            charts.funnel_chart(overall["funnel"]),
            charts.containment_chart(report["over_time"]),
            charts.csat_chart(overall["csat"]),
            charts.fallback_chart(report["by_language"]),
        ],
        "margin_left": charts.LEFT,
        "margin_right": charts.WIDTH - charts.RIGHT,
        "languages": [(formats.language_label(k), v) for k, v in report["by_language"].items()],
        "channels": [(formats.humanised(k), v) for k, v in report["by_channel"].items()],
        "share": share,
    }
    return _environment().get_template("report.html.j2").render(context)


def headline(section: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The figures a reader looks at first: (name, value, what it counts)."""
    containment, fallback, csat = section["containment"], section["fallback"], section["csat"]
    ratings = csat["ratings"]
    score = formats.average(csat["average"])
    return [
        ("Conversations", formats.count(section["conversations"]), _turns(section["turns"])),
        (
            "Containment",
            formats.rate(containment["rate"]),
            f"{formats.count(containment['contained'])} closed without a person",
        ),
        (
            "Handoff rate",
            formats.rate(containment["handoff_rate"]),
            f"{formats.count(containment['handed_off'])} handed off to staff",
        ),
        (
            "Fallback rate",
            formats.rate(fallback["rate"]),
            f"{formats.count(fallback['not_understood'])} of {_turns(fallback['turns'])}"
            " not understood",
        ),
        (
            "CSAT",
            score if score == formats.NONE else f"{score} / 5",
            f"{formats.count(ratings)} rating{'' if ratings == 1 else 's'}",
        ),
        ("Open now", formats.count(section["handoffs"]["open_now"]), "handoffs not resolved"),
    ]


def share(part: int, whole: int) -> str:
    """`part` of `whole` as a rate ("40.0%"), "—" when there is no whole."""
    return formats.rate(part / whole) if whole else formats.NONE


def _turns(n: int) -> str:
    return f"{formats.count(n)} turn{'' if n == 1 else 's'}"


@cache
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,  # members' text is shown: escaping is never optional here
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(FILTERS)
    return env
