"""Words and numbers of the analytics report as its reader sees them: the English labels of
funnel steps, handoff reasons, languages and channels, and rates, counts and durations
formatted for reading ("60.0%", "1,204", "1 h 20 min"), with "—" wherever the report's
JSON has null (nothing to measure), never "nan" or "None".
"""

from __future__ import annotations

import math
from datetime import date, datetime

from babel import Locale, UnknownLocaleError

NONE = "—"
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

STEP_LABELS = {
    "linked_chat": "Chat linked to the account",
    "password_set": "Password set",
    "products": "Products registered or migrated",
    "all_ticks": "Every product ticked (all details)",
    "invited": "500 points: invited",
    "level_chosen": "Level chosen",
    "paid": "Payment chosen (membership active)",
}

REASON_LABELS = {
    "member_request": "Member asked for a person",
    "no_migration": "R4: migration not possible",
    "misunderstood": "Not understood three times",
    "staff_unreachable": "Staff could not be reached",
    "other": "Other",
}


def humanised(key: str) -> str:
    """A code as words, for keys with no label of their own ("register_product")."""
    words = key.replace("_", " ").strip()
    return words[:1].upper() + words[1:] if words else NONE


def step_label(step: str) -> str:
    return STEP_LABELS.get(step, humanised(step))


def reason_label(reason: str) -> str:
    return REASON_LABELS.get(reason, humanised(reason))


def language_label(code: str) -> str:
    """ "it" -> "Italian (it)"; a code Babel does not know stays as it is."""
    try:
        name = Locale.parse(code).get_display_name("en")
    except (UnknownLocaleError, ValueError, TypeError):
        return code
    return f"{name} ({code})" if name else code


def _measurable(value: float | int | None) -> bool:
    return value is not None and not (isinstance(value, float) and not math.isfinite(value))


def rate(value: float | None) -> str:
    """0.6 -> "60.0%"; null -> "—"."""
    return f"{value * 100:.1f}%" if _measurable(value) else NONE


def short_rate(value: float | None) -> str:
    """A chart's label, where space is short: 0.6667 -> "67%"."""
    return f"{value * 100:.0f}%" if _measurable(value) else NONE


def count(value: int | None) -> str:
    return f"{value:,}" if _measurable(value) else NONE


def average(value: float | None) -> str:
    """A CSAT average, out of 5: 4.3333 -> "4.3"."""
    return f"{value:.1f}" if _measurable(value) else NONE


def duration(seconds: float | None) -> str:
    """300 -> "5 min", 4800 -> "1 h 20 min", 45 -> "45 s", 93600 -> "1 d 2 h"."""
    if not _measurable(seconds):
        return NONE
    whole = round(float(seconds))  # type: ignore[arg-type]
    if whole < 60:
        return f"{whole} s"
    minutes = round(whole / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def day(iso: str) -> str:
    """ "2026-11-27" -> "27 Nov" (English whatever the process's locale)."""
    parsed = date.fromisoformat(iso)
    return f"{parsed.day} {MONTHS[parsed.month - 1]}"


def long_day(iso: str) -> str:
    """ "2026-11-27" -> "27 Nov 2026"."""
    return f"{day(iso)} {date.fromisoformat(iso).year}"


def moment(iso: str) -> str:
    """ "2026-12-04T10:00:00+00:00" -> "4 Dec 2026, 10:00 UTC"."""
    parsed = datetime.fromisoformat(iso)
    offset = parsed.utcoffset()
    if offset is None:
        zone = ""
    elif not offset:
        zone = " UTC"
    else:
        zone = f" UTC{parsed:%z}"
    return f"{day(parsed.date().isoformat())} {parsed.year}, {parsed:%H:%M}{zone}"
