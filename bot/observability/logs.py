"""Which conversation a log line belongs to, without saying who it is.

    with conversation_scope("telegram:42"):
        log.info("...")        # the line carries conversation=<pseudonym>

The pseudonym is a keyed hash (HMAC-SHA256) of the conversation key: stable across the
processes and restarts that share `CPS_WEB_SECRET_KEY`, so one chat's lines can be
followed, and useless for finding the chat id without that key. With no key configured,
each process draws a random one (lines then match only within a process).
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import hmac
import secrets
from collections.abc import Iterator

CONVERSATION: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "cps_conversation", default=None
)
_key = secrets.token_bytes(32)


def use_pseudonym_key(secret: str | bytes | None) -> None:
    """The key the pseudonyms are made with (the settings' web secret), once at start."""
    global _key
    if secret:
        raw = secret.encode() if isinstance(secret, str) else secret
        _key = hmac.new(raw, b"cps-log-pseudonym", hashlib.sha256).digest()


def pseudonym(conversation_key: str) -> str:
    """16 hex characters standing for one conversation in logs."""
    return hmac.new(_key, conversation_key.encode(), hashlib.sha256).hexdigest()[:16]


@contextlib.contextmanager
def conversation_scope(conversation_key: str) -> Iterator[str]:
    """Log lines written inside (in this task, and in threads given its context) name the
    conversation by its pseudonym."""
    token = CONVERSATION.set(pseudonym(conversation_key))
    try:
        yield CONVERSATION.get() or ""
    finally:
        CONVERSATION.reset(token)
