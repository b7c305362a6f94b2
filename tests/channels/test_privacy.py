"""R1 and personal data end to end: what a member types that must not be kept is nowhere.

A member on Telegram types passwords in sentences and in the shapes people use, at the
menu, in the middle of a registration and while asking for a person; another links the
chat with the e-mailed code and then asks for a person. Then everything that could hold
a copy is searched: every table of the database (and the SQLite file itself), what the
fake Slack and the fake helpdesk received, and every log record.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from sqlalchemy import create_engine, make_url, select, text

from bot.domain.models import Base, Escalation, OutboxEmail
from tests.channels import test_handoff as end_to_end
from tests.channels.test_handoff import running

# The staffed bot of the handoff tests: its fixtures, registered here by their own names.
_staff_environment, slack, staffed = (
    end_to_end._staff_environment,
    end_to_end.slack,
    end_to_end.staffed,
)

EMMA, SOFIA = 4301, 4302
PASSWORDS = (
    "Fotocamera!Segreta42",  # in an Italian sentence at the menu
    "GattoNero#2024",  # "ho provato con ... ma non entra", typed as the dealer
    "Tr0ub4dor&3",  # "la mia password è ..." while asking for a person
    "2024Summer!",  # digit first, on its own
    "R2d2Pass!x",  # starts like a model name
)
PHONE, PRIVATE_MAIL = "+39 333 123 4567", "emma.private@gmail.com"


def everything_stored(database_url: str) -> str:
    """Every row of every table, as text."""
    engine = create_engine(database_url)
    with engine.connect() as connection:
        rows = [
            repr(tuple(row))
            for table in Base.metadata.sorted_tables
            for row in connection.execute(select(table))
        ]
        if engine.dialect.name == "sqlite":
            connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    engine.dispose()
    return "\n".join(rows)


def sqlite_file(database_url: str) -> bytes:
    path = Path(make_url(database_url).database or "")
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


async def test_passwords_codes_and_contacts_reach_no_table_no_staff_and_no_log(
    staffed, fake, member, slack, helpdesk, database_url, caplog
):
    caplog.set_level(logging.INFO)  # the level `cps-bot run` logs at
    emma, sofia = member(EMMA, "en"), member(SOFIA, "it")
    async with running(staffed) as (application, _http):
        application.channel.engine.link(f"telegram:{EMMA}", "emma.clark@example.com")
        typed = [
            emma.message("la mia nuova password è Fotocamera!Segreta42"),
            emma.message("2024Summer!"),
            emma.message("R2d2Pass!x"),
        ]
        for update in typed:
            await emma.send(update, "Never type your password")
        await emma.say("I'd like to register my EOS R8", "serial")
        await emma.say("083023001199", "When")
        await emma.say("March 2024", "country")
        await emma.say("UK", "shop")
        dealer = emma.message("ho provato con GattoNero#2024 ma non entra")
        typed.append(dealer)
        await emma.send(dealer, "Never type your password")
        await emma.say("Wex Photo Video", "Confirm")
        await emma.press("Confirm and register", "points")
        await emma.say("I want to talk to a person", "one sentence")
        asked = emma.message("la mia password è Tr0ub4dor&3")
        typed.append(asked)
        await emma.send(asked, "Never type your password")
        await emma.say(f"login fails, call me at {PHONE} or write to {PRIVATE_MAIL}", "request no.")

        await sofia.say("quanti punti ho?", "collegare la chat")
        await sofia.say("sofia.conti@example.com", "6 cifre")
        with application.channel.engine.services.uow() as uow:
            query = select(OutboxEmail).where(OutboxEmail.kind == "link_code")
            [code] = [mail.template_data["code"] for mail in uow.session.scalars(query)]
        await sofia.say(code, "Hai 2.000 punti")
        await sofia.say("voglio parlare con una persona", "una frase")
        await sofia.say("non riesco a entrare", "richiesta n.")

        await slack.wait_for(lambda: len(slack.posted(staffed.slack_staff_channel)) == 2)
        await helpdesk.wait_for(lambda: len(helpdesk.created()) == 2)

    # Telegram: every message with a password was deleted, and none came back in a reply
    deleted = {c.params["message_id"] for c in fake.called("deleteMessage", chat_id=EMMA)}
    assert deleted == {update["message"]["message_id"] for update in typed}
    said_back = "\n".join(fake.sent(EMMA))
    # staff and the helpdesk: the cards, threads and tickets as received
    to_slack = json.dumps([c.params for c in slack.calls], ensure_ascii=False)
    to_helpdesk = json.dumps([t.body for t in helpdesk.tickets.values()], ensure_ascii=False)
    assert "login fails" in to_helpdesk and "login fails" in to_slack  # the reason is there
    logged = "\n".join(
        r.getMessage() + (logging.Formatter().formatException(r.exc_info) if r.exc_info else "")
        for r in caplog.records
    )
    stored = everything_stored(database_url)
    for place, found in {
        "replies": said_back,
        "slack": to_slack,
        "helpdesk": to_helpdesk,
        "logs": logged,
        "tables": stored,
    }.items():
        for secret in PASSWORDS:
            assert secret not in found, (place, secret)
        if place != "tables":  # the outbox holds the code until the mail is sent
            assert code not in found, (place, "code")
        assert PHONE not in found and "333 123" not in found, (place, "phone")
        assert PRIVATE_MAIL not in found, (place, "e-mail")
    with application.channel.engine.services.uow() as uow:
        transcripts = str([e.transcript for e in uow.session.scalars(select(Escalation))])
    assert code not in transcripts and "non riesco a entrare" in transcripts
    file = sqlite_file(database_url)
    for secret in PASSWORDS:
        assert secret.encode() not in file, secret
    assert "Wex Photo Video" in stored  # what should be kept was kept
