"""Serial numbers by product family: read them, and say exactly what is wrong."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Digit groups of three or more, separated by single spaces or dashes: "0520 2400 3310".
CANDIDATE = re.compile(r"(?<![\w.,/-])\d{3,12}(?:[ \-]\d{3,12}){0,3}(?![\w.,/-])")


@dataclass(frozen=True)
class SerialFamily:
    pattern: str
    example: str
    location: str


@dataclass(frozen=True)
class SerialCheck:
    """`value` when it fits; otherwise `problem`: letters, too_short, too_long, no_digits."""

    value: str | None
    problem: str | None = None
    digits_given: int = 0
    digits_expected: str = ""


def clean(text: str) -> str:
    return re.sub(r"[\s\-.]", "", text).upper()


def expected_lengths(pattern: str) -> tuple[int, int]:
    """Digits a family's pattern allows: '^[0-9]{10}([0-9]{2})?$' -> (10, 12)."""
    counts = [int(n) for n in re.findall(r"\{(\d+)(?:,\d+)?\}", pattern)]
    ranges = re.findall(r"\{(\d+),(\d+)\}", pattern)
    if ranges:
        return int(ranges[0][0]), int(ranges[0][1])
    return counts[0], sum(counts)


def check_serial(text: str, family: SerialFamily) -> SerialCheck:
    value = clean(text)
    low, high = expected_lengths(family.pattern)
    expected = str(low) if low == high else f"{low}-{high}"
    if re.fullmatch(family.pattern, value):
        return SerialCheck(value)
    digits = sum(c.isdigit() for c in value)
    if not digits:
        return SerialCheck(None, "no_digits", 0, expected)
    if any(not c.isdigit() for c in value):
        return SerialCheck(None, "letters", digits, expected)
    problem = "too_short" if digits < low else "too_long" if digits > high else "wrong_length"
    return SerialCheck(None, problem, digits, expected)


def find_serials(text: str) -> list[tuple[str, int, int]]:
    """Digit runs of serial length (6-12 digits, spaces or dashes allowed) in free text."""
    found = []
    for match in CANDIDATE.finditer(text):
        value = clean(match.group())
        if 6 <= len(value) <= 12:
            found.append((value, match.start(), match.end()))
    return found
