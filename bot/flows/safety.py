"""R1: the bot never takes a password. Text that looks like one is flagged, never stored."""

from __future__ import annotations

import re

NOT_A_PASSWORD = re.compile(
    r"^[\w.+'-]+@[\w-]+(\.[\w-]+)+$"  # an e-mail
    r"|^https?://"  # a link
    r"|^(?i:rf|ef|eos|ef-s|rf-s|r|c)?[-_]?\d"  # a model typed as one word: "RF24-70mm", "R5mk2"
)


def looks_like_password(text: str) -> bool:
    """One word of 8-64 characters with a digit and three of: lower case, upper case, digits,
    symbols ("Summer2024!", "p4ssw0rd#", "Xk9$mq2LzQ"); not an e-mail, link or model name.
    "Wex-Photo" or "MediaWorld" (no digit) are answers, not passwords."""
    token = text.strip()
    if not 8 <= len(token) <= 64 or any(c.isspace() for c in token):
        return False
    if NOT_A_PASSWORD.search(token):
        return False
    kinds = (
        any(c.islower() for c in token),
        any(c.isupper() for c in token),
        any(c.isdigit() for c in token),
        any(not c.isalnum() for c in token),
    )
    return kinds[2] and sum(kinds) >= 3
