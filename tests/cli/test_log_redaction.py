"""Secrets never reach a log line: every secret setting (bot.settings.SECRET_KEYS), set to a
value of its own, comes out "[redacted]" wherever a log line carries it: in the message, in
its arguments, in an exception's traceback; also for a handler formatting the record after
the redacting one."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from bot.cli.run import RedactingFormatter, configure_logging, secrets_of
from bot.settings import SECRET_KEYS, load_settings

SECRETS = {key: f"Sx{key.replace('_', '')}-7Hq_29:aZ" for key in sorted(SECRET_KEYS)}


class Leaky:
    """An argument whose text holds a secret (an URL, an exception, a request)."""

    def __init__(self, secret: str) -> None:
        self.secret = secret

    def __repr__(self) -> str:
        return f"Leaky({self.secret!r})"

    def __str__(self) -> str:
        return f"https://api.example.com/bot{self.secret}/getMe"


@pytest.fixture
def every_secret(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    for key, value in SECRETS.items():
        monkeypatch.setenv(f"CPS_{key.upper()}", value)
    return secrets_of(load_settings())


@pytest.fixture
def logged() -> Iterator[tuple[logging.Logger, io.StringIO, io.StringIO]]:
    """A logger writing through the redacting formatter, then a plain handler after it."""
    logger = logging.getLogger("tests.redaction")
    redacted, after = io.StringIO(), io.StringIO()
    first, second = logging.StreamHandler(redacted), logging.StreamHandler(after)
    second.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(first)
    logger.addHandler(second)
    logger.propagate = False
    yield logger, redacted, after
    logger.removeHandler(first)
    logger.removeHandler(second)
    logger.propagate = True


def test_every_secret_setting_is_one_to_redact(every_secret: list[str]) -> None:
    assert sorted(every_secret) == sorted(SECRETS.values())


def test_secrets_in_messages_arguments_and_tracebacks_come_out_redacted(
    every_secret: list[str], logged: tuple[logging.Logger, io.StringIO, io.StringIO]
) -> None:
    logger, redacted, after = logged
    logger.handlers[0].setFormatter(RedactingFormatter("%(levelname)s %(message)s", every_secret))
    for key, secret in SECRETS.items():
        logger.warning(f"{key} in the message: {secret}")
        logger.warning("%s in the arguments: %s, %r, %s", key, secret, {"token": secret},
                       Leaky(secret))  # fmt: skip
        try:
            raise RuntimeError(f"{key} failed with {secret}")
        except RuntimeError:
            logger.exception("%s in the traceback", key)
    for output in (redacted.getvalue(), after.getvalue()):
        assert [s for s in SECRETS.values() if s in output] == []
        for key in SECRETS:
            assert f"{key} in the message: [redacted]" in output
            assert f"{key} in the arguments: [redacted], {{'token': '[redacted]'}}, " in output
            assert f"RuntimeError: {key} failed with [redacted]" in output
    assert "https://api.example.com/bot[redacted]/getMe" in redacted.getvalue()


def test_configure_logging_redacts_on_every_root_handler(
    every_secret: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = logging.getLogger()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    monkeypatch.setattr(root, "handlers", [handler])
    monkeypatch.setattr(root, "level", logging.WARNING)
    for name in ("httpx", "httpcore", "slack_sdk"):  # configure_logging sets theirs
        monkeypatch.setattr(logging.getLogger(name), "level", logging.getLogger(name).level)
    configure_logging(every_secret)
    smtp = SECRETS["smtp_password"]
    logging.getLogger("aiosmtplib").warning("login as cps with %s", smtp)
    assert stream.getvalue().rstrip().endswith("login as cps with [redacted]")


def test_members_e_mail_addresses_are_masked_in_log_lines(
    logged: tuple[logging.Logger, io.StringIO, io.StringIO],
) -> None:
    logger, redacted, after = logged
    logger.handlers[0].setFormatter(RedactingFormatter("%(message)s", []))
    try:
        raise RuntimeError("DETAIL:  Key (email)=(anna.rossi@example.com) already exists.")
    except RuntimeError:
        logger.exception("registering %s failed", "anna.rossi@example.com")
    for output in (redacted.getvalue(), after.getvalue()):
        assert "anna.rossi@example.com" not in output
        assert "registering a***@example.com failed" in output
        assert "Key (email)=(a***@example.com) already exists" in output
