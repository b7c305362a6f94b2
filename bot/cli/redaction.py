"""Log lines without secrets: `start_logging(settings, log_format)` for `cps-bot run`,
`cps-bot worker` and `cps-bot web` (`configure_logging(secrets_of(settings))` elsewhere).

`secrets_of` takes every setting named in `bot.settings.SECRET_KEYS`, so a secret added
there is redacted the day it is added. `RedactingFormatter` writes "[redacted]" where a
secret (or its URL-encoded form) would appear: in the message, its arguments, an exception's
traceback, the stack; and it leaves the record so (`msg`, `args`, `exc_text`) for the
handlers that format it after this one. Members' e-mail addresses are masked the same way
(`a***@example.com`): a PostgreSQL error's DETAIL line names the value that clashed.

Two formats, redacted alike: readable lines ("text", the default) and one JSON object per
line ("json": `time` in ISO 8601 UTC, `level`, `logger`, `message`, `exc_info` when there
is one). A line written during a member's turn names the conversation by its pseudonym
(`bot.observability.logs`): `conversation=<id>` at the end of a text line, `conversation`
in a JSON one; never the chat's key, never what the member wrote.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, quote_plus

import typer
from pydantic import SecretStr

from bot.cli.context import fail
from bot.observability.logs import CONVERSATION, use_pseudonym_key
from bot.privacy.masking import mask_emails
from bot.settings import SECRET_KEYS, Settings

REDACTED = "[redacted]"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LOG_FORMATS = ("text", "json")
LOG_FORMAT_OPTION = typer.Option(
    None,
    "--log-format",
    help="text (readable lines) or json (one JSON object a line); default: log_format.",
)


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

    def formatMessage(self, record: logging.LogRecord) -> str:
        line = super().formatMessage(record)
        conversation = getattr(record, "conversation", None)
        return f"{line} conversation={conversation}" if conversation else line

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


class JsonFormatter(RedactingFormatter):
    """One JSON object per line, redacted as the text lines are."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__("%(message)s", secrets)

    def format(self, record: logging.LogRecord) -> str:
        self._scrub(record)
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": self.redact(record.getMessage()),
        }
        conversation = getattr(record, "conversation", None)
        if conversation:
            entry["conversation"] = conversation
        if record.exc_text:  # formatted (and redacted) by _scrub
            entry["exc_info"] = record.exc_text
        if record.stack_info:
            entry["stack_info"] = record.stack_info
        return json.dumps(entry)  # ASCII only, one line: newlines are escaped


class ConversationFilter(logging.Filter):
    """Puts the pseudonym of the conversation whose turn writes the line on the record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "conversation", None) is None:
            record.conversation = CONVERSATION.get()
        return True


def _forms(secret: str) -> set[str]:
    return {secret, quote(secret, safe=""), quote_plus(secret)}


def start_logging(settings: Settings, log_format: str | None = None) -> None:
    """A serving command's logging: its secrets redacted, the format asked for (else
    `log_format` of the settings), conversations named by pseudonyms keyed with the web
    secret (so every process names one chat alike)."""
    if log_format not in (None, *LOG_FORMATS):
        raise fail(f"--log-format must be text or json, not {log_format!r}", 2)
    key = settings.web_secret_key
    use_pseudonym_key(key.get_secret_value() if key is not None else None)
    configure_logging(secrets_of(settings), log_format=log_format or settings.log_format)


def configure_logging(
    secrets: list[str], level: int = logging.INFO, log_format: str = "text"
) -> None:
    """Log lines on stderr, as text or JSON (uvicorn's too: it is started with
    `log_config=None`, so its loggers write through these handlers); httpx's request lines
    (URLs with the token) stay off, and so do slack_sdk's debug lines (the body of every
    Web API call and answer to Slack)."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"log format must be text or json, not {log_format!r}")
    logging.basicConfig(level=level)
    formatter = (
        JsonFormatter(secrets) if log_format == "json" else RedactingFormatter(TEXT_FORMAT, secrets)
    )
    for handler in logging.getLogger().handlers:
        handler.setFormatter(formatter)
        if not any(isinstance(f, ConversationFilter) for f in handler.filters):
            handler.addFilter(ConversationFilter())
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    logging.getLogger("slack_sdk").setLevel(max(level, logging.INFO))
