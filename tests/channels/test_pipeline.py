"""The durable message path end to end: through the real python-telegram-bot stack against
the fake Bot API, what an operator's bad day does to members' messages.

A process killed mid-traffic, a long 429 storm, an update PTB cannot parse, two webhook
workers on one PostgreSQL, PostgreSQL dropping every connection: every message is
answered, in each chat's order, and no turn's domain effect (a mail, a registration) is
applied twice. Waits are bounded waits on the fake's call log; nothing sleeps.
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, func, select, text
from typer.testing import CliRunner

from bot.bootstrap import bootstrap, build_dialogue
from bot.cli.main import app as cli
from bot.domain import schema
from bot.domain.models import Delivery, InboxEvent, OutboxEmail
from bot.domain.types import InboxStatus
from bot.flows.messages import Reply, Turn
from bot.handlers.telegram_intake import inbound
from bot.seed import load_demo_members, load_reference_data
from bot.settings import Settings, load_settings
from tests.channels.conftest import polling_bot, poster, webhook_bot
from tests.channels.test_telegram import cps_bot_run
from tests.conftest import DATA_DIR
from tests.support import create_throwaway_database, drop_database, postgres_or_skip

# Linked chats (one per demo member) and what each writes, with a marker of each answer.
LINKED = {
    501: ("giulia.rossi@example.com", "it"),
    502: ("marco.bianchi@example.com", "it"),
    503: ("sofia.conti@example.com", "it"),
    504: ("emma.clark@example.com", "en"),
    505: ("lukas.weber@example.com", "de"),  # answered in their account's language
    506: ("pierre.martin@example.com", "fr"),
}
SCRIPT = {
    "it": [
        ("voglio reimpostare la password", "link sicuro"),
        ("sì", "donotreply@canoneurope.com"),
        ("quanti punti ho?", "punti"),
        ("grazie", "Figurati"),
    ],
    "en": [
        ("reset my password", "secure link"),
        ("yes", "donotreply@canoneurope.com"),
        ("how many points do I have?", "points"),
        ("thanks", "welcome"),
    ],
    "de": [
        ("ich möchte mein Passwort zurücksetzen", "sicheren Link"),
        ("ja", "donotreply@canoneurope.com"),
        ("wie viele Punkte habe ich?", "Punkte"),
        ("danke", "Gern geschehen"),
    ],
    "fr": [
        ("je voudrais réinitialiser mon mot de passe", "lien sécurisé"),
        ("oui", "donotreply@canoneurope.com"),
        ("combien de points ai-je ?", "points"),
        ("merci", "Avec plaisir"),
    ],
}
GUESTS = [601, 602, 603, 604]  # not linked: they greet, ask for help, thank
GUEST_SCRIPT = [("/start", "Ciao!"), ("aiuto", "Posso aiutarti"), ("ciao", ""), ("grazie", "")]


def link_chats(database_url: str) -> None:
    app = bootstrap(load_settings(database_url=database_url))
    engine = build_dialogue(app, None)
    for chat_id, (email, _language) in LINKED.items():
        engine.link(f"telegram:{chat_id}", email)
    app.close()


def traffic(fake) -> list[dict]:  # type: ignore[no-untyped-def]
    """Forty messages, the chats' turns interleaved as members would write them."""
    updates = []
    for step in range(4):
        for chat_id, (_email, language) in LINKED.items():
            updates.append(
                fake.message_update(chat_id, SCRIPT[language][step][0], language=language)
            )
        for chat_id in GUESTS:
            updates.append(fake.message_update(chat_id, GUEST_SCRIPT[step][0], language="it"))
    return updates


def answered_in_order(fake) -> bool:  # type: ignore[no-untyped-def]
    """Every chat has an answer to each of its four messages, in order."""
    for chat_id, (_email, language) in LINKED.items():
        if not in_order(fake.sent(chat_id), [marker for _text, marker in SCRIPT[language]]):
            return False
    return all(len(fake.sent(chat_id)) >= 4 for chat_id in GUESTS)


def in_order(texts: list[str], markers: list[str]) -> bool:
    position = 0
    for marker in markers:
        while position < len(texts) and marker not in texts[position]:
            position += 1
        if position == len(texts):
            return False
        position += 1
    return True


def mails_per_member(database_url: str) -> dict[str, int]:
    """Password links mailed, per member (the demo's welcome mails are not counted)."""
    engine = create_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(
            select(OutboxEmail.recipient, func.count())
            .where(OutboxEmail.kind.in_(["password_set", "password_reset"]))
            .group_by(OutboxEmail.recipient)
        ).all()
    engine.dispose()
    return dict(rows)


