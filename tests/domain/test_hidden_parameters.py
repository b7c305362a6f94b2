"""A failing statement never shows its parameters: the error's text, and the log line of
whoever logs it with its traceback, carry the SQL but not the values (e-mails, codes).
On SQLite and on PostgreSQL, on the domain's engine and on PostgreSQL's chat engine."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from bot.bootstrap import make_chat_engine

VALUE = "leak-check-7c2e@example.com"
FAILING = text("SELECT no_such_column FROM business_accounts WHERE email = :email")


def failure_logged(engine: Engine, caplog: pytest.LogCaptureFixture) -> str:
    """The error of a failing statement, as `log.exception` writes it."""
    with pytest.raises(DBAPIError) as failed, engine.connect() as connection:
        connection.execute(FAILING, {"email": VALUE})
    with caplog.at_level(logging.ERROR):
        try:
            raise failed.value
        except DBAPIError:
            logging.getLogger("tests.hidden").exception("lookup failed")
    assert "no_such_column" in caplog.text  # the statement is there to debug with
    return f"{failed.value}\n{caplog.text}"


def test_the_domain_engine_hides_parameters(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    shown = failure_logged(engine, caplog)
    assert VALUE not in shown and "parameters hidden" in shown


@pytest.fixture
def chat_engine(postgres_url: str) -> Iterator[Engine]:
    chat = make_chat_engine(postgres_url)
    assert chat is not None
    yield chat
    chat.dispose()


@pytest.mark.postgres
def test_the_chat_engine_hides_parameters(
    chat_engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    shown = failure_logged(chat_engine, caplog)
    assert VALUE not in shown and "parameters hidden" in shown
