"""E-mail addresses, checked for syntax (never for deliverability: no network)."""

from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email

CANDIDATE = re.compile(r"[\w.+'\-]+@[\w\-]+(?:\.[\w\-]+)+", re.UNICODE)


def parse_email(text: str) -> str | None:
    try:
        return validate_email(text.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


def find_emails(text: str) -> list[tuple[str, int, int]]:
    found = []
    for match in CANDIDATE.finditer(text):
        raw = match.group().rstrip(".")
        value = parse_email(raw)
        if value:
            found.append((value, match.start(), match.start() + len(raw)))
    return found