async def settled(database_url: str, timeout: float = 30) -> None:
    """Waits (bounded) until every stored event is handled and every delivery made: the
    database's last word comes after the fake's, so the fake's call log cannot tell."""
    async with asyncio.timeout(timeout):
        while left_over(database_url) != (0, 0):
            await asyncio.sleep(0.05)


def left_over(database_url: str) -> tuple[int, int]:
    """Inbox events not done, and deliveries not delivered."""
    engine = create_engine(database_url)
    with engine.connect() as connection:
        events = connection.execute(
            select(func.count())
            .select_from(InboxEvent)
            .where(InboxEvent.status != InboxStatus.DONE.value)
        ).scalar_one()
        deliveries = connection.execute(
            select(func.count()).select_from(Delivery).where(Delivery.delivered_at.is_(None))
        ).scalar_one()
    engine.dispose()
    return events, deliveries


# -- a process killed mid-traffic ---------------------------------------------------------
async def test_sigkill_mid_traffic_then_restart_answers_every_message_once_applied(
    fake, database_url, nlu_cache
):
    link_chats(database_url)
    for update in traffic(fake):
        fake.inject(update)
    first = await cps_bot_run(fake, database_url, nlu_cache)
    try:
        await fake.wait_for(lambda: len(fake.called("sendMessage")) >= 8, timeout=60)
    finally:
        first.send_signal(signal.SIGKILL)
        await asyncio.wait_for(first.communicate(), 15)
    fetched = max(int(c.params.get("offset", 0)) for c in fake.called("getUpdates"))
    assert fetched > 0  # the killed process had confirmed updates it had not all answered
    assert not answered_in_order(fake)

    second = await cps_bot_run(fake, database_url, nlu_cache)
    try:
        await fake.wait_for(lambda: answered_in_order(fake), timeout=60)
        await settled(database_url)
    finally:
        second.send_signal(signal.SIGINT)
        out, err = await asyncio.wait_for(second.communicate(), 15)
    assert second.returncode == 0, (out + err).decode()
    # Each member asked once for a password link: one mail each, though a process died.
    assert mails_per_member(database_url) == {email: 1 for email, _ in LINKED.values()}


# -- a worker beside the listeners -------------------------------------------------------
async def test_a_worker_answers_what_a_killed_listener_had_stored(fake, database_url, nlu_cache):
    link_chats(database_url)
    # A webhook listener stored these two updates before its 200s, then died.
    stored = [
        fake.message_update(504, "how many points do I have?", language="en"),
        fake.message_update(505, "danke", language="de"),
    ]
    app = bootstrap(load_settings(database_url=database_url))
    assert build_dialogue(app, None).pipeline.receive_many([inbound(u) for u in stored])
    app.close()
    worker = await cps_bot_run(
        fake, database_url, nlu_cache, command="worker", CPS_INBOX_RETRY_SECONDS="0.2"
    )
    try:
        await fake.wait_for(
            lambda: any("400 points" in t for t in fake.sent(504)) and fake.sent(505), timeout=60
        )
        await settled(database_url)
    finally:
        worker.send_signal(signal.SIGINT)
        out, err = await asyncio.wait_for(worker.communicate(), 15)
    assert worker.returncode == 0, (out + err).decode()
    assert "Gern geschehen" in fake.sent(505)[0]  # Lukas, in German
    assert fake.called("getUpdates") == []  # a worker never polls, nor serves a webhook


