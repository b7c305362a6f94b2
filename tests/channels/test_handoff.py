"""The whole live handoff, end to end: a Telegram member, the staff in Slack, the helpdesk.

The complete bot from `bot.runtime.build_bot` (the Telegram application with the Slack staff
app, its delivery workers and the helpdesk worker as companions) polls the fake Bot API;
Slack's requests reach its Starlette routes signed, in-process (httpx.ASGITransport); its
Web API calls go to the fake Slack, its tickets to the fake helpdesk. Nothing sleeps:
every wait is bounded, on a fake's call log.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from sqlalchemy import select
from starlette.applications import Starlette
from telegram.ext import Application, ApplicationBuilder
from typer.testing import CliRunner

from bot.cli.main import app as cli
from bot.domain.models import Delivery as DeliveryRow
from bot.handlers.telegram import ALLOWED_UPDATES
from bot.runtime import build_bot
from bot.settings import Settings
from tests.channels.fake_helpdesk import TOKEN as HELPDESK_TOKEN
from tests.channels.fake_helpdesk import FakeHelpdesk
from tests.channels.fake_slack import APP_TOKEN, BOT_TOKEN, FakeSlack
from tests.channels.loopback import free_port
from tests.channels.slack_requests import SlackRequests, slash_command, thread_message
from tests.channels.test_telegram import cps_bot_run

SECRET = "e2e-slack-signing-secret"
STAFF_CHANNEL = "C0STAFF"
ANNA, OLGA = "U0ANNA", "U0OLGA"  # staff; not staff
EMMA_CHAT = 4201


@pytest.fixture(autouse=True)
def _staff_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CPS_SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("CPS_SLACK_APP_TOKEN", APP_TOKEN)
    monkeypatch.setenv("CPS_SLACK_SIGNING_SECRET", SECRET)
    monkeypatch.setenv("CPS_HELPDESK_TOKEN", HELPDESK_TOKEN)


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    server = FakeSlack(users={ANNA: "Anna Verdi", OLGA: "Olga Esterna"})
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def staffed(settings: Settings, slack: FakeSlack, helpdesk: FakeHelpdesk) -> Settings:
    return settings.model_copy(
        update={
            "telegram_typing_after_seconds": 0.25,
            "slack_mode": "http",
            "slack_base_url": slack.base_url,
            "slack_staff_channel": STAFF_CHANNEL,
            "slack_staff_users": [ANNA],
            "helpdesk_url": helpdesk.tickets_url,
            "delivery_backoff_seconds": 0.05,
            "delivery_backoff_max_seconds": 0.2,
        }
    )


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[tuple[Application, httpx.AsyncClient]]:
    builder = ApplicationBuilder().get_updates_connection_pool_size(2)
    application = build_bot(builder, settings)
    await application.initialize()
    await application.updater.start_polling(
        poll_interval=0, timeout=dtm.timedelta(seconds=1), allowed_updates=ALLOWED_UPDATES
    )
    await application.start()
    transport = httpx.ASGITransport(app=Starlette(routes=application.runtime.routes))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="https://cps.test") as http:
            yield application, http
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()


async def test_member_to_slack_card_claim_relay_both_ways_resolve_and_rating(
    staffed, fake, member, slack, helpdesk
):
    requests = SlackRequests(SECRET, response_url=slack.response_url())
    emma = member(EMMA_CHAT, "en")
    async with running(staffed) as (application, http):
        application.channel.engine.link(f"telegram:{EMMA_CHAT}", "emma.clark@example.com")

        async def slack_says(request) -> None:
            answer = await http.post("/slack/events", **request.post_args())
            assert answer.status_code == 200, answer.text

        # the member asks for a person: a card in the staff channel, a ticket at the helpdesk
        await emma.say("I want to talk to a person", "one sentence")
        await emma.say("my EOS R8 shows Err 70 after the update", "request no. 1")
        [card] = await slack.wait_for(lambda: slack.posted(STAFF_CHANNEL))
        blocks = str(card["blocks"])
        assert "emma.clark@example.com" in blocks and "400" in blocks  # context: points
        assert "Err 70" in blocks  # and the transcript, the bot's side in words, not keys
        assert "put you in touch with a person" in blocks and "handoff.ask_reason" not in blocks
        [ticket] = await helpdesk.wait_for(lambda: helpdesk.created())
        assert ticket.key == "escalation-1-helpdesk" and ticket.body["escalation_id"] == 1

        # someone who is not staff cannot claim it
        before = len(slack.responses)
        await slack_says(
            requests.action("escalation_claim", "1", user=OLGA, channel=STAFF_CHANNEL,
                            message_ts=card["ts"])
        )  # fmt: skip
        await slack.wait_for(lambda: slack.responses[before:])
        # Anna claims it: the member is told who has the chat
        await slack_says(
            requests.action("escalation_claim", "1", user=ANNA, channel=STAFF_CHANNEL,
                            message_ts=card["ts"])
        )  # fmt: skip
        await fake.wait_for(lambda: any("Anna" in t for t in fake.sent(EMMA_CHAT)))
        assert not any("Olga" in t for t in fake.sent(EMMA_CHAT))

        # member -> thread: the bot is quiet and relays
        sent_before = len(fake.sent(EMMA_CHAT))
        fake.inject(emma.message("it happens with every lens"))
        await slack.wait_for(
            lambda: any("every lens" in t for t in slack.thread(STAFF_CHANNEL, card["ts"]))
        )
        # staff -> member, signed with the first name; a note stays in Slack
        await slack_says(
            requests.event(thread_message(channel=STAFF_CHANNEL, user=ANNA,
                                          text="note: firmware 1.3 known issue",
                                          thread_ts=card["ts"]))
        )  # fmt: skip
        await slack_says(
            requests.event(thread_message(channel=STAFF_CHANNEL, user=ANNA,
                                          text="Please install firmware 1.3.1",
                                          thread_ts=card["ts"]))
        )  # fmt: skip
        await fake.wait_for(
            lambda: any("Please install firmware 1.3.1" in t for t in fake.sent(EMMA_CHAT))
        )
        new = fake.sent(EMMA_CHAT)[sent_before:]
        assert new == ["Anna (CPS priority support): Please install firmware 1.3.1"]

        # resolve: the bot is back and asks for a mark, which is stored
        await slack_says(
            requests.action("escalation_resolve", "1", user=ANNA, channel=STAFF_CHANNEL,
                            message_ts=card["ts"])
        )  # fmt: skip
        await fake.wait_for(lambda: any("from 1 (bad) to 5" in t for t in fake.sent(EMMA_CHAT)))
        await emma.press("4", "4 out of 5")
        await emma.say("how many points do I have?", "400")

    with application.channel.engine.services.uow() as uow:
        from bot.domain.models import Escalation

        escalation = uow.session.get(Escalation, 1)
        assert (escalation.status.value, escalation.rating) == ("resolved", 4)
        assert escalation.claimed_by == ANNA
    assert not any("firmware 1.3 known" in t for t in fake.sent(EMMA_CHAT))


async def test_a_slack_outage_keeps_the_escalation_tells_the_member_and_delivers_later(
    staffed, fake, member, slack
):
    emma = member(EMMA_CHAT, "en")
    slack.down()
    async with running(staffed) as (application, _http):
        application.channel.engine.link(f"telegram:{EMMA_CHAT}", "emma.clark@example.com")
        await emma.say("I want to talk to a person", "one sentence")
        await emma.say("my battery drains overnight", "request no. 1")
        await fake.wait_for(
            lambda: any("can't reach the CPS priority support" in t for t in fake.sent(EMMA_CHAT))
        )
        assert slack.posted(STAFF_CHANNEL) == []
        slack.up()  # the next attempt (backoff capped at 0.2 s here) posts the card
        [card] = await slack.wait_for(lambda: slack.posted(STAFF_CHANNEL))
        assert "battery drains overnight" in str(card["blocks"])
    told = [t for t in fake.sent(EMMA_CHAT) if "can't reach" in t]
    assert len(told) == 1  # told once, honestly, not at every retry


# -- `cps-bot run` with the staff side -----------------------------------------------------
def test_run_in_slack_http_mode_without_a_signing_secret_names_it(monkeypatch, database_url):
    monkeypatch.delenv("CPS_SLACK_SIGNING_SECRET")
    monkeypatch.setenv("CPS_DATABASE_URL", database_url)
    monkeypatch.setenv("CPS_SLACK_MODE", "http")
    monkeypatch.setenv("CPS_SLACK_STAFF_CHANNEL", STAFF_CHANNEL)
    result = CliRunner().invoke(cli, ["run"])
    assert result.exit_code == 2
    assert "CPS_SLACK_SIGNING_SECRET is not set" in result.stderr


async def test_cps_bot_run_serves_staff_over_socket_mode_and_never_logs_a_secret(
    fake, slack, database_url, nlu_cache
):
    process = await cps_bot_run(
        fake,
        database_url,
        nlu_cache,
        CPS_SLACK_MODE="socket",
        CPS_SLACK_BASE_URL=slack.base_url,
        CPS_SLACK_STAFF_CHANNEL=STAFF_CHANNEL,
        CPS_SLACK_STAFF_USERS=f'["{ANNA}"]',
    )
    try:
        await slack.wait_connected(timeout=30)  # apps.connections.open, then the websocket
        command = slash_command("queue", user=ANNA, channel=STAFF_CHANNEL,
                                response_url=slack.response_url())  # fmt: skip
        envelope = await slack.push("slash_commands", command)
        await slack.wait_ack(envelope)
        _key, answer = (await slack.wait_for(lambda: slack.responses, timeout=10))[0]
    finally:
        process.send_signal(signal.SIGINT)
        out, err = await asyncio.wait_for(process.communicate(), 15)
    logs = (out + err).decode()
    assert process.returncode == 0, logs
    assert "queue" in answer["text"].lower() or "no open" in answer["text"].lower(), answer
    for secret in (BOT_TOKEN, APP_TOKEN, SECRET, HELPDESK_TOKEN):
        assert secret not in logs


async def test_slack_down_at_start_in_socket_mode_never_stops_the_members_bot(
    staffed, fake, member, slack
):
    emma = member(EMMA_CHAT, "en")
    slack.down()
    socket_mode = staffed.model_copy(update={"slack_mode": "socket"})
    async with running(socket_mode) as (application, _http):
        await emma.say("hello", "CPS")  # members are served while staff are unreachable
        assert slack.sockets == []
        slack.up()
        await slack.wait_connected()  # the next attempt connects
        application.channel.engine.link(f"telegram:{EMMA_CHAT}", "emma.clark@example.com")
        await emma.say("I want to talk to a person", "one sentence")


async def test_a_member_who_blocked_the_bot_is_not_written_to_forever(staffed, fake, member, slack):
    requests = SlackRequests(SECRET, response_url=slack.response_url())
    emma = member(EMMA_CHAT, "en")
    async with running(staffed) as (application, http):
        application.channel.engine.link(f"telegram:{EMMA_CHAT}", "emma.clark@example.com")
        await emma.say("I want to talk to a person", "one sentence")
        await emma.press("Skip", "request no. 1")
        [card] = await slack.wait_for(lambda: slack.posted(STAFF_CHANNEL))
        fake.fail("sendMessage", 403)  # "Forbidden: bot was blocked by the user"
        claim = requests.action("escalation_claim", "1", user=ANNA, channel=STAFF_CHANNEL,
                                message_ts=card["ts"])  # fmt: skip
        assert (await http.post("/slack/events", **claim.post_args())).status_code == 200
        await fake.wait_for(lambda: [c for c in fake.calls if c.status == 403])
        uow = application.channel.engine.services.uow

        def claimed_notice() -> DeliveryRow | None:
            with uow() as opened:
                query = select(DeliveryRow).where(
                    DeliveryRow.idempotency_key.like("%member-claimed")
                )
                row = opened.session.scalars(query).one_or_none()
                return row if row is not None and row.delivered_at is not None else None

        row = await fake.wait_for(claimed_notice)
    assert row.result == {"undeliverable": "Forbidden"} and row.attempts == 0  # not retried
    assert not any("Anna" in t for t in fake.sent(EMMA_CHAT))


async def test_cps_bot_run_polling_serves_slack_http_beside_it_and_stops_cleanly(
    fake, slack, database_url, nlu_cache
):
    port = free_port()
    process = await cps_bot_run(
        fake,
        database_url,
        nlu_cache,
        CPS_SLACK_MODE="http",
        CPS_SLACK_BASE_URL=slack.base_url,
        CPS_SLACK_STAFF_CHANNEL=STAFF_CHANNEL,
        CPS_SLACK_STAFF_USERS=f'["{ANNA}"]',
        CPS_SLACK_LISTEN_PORT=str(port),
    )
    requests = SlackRequests(SECRET, response_url=slack.response_url())
    seen: list[bytes] = []
    try:
        async with asyncio.timeout(30):  # uvicorn says when it listens (our log lines)
            while b"Uvicorn running on" not in (line := await process.stderr.readline()):
                assert line, b"".join(seen).decode()
                seen.append(line)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            genuine = requests.command("queue", user=ANNA, channel=STAFF_CHANNEL)
            answer = await client.post("/slack/events", **genuine.post_args())
            forged = requests.command("queue", user=ANNA, channel=STAFF_CHANNEL,
                                      secret="not-the-secret")  # fmt: skip
            forged = await client.post("/slack/events", **forged.post_args())
        await slack.wait_for(lambda: slack.responses, timeout=10)
    finally:
        process.send_signal(signal.SIGINT)
        out, err = await asyncio.wait_for(process.communicate(), 15)
    logs = (b"".join(seen) + out + err).decode()
    assert (answer.status_code, forged.status_code) == (200, 401)
    assert process.returncode == 0, logs
    assert "Application.stop() complete" in logs or "Application is stopping" in logs, logs
    assert "Task was destroyed" not in logs and "Event loop is closed" not in logs, logs
