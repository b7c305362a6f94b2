"""What a new password must be (R1's page; the page's own strength meter only advises).

At least `MIN_LENGTH` characters, at most `MAX_LENGTH`; `GOOD_LENGTH` or more, or a
shorter one zxcvbn scores `STRONG_SCORE` or better; never a guessable one (zxcvbn's score
0-1: a well-known password, a repetition, a keyboard row, a date), never one holding the
e-mail address or its local part; typed the same twice. The problems come back as stable
codes, in the order a member would fix them; the page words them in their language.
"""

from __future__ import annotations

import re
import threading

from zxcvbn import zxcvbn

MIN_LENGTH = 8
GOOD_LENGTH = 12
MAX_LENGTH = 128
STRONG_SCORE = 3  # zxcvbn: 3 "safely unguessable", 4 "very unguessable"
GUESSABLE_SCORE = 1  # 0 "too guessable", 1 "very guessable"
SCORED_LENGTH = 72  # zxcvbn refuses longer input; the rest only adds strength
HOUSE_WORDS = ("canon", "cps", "password", "professional", "services")
# zxcvbn keeps the user's inputs in a module-level dictionary while it scores: one at a time.
_ZXCVBN = threading.Lock()


def password_problems(password: str, confirmation: str, email: str) -> list[str]:
    """Why `password` cannot be used (empty when it can): "too_short", "too_long",
    "contains_email", "too_common", "too_weak", "mismatch"."""
    problems: list[str] = []
    if len(password) < MIN_LENGTH:
        problems.append("too_short")
    elif len(password) > MAX_LENGTH:
        problems.append("too_long")
    else:
        problems += _content_problems(password, email)
    if password != confirmation:
        problems.append("mismatch")
    return problems


def strength(password: str, email: str = "") -> int:
    """zxcvbn's score, 0-4, with the e-mail's parts and the programme's words as known words."""
    with _ZXCVBN:
        return int(zxcvbn(password[:SCORED_LENGTH], user_inputs=_email_words(email))["score"])


def _content_problems(password: str, email: str) -> list[str]:
    if _holds_email(password, email):
        return ["contains_email"]
    score = strength(password, email)
    if score <= GUESSABLE_SCORE:
        return ["too_common"]
    if len(password) < GOOD_LENGTH and score < STRONG_SCORE:
        return ["too_weak"]
    return []


def _holds_email(password: str, email: str) -> bool:
    folded = password.casefold()
    local = email.casefold().partition("@")[0]
    if email and email.casefold() in folded:
        return True
    if len(local) >= 3 and local in folded:  # "giulia.rossi" in "Giulia.Rossi!2024"
        return True
    squeezed_local = re.sub(r"[\W_]+", "", local)  # and "giuliarossi" in "GiuliaRossi-77"
    return len(squeezed_local) >= 3 and squeezed_local in re.sub(r"[\W_]+", "", folded)


def _email_words(email: str) -> list[str]:
    local, _, domain = email.casefold().partition("@")
    words = [w for w in re.split(r"[\W_]+", local) + domain.split(".")[:1] if len(w) >= 3]
    return [*words, *HOUSE_WORDS]
