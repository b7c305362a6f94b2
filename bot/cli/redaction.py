"""Log lines without secrets: `configure_logging(secrets_of(settings))` for `cps-bot run`
and `cps-bot worker`.

`secrets_of` takes every setting named in `bot.settings.SECRET_KEYS`, so a secret added
there is redacted the day it is added. `RedactingFormatter` writes "[redacted]" where a
secret (or its URL-encoded form) would appear: in the message, its arguments, an exception's
traceback, the stack; and it leaves the record so (`msg`, `args`, `exc_text`) for the
handlers that format it after this one. Members' e-mail addresses are masked the same way
(`a***@example.com`): a PostgreSQL error's DETAIL line names the value that clashed.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, quote_plus

from pydantic import SecretStr

from bot.privacy.masking import mask_emails
from bot.settings import SECRET_KEYS, Settings

REDACTED = "[redacted]"


def secrets_of(settings: Settings) -> list[str]:
    """The values of every secret setting (`bot.settings.SECRET_KEYS`, so a new secret is
    redacted the day it is added), for `RedactingFormatter`."""
    found: list[str] = []
    for key in sorted(SECRET_KEYS):
        value = getattr(settings, key, None)
        text = value.get_secret_value() if isinstance(value, SecretStr) else value
        if isinstance(text, str) and text.strip():
            found.append(text)
    return found


class RedactingFormatter(logging.Formatter):
    """Secrets never reach a log line: the bot token is in every Bot API URL."""

    def __init__(self, fmt: str, secrets: list[str]) -> None:
        super().__init__(fmt)
        shown = {form for secret in secrets if secret for form in _forms(secret)}
        self.secrets = sorted(shown, key=len, reverse=True)  # a longer one first, whole

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return mask_emails(text)  # members' addresses too (a PostgreSQL DETAIL line)

    def format(self, record: logging.LogRecord) -> str:
        self._scrub(record)
        return self.redact(super().format(record))  # and whatever else the format shows

    def formatException(self, ei: Any) -> str:
        return self.redact(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:
        return self.redact(super().formatStack(stack_info))

    def _scrub(self, record: logging.LogRecord) -> None:
        if isinstance(record.msg, str):
            record.msg = self.redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(self._arg(arg) for arg in record.args)
        elif isinstance(record.args, Mapping):
            record.args = {key: self._arg(arg) for key, arg in record.args.items()}
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        elif record.exc_text:  # cached by a handler before this one
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)

    def _arg(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.redact(value)
        if value is None or isinstance(value, int | float):  # what %d and %f take: no secret
            return value
        text, shown = str(value), repr(value)
        if self.redact(text) == text and self.redact(shown) == shown:
            return value
        return _Redacted(self.redact(text), self.redact(shown))


class _Redacted:
    """An argument whose str() or repr() held a secret, shown without it."""

    def __init__(self, text: str, shown: str) -> None:
        self._text, self._shown = text, shown

    def __str__(self) -> str:
        return self._text

    def __repr__(self) -> str:
        return self._shown


def _forms(secret: str) -> set[str]:
    return {secret, quote(secret, safe=""), quote_plus(secret)}


def configure_logging(secrets: list[str], level: int = logging.INFO) -> None:
    """Log lines on stderr; httpx's request lines (URLs with the token) stay off, and so do
    slack_sdk's debug lines (the body of every Web API call and answer to Slack)."""
    logging.basicConfig(level=level)
    formatter = RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", secrets)
    for handler in logging.getLogger().handlers:
        handler.setFormatter(formatter)
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    logging.getLogger("slack_sdk").setLevel(max(level, logging.INFO))
