"""`cps-bot chat --as EMAIL`, scripted from stdin, as DESIGN.md's console contract says."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bot.bootstrap import bootstrap
from bot.cli.main import app
from bot.domain.models import OutboxEmail
from bot.domain.types import MailStatus
from bot.settings import load_settings


@pytest.fixture(scope="module")
def runner(tmp_path_factory) -> CliRunner:
    base = tmp_path_factory.mktemp("chat")
    cli = CliRunner(
        env={
            "CPS_DATABASE_URL": f"sqlite:///{base / 'cps.db'}",
            "CPS_CACHE_DIR": str(base / "cache"),
        }
    )
    assert cli.invoke(app, ["db", "init", "--demo"]).exit_code == 0
    return cli


def test_scripted_chat_with_numbered_buttons(runner):
    lines = "quanti punti ho?\ncome imposto la password?\n1\n"
    result = runner.invoke(app, ["chat", "--as", "giulia.rossi@example.com"], input=lines)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "bot> Hai 0 punti." in out
    assert "  [1] Sì\n  [2] No" in out
    assert "bot> Fatto: riceverai un'e-mail da donotreply@canoneurope.com" in out
    assert "mail> from donotreply@canoneurope.com to giulia.rossi@example.com" in out
    assert "/password/" in out


def test_with_smtp_configured_the_console_leaves_mail_to_the_mail_workers(runner):
    lines = "come imposto la password?\n1\n"
    smtp = {"CPS_SMTP_HOST": "127.0.0.1"}  # `cps-bot mail deliver` or `run` sends it
    result = runner.invoke(app, ["chat", "--as", "emma.clark@example.com"], input=lines, env=smtp)
    assert result.exit_code == 0, result.output
    assert "mail>" not in result.output
    settings = load_settings(database_url=runner.env["CPS_DATABASE_URL"])
    with bootstrap(settings).uow() as uow:
        query = select(OutboxEmail.status).where(OutboxEmail.recipient == "emma.clark@example.com")
        assert MailStatus.PENDING in uow.session.scalars(query).all()


def test_buttons_can_be_answered_by_label_and_language_forced(runner):
    lines = "I forgot my password\nNo\n"
    result = runner.invoke(
        app, ["chat", "--as", "sofia.conti@example.com", "--lang", "en"], input=lines
    )
    assert result.exit_code == 0, result.output
    assert "Shall I send a secure link" in result.output
    assert "OK, I haven't sent anything." in result.output
    assert "mail>" not in result.output


def test_unknown_member_is_one_clear_line(runner):
    result = runner.invoke(app, ["chat", "--as", "ghost@example.com"], input="ciao\n")
    assert result.exit_code == 1
    assert "no member with e-mail ghost@example.com" in result.output


def test_a_second_chat_session_is_answered_too(runner):
    """Each run of `cps-bot chat` has its own event ids: the database keeps the old ones."""
    first = runner.invoke(app, ["chat", "--as", "lukas.weber@example.com", "--lang", "en"],
                          input="how many points do I have?\n")  # fmt: skip
    second = runner.invoke(app, ["chat", "--as", "lukas.weber@example.com", "--lang", "en"],
                           input="how many points do I have?\n")  # fmt: skip
    assert "bot> You have 2,600 points" in first.output
    assert "bot> You have 2,600 points" in second.output


def test_each_message_numbers_its_own_buttons_and_a_number_picks_the_last_ones(runner):
    """A digression answers with buttons, then asks the step again with its own: [1] is
    the step's first button, as the member reads it, not [3]."""
    lines = "voglio registrare la mia EOS R5\nquanti punti ho?\n1\n"
    chat = ["chat", "--as", "sofia.conti@example.com", "--lang", "it"]
    result = runner.invoke(app, chat, input=lines)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "  [1] Livelli e iscrizione\n  [2] Registra un prodotto" in out
    assert "bot> Torniamo a dove eravamo." in out
    assert "  [3] Non so dove trovarlo" not in out
    assert "lo trovi anche sull'etichetta della scatola" in out  # [1] = "Non so dove trovarlo"
