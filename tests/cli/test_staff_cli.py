"""`cps-bot staff`: priority support from the terminal, with the member in `cps-bot chat`."""

from __future__ import annotations

from sqlalchemy import select
from typer.testing import CliRunner

from bot.bootstrap import bootstrap
from bot.cli.main import app
from bot.domain.models import AuditEntry
from bot.settings import load_settings


def test_a_whole_handoff_between_the_console_chat_and_the_staff_command(tmp_path):
    url = f"sqlite:///{tmp_path / 'cps.db'}"
    cli = CliRunner(env={"CPS_DATABASE_URL": url, "CPS_CACHE_DIR": str(tmp_path / "cache")})
    assert cli.invoke(app, ["db", "init", "--demo"]).exit_code == 0

    def emma(*lines: str) -> str:
        result = cli.invoke(
            app, ["chat", "--as", "emma.clark@example.com"], input="\n".join(lines) + "\n"
        )
        assert result.exit_code == 0, result.output
        return result.output

    def staff(*args: str) -> str:
        result = cli.invoke(app, ["staff", *args])
        assert result.exit_code == 0, result.output + result.stderr
        return result.output

    assert "request no. 1" in emma("I want to talk to a person", "my R8 shows Err 70")
    assert "#1 open (member_request) emma.clark@example.com, waiting 0 min" in staff("queue")
    assert staff("claim", "1", "--as", "Chiara Neri") == "claimed #1\n"
    assert staff("reply", "1", "Please update the firmware", "--as", "Chiara Neri") == (
        "sent to the member\n"
    )
    assert staff("reply", "1", "note: known issue", "--as", "Chiara Neri") == (
        "kept as an internal note\n"
    )
    out = emma("ok, which version?")
    assert "Chiara from CPS priority support has taken your request" in out
    assert "bot> Chiara (CPS priority support): Please update the firmware" in out
    assert "known issue" not in out
    assert staff("resolve", "1", "--as", "Chiara Neri") == "resolved #1\n"
    out = emma("5")
    assert "from 1 (bad) to 5 (great)" in out and "Thank you for your mark (5 out of 5)" in out
    assert staff("queue") == "no open escalations\n"

    again = cli.invoke(app, ["staff", "claim", "1", "--as", "Luca"])
    assert again.exit_code == 1 and "escalation #1 is already resolved" in again.stderr
    missing = cli.invoke(app, ["staff", "reply", "9", "hello", "--as", "Luca"])
    assert missing.exit_code == 1 and "no escalation #9" in missing.stderr

    domain = bootstrap(load_settings(database_url=url))
    with domain.uow() as uow:
        entries = uow.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        assert [(e.actor, e.action) for e in entries] == [
            ("cli:Chiara Neri", "claim"),
            ("cli:Chiara Neri", "reply"),
            ("cli:Chiara Neri", "note"),
            ("cli:Chiara Neri", "resolve"),
        ]
    domain.close()
