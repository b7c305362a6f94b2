"""Personal data masked before a line is stored, forwarded to staff or logged.

An e-mail keeps its first letter and its domain (enough to recognise, not enough to
harvest); a phone number keeps its last two digits; a password link keeps its address
but not its token. Serial numbers, model names and dates are left as they are: staff need
them, and they say nothing about the person.
"""

from __future__ import annotations

import re

from bot.privacy.passwords import hide_passwords

EMAIL = re.compile(r"(?<![\w.+-])([\w.+-]+)@([\w-]+(?:\.[\w-]+)+)")
# "+39 333 123 4567", "0039-333-1234567", "(030) 123 45 67", "+44 20 7946 0958": a leading
# + / 00 / (, or digits in groups. A serial is one run of digits and is not a phone.
PHONE = re.compile(
    r"(?<![\w+])(?:(?:\+|00)\d{1,3}[ .-]?)?(?:\(\d{1,5}\)[ .-]?)?\d{2,8}(?:[ .-]\d{2,8}){1,4}(?!\w)"
    r"|(?<![\w+])\+\d{8,15}(?!\w)"
)
LINK_TOKEN = re.compile(r"(https?://\S+?/(?:password|p|reset|set)/)[\w-]{8,}")
LINK_MARK = "[token removed]"
# A one-time code as members type it: "482913", "482 913", "48-29-13".
CODE = re.compile(r"(?<![\w-])\d(?:[ -]?\d){3,7}(?![\w-])")
CODE_MARK = "[code removed]"


def mask_email(email: str) -> str:
    """a***@example.com"""
    name, _, domain = email.partition("@")
    return f"{name[:1]}***@{domain}"


def mask_emails(text: str) -> str:
    """Every e-mail address in a text, masked (log lines: a PostgreSQL DETAIL, an id)."""
    return EMAIL.sub(lambda m: mask_email(m.group(0)), text)


def mask_contacts(text: str) -> str:
    """E-mails and phone numbers in free text, masked."""
    return PHONE.sub(_masked_phone, mask_emails(text))


def _masked_phone(match: re.Match[str]) -> str:
    number = match.group(0)
    digits = sum(c.isdigit() for c in number)
    if digits < 8 or not _looks_like_phone(number):
        return number  # a date, a price, a model's focal range
    return "*** " + number[-2:]


def _looks_like_phone(number: str) -> bool:
    """A dialling prefix, or at least three groups like "333 123 4567"; dates ("12 03
    2024" has 8 digits in three groups too) have a 4-digit year at the end."""
    if number.startswith(("+", "00", "(")):
        return True
    groups = re.split(r"[ .-]", number)
    a_date = len(groups) == 3 and len(groups[-1]) == 4 and all(len(g) <= 2 for g in groups[:2])
    return len(groups) >= 3 and not a_date


def without_secrets(text: str) -> str:
    """No password and no link token: what a person helping live may read."""
    text, _found = hide_passwords(text)
    return LINK_TOKEN.sub(lambda m: m.group(1) + LINK_MARK, text)


def redact(text: str) -> str:
    """A line fit to keep: no password, no link token, e-mails and phones masked."""
    return mask_contacts(without_secrets(text))


def hide_codes(text: str) -> str:
    """The answer to "which code did we e-mail you?": its digits go, the words stay."""
    return CODE.sub(CODE_MARK, redact(text))
