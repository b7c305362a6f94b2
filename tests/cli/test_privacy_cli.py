"""`cps-bot member export`, `cps-bot member erase`, `cps-bot privacy purge`."""

from __future__ import annotations

import getpass
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from bot.bootstrap import bootstrap
from bot.cli.main import app
from bot.domain.models import AuditEntry, Conversation
from bot.settings import load_settings
from tests.leftovers import leftovers

EMMA = "emma.clark@example.com"
PROBLEM = "my R8 shows Err 70 next to the zebra sticker"


@pytest.fixture
def cli(tmp_path):  # type: ignore[no-untyped-def]
    """The demo database, with Emma's console chat handed to a person."""
    url = f"sqlite:///{tmp_path / 'cps.db'}"
    runner = CliRunner(env={"CPS_DATABASE_URL": url, "CPS_CACHE_DIR": str(tmp_path / "cache")})
    runner.url = url  # type: ignore[attr-defined]
    assert runner.invoke(app, ["db", "init", "--demo"]).exit_code == 0
    chat = runner.invoke(
        app, ["chat", "--as", EMMA], input=f"I want to talk to a person\n{PROBLEM}\n"
    )
    assert chat.exit_code == 0 and "request no. 1" in chat.output, chat.output
    return runner


def database(cli):  # type: ignore[no-untyped-def]
    return bootstrap(load_settings(database_url=cli.url))


def test_export_prints_everything_held_as_json(cli):  # type: ignore[no-untyped-def]
    result = cli.invoke(app, ["member", "export", EMMA])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["account"]["email"] == EMMA
    assert [p["model"] for p in document["state"]["products"]] == ["EOS R8", "RF 50mm F1.2L USM"]
    [escalation] = document["escalations"]
    assert any(PROBLEM in line["text"] for line in escalation["transcript"])
    assert [c["key"] for c in document["conversations"]] == [f"console:{EMMA}"]

    missing = cli.invoke(app, ["member", "export", "nobody@example.com"])
    assert missing.exit_code == 1 and "no member with e-mail nobody@example.com" in missing.stderr


def test_erase_asks_first_then_erases_and_audits_the_os_user(cli):  # type: ignore[no-untyped-def]
    kept = cli.invoke(app, ["member", "erase", EMMA], input="n\n")
    assert kept.exit_code == 1 and "Erase emma.clark@example.com" in kept.output
    assert cli.invoke(app, ["member", "show", EMMA]).exit_code == 0

    erased = cli.invoke(app, ["member", "erase", EMMA], input="y\n")
    assert erased.exit_code == 0, erased.output
    assert "erased emma.clark@example.com (audit reference erasure-" in erased.output
    assert "registrations 2" in erased.output and "conversations 1" in erased.output

    gone = cli.invoke(app, ["member", "show", EMMA])
    assert gone.exit_code == 1 and "no member with e-mail" in gone.stderr
    domain = database(cli)
    try:
        assert leftovers(domain.engine, EMMA, PROBLEM, "zebra") == []
        with domain.uow() as uow:
            [entry] = uow.session.scalars(
                select(AuditEntry).where(AuditEntry.action == "member erased")
            ).all()
            assert entry.actor == f"os:{getpass.getuser()}"
            assert entry.target.startswith("erasure-") and entry.target in erased.output
    finally:
        domain.close()


def test_erase_with_yes_does_not_ask_and_an_unknown_member_is_said_first(cli):  # type: ignore[no-untyped-def]
    missing = cli.invoke(app, ["member", "erase", "nobody@example.com"])
    assert missing.exit_code == 1 and "no member with e-mail nobody@example.com" in missing.stderr
    assert "Erase" not in missing.output

    result = cli.invoke(app, ["member", "erase", "sofia.conti@example.com", "--yes"])
    assert result.exit_code == 0, result.output
    assert "Erase" not in result.output and "erased sofia.conti@example.com" in result.output


def test_purge_prints_the_counts_and_removes_what_is_old(cli):  # type: ignore[no-untyped-def]
    fresh = cli.invoke(app, ["privacy", "purge"])
    assert fresh.exit_code == 0, fresh.output
    assert "conversations: 0\n" in fresh.output and "outbox_emails: 0\n" in fresh.output

    domain = database(cli)
    try:
        long_ago = datetime.now(UTC) - timedelta(days=400)
        with domain.uow() as uow:
            uow.session.execute(update(Conversation).values(updated_at=long_ago))
            uow.commit()
    finally:
        domain.close()
    aged = cli.invoke(app, ["privacy", "purge", "--json"])
    assert aged.exit_code == 0, aged.output
    assert json.loads(aged.output)["conversations"] == 1

    shorter = cli.invoke(app, ["privacy", "purge"], env={"CPS_RETENTION_DAYS": "0"})
    assert shorter.exit_code == 2 and "retention_days" in shorter.stderr