# -- an update nobody can parse -----------------------------------------------------------
async def test_an_unparseable_update_is_set_aside_while_ten_members_are_answered(
    bot, fake, member, database_url, caplog, monkeypatch
):
    broken = {
        "update_id": 999,
        "message": {
            "message_id": 1,
            "date": "yesterday",  # not a timestamp: Update.de_json raises
            "chat": {"id": 700, "type": "private"},
            "text": "my card number is 4111 1111 1111 1111",
        },
    }
    fake.inject(broken)
    members = [member(chat_id, "it") for chat_id in range(710, 720)]
    caplog.set_level(logging.INFO)
    async with bot():
        await asyncio.gather(*(m.say("/start", "Ciao!") for m in members))
    assert all(fake.sent(m.chat_id) for m in members)
    polls = len(fake.called("getUpdates"))
    assert polls < 30, f"{polls} getUpdates calls: the bad update was fetched again and again"
    said = [r.getMessage() for r in caplog.records if "999" in r.getMessage()]
    assert len(said) == 1 and "set aside" in said[0]
    assert "4111" not in caplog.text

    monkeypatch.setenv("CPS_DATABASE_URL", database_url)
    listed = CliRunner().invoke(cli, ["inbox", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    [dead] = [json.loads(line) for line in listed.output.splitlines()]
    assert (dead["channel"], dead["event_id"]) == ("telegram", "999")
    assert dead["reason"].startswith("unparseable")
    assert "4111" not in listed.output
    replayed = CliRunner().invoke(cli, ["inbox", "replay", str(dead["id"])])
    assert replayed.exit_code == 0 and "pending again" in replayed.output
    again = CliRunner().invoke(cli, ["inbox", "replay", str(dead["id"])])
    assert again.exit_code == 1  # pending now, not set aside: nothing to replay


# -- a long 429 storm ---------------------------------------------------------------------
async def test_a_60_second_429_storm_delays_every_answer_and_keeps_each_chat_in_order(
    bot, fake, stub_engine
):
    def echo(turn: Turn) -> list[Reply]:
        return [Reply(f"echo {turn.text}")]

    chats = list(range(801, 811))
    fake.storm("sendMessage", 60, retry_after=1)
    async with bot(engine=stub_engine(echo)):
        for number in range(1, 4):
            for chat_id in chats:
                fake.inject(fake.message_update(chat_id, f"m{number}", language="en"))
        await fake.wait_for(
            lambda: all(len(fake.sent(chat_id)) == 3 for chat_id in chats), timeout=120
        )
    tries = [c for c in fake.calls if c.method == "sendMessage"]
    refused = [c for c in tries if c.status == 429]
    assert len(refused) >= 10  # the storm did refuse them, for a minute
    assert min(c.at for c in tries if c.status == 200) - refused[0].at >= 59
    for chat_id in chats:
        assert fake.sent(chat_id) == ["echo m1", "echo m2", "echo m3"]


# -- PostgreSQL: two workers, and connections dropped ----------------------------------------
@pytest.fixture
def pg_demo_url() -> Iterator[str]:
    postgres_or_skip()
    url = create_throwaway_database()
    app = bootstrap(load_settings(database_url=url))
    schema.upgrade(app.engine)
    load_reference_data(app.uow(), DATA_DIR)
    load_demo_members(app.uow(), DATA_DIR)
    app.close()
    yield url
    drop_database(url)


@pytest.mark.postgres
async def test_two_webhook_workers_on_postgresql_answer_one_chat_in_order_applying_once(
    settings: Settings, fake, member, pg_demo_url
):
    on_pg = settings.model_copy(update={"database_url": pg_demo_url})
    link_chats(pg_demo_url)
    async with webhook_bot(on_pg) as first, webhook_bot(on_pg) as second:
        workers = [poster(first), poster(second)]
        emma = member(504, "en")
        for number, (line, marker) in enumerate(SCRIPT["en"]):
            update = emma.message(line)
            await workers[number % 2](update)  # updates alternate between the workers
            await fake.wait_for(lambda m=marker: m in "\n".join(fake.sent(504)), timeout=20)
        again = emma.message("how many points do I have?")
        await workers[0](again)
        await workers[1](again)  # the same update delivered to both
        await settled(pg_demo_url)
        await workers[1](emma.message("thanks"))
        await fake.wait_for(lambda: sum("welcome" in t for t in fake.sent(504)) == 2, timeout=20)
    assert in_order(fake.sent(504), [m for _t, m in SCRIPT["en"]] + ["points", "welcome"])
    assert sum("2,600 points" in t or "400 points" in t for t in fake.sent(504)) == 2
    assert mails_per_member(pg_demo_url) == {"emma.clark@example.com": 1}


@pytest.mark.postgres
async def test_postgresql_dropping_every_connection_mid_traffic_loses_nothing(
    settings: Settings, fake, pg_demo_url
):
    on_pg = settings.model_copy(update={"database_url": pg_demo_url})
    link_chats(pg_demo_url)
    admin = create_engine(pg_demo_url, isolation_level="AUTOCOMMIT")
    terminate = text(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )
    try:
        async with polling_bot(on_pg):
            for update in traffic(fake):
                fake.inject(update)
            await fake.wait_for(lambda: len(fake.called("sendMessage")) >= 6, timeout=30)
            with admin.connect() as connection:
                dropped = connection.execute(terminate).scalar_one()
            await fake.wait_for(lambda: answered_in_order(fake), timeout=60)
            await settled(pg_demo_url)
    finally:
        admin.dispose()
    assert dropped >= 1
    assert mails_per_member(pg_demo_url) == {email: 1 for email, _ in LINKED.values()}
