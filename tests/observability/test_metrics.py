"""`GET /metrics`: what Prometheus reads after members chatted on the console, asked for a
person, were mailed, and deliveries failed, parsed by prometheus-client's own parser.

The counters belong to the process (every test moves them), so a test reads them before
and after what it does; the database's figures are the test's own database's, read at
each scrape, by the clock the test moves.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from starlette.applications import Starlette
from telegram.error import RetryAfter

from bot.bootstrap import bootstrap, build_identity_store
from bot.domain.models import Delivery, Escalation
from bot.domain.services import accounts, deliveries, handoff
from bot.domain.types import DeliveryTarget, PasswordLinkPurpose
from bot.flows.pipeline import Inbound
from bot.handlers.console import ConsoleChat
from bot.handlers.delivery import DeliveryWorker, RetryLater
from bot.handlers.telegram_outbound import TelegramOutbound
from bot.mail_side import deliver_due
from bot.nlu.engines import RasaEngine
from bot.settings import PROJECT_ROOT, load_settings
from bot.web.app import web_routes
from tests.channels.smtp_server import smtp_server
from tests.observability.conftest import EMMA, scrape, served

OUTCOMES = ("understood", "not_understood", "password")
TOKEN = "scrape-token-Kq7_20x"


async def ask_for_a_person(chat: ConsoleChat) -> None:
    await chat.send("I want to talk to a person")
    await chat.send("1")  # "Skip" the one-sentence summary: the escalation is opened


async def test_turns_move_the_counters_of_their_channel_and_outcome(app, emma):
    async with served(app) as client:
        before = await scrape(client)
        await emma.send("how many points do I have?")
        await emma.send("blorp zzkv qwxy")
        await emma.send("my password is Tr0ub4dor&3")  # hidden and warned about, never parsed
        after = await scrape(client)

    def moved(sample: str, **labels: str) -> float:
        return after.value(sample, **labels) - before.value(sample, **labels)

    turns = {
        outcome: moved("cps_turns_total", channel="console", outcome=outcome)
        for outcome in OUTCOMES
    }
    assert turns == {"understood": 1, "not_understood": 1, "password": 1}
    assert set(OUTCOMES) <= set(after.labelled("cps_turns_total", "outcome"))
    assert moved("cps_turn_seconds_count", channel="console") == 3
    assert moved("cps_nlu_seconds_count", engine="embedded") == 2  # the password never was
    fallbacks = after.labelled("cps_nlu_fallbacks_total", "reason")
    earlier = before.labelled("cps_nlu_fallbacks_total", "reason")
    assert sum(fallbacks.values()) - sum(earlier.values()) == 1  # "blorp zzkv qwxy"


async def test_the_database_figures_are_read_at_each_scrape(app, clock, dialogue, emma):
    sla = app.settings.handoff_claim_sla_minutes
    async with served(app) as client:
        before = await scrape(client)
        await ask_for_a_person(emma)
        await emma.send("I forgot my password")
        await emma.send("1")  # "Yes": a reset link is mailed
        opened = await scrape(client)
        clock.advance(minutes=sla + 1)
        late = await scrape(client)
        with app.uow() as uow:
            [escalation] = uow.session.scalars(select(Escalation.id)).all()
        handoff.claim(app.uow(), escalation, "U0STAFF", "Ann Staff")
        event = Inbound("telegram", "update-9", "telegram:9", 9, {"update_id": 9})
        dialogue.pipeline.set_aside(event, "cannot be parsed")
        claimed = await scrape(client)

    assert before.value("cps_operations_up") == 1
    assert before.labelled("cps_escalations", "status") == {"open": 0, "claimed": 0}
    # The card and the ticket wait (no Slack, no helpdesk here); the chat's answers were shown.
    assert opened.labelled("cps_outbox_pending", "channel") == {"slack": 1, "helpdesk": 1}
    assert opened.labelled("cps_escalations", "status") == {"open": 1, "claimed": 0}
    assert opened.value("cps_escalations_unclaimed_past_sla") == 0
    assert opened.value("cps_emails_pending") == before.value("cps_emails_pending") + 1

    assert late.value("cps_escalations_unclaimed_past_sla") == 1
    age = (sla + 1) * 60.0  # everything was queued at the clock's start
    assert late.labelled("cps_outbox_oldest_age_seconds", "channel") == {
        "slack": age,
        "helpdesk": age,
    }
    assert late.value("cps_emails_oldest_age_seconds") == age

    assert claimed.labelled("cps_escalations", "status") == {"open": 0, "claimed": 1}
    assert claimed.value("cps_escalations_unclaimed_past_sla") == 0
    # The claim queued the card's redraw and told the member who took the chat.
    assert claimed.labelled("cps_outbox_pending", "channel") == {
        "slack": 2,
        "helpdesk": 1,
        "console": 1,
    }
    assert claimed.value("cps_inbox_set_aside") == before.value("cps_inbox_set_aside") + 1


class TelegramDown:
    """The renderer's place at the network edge: Telegram answers 429 to every send."""

    async def send(self, bot: Any, chat_id: int, language: str, replies: list[Any]) -> list[Any]:
        raise RetryAfter(timedelta(seconds=30))


async def test_failed_delivery_attempts_are_counted_and_the_waiting_shown_per_channel(
    app, dialogue, emma, monkeypatch
):
    monkeypatch.setenv("PTB_TIMEDELTA", "1")  # PTB 22.2+ warns on every RetryAfter otherwise

    async def slack_down(_delivery: Any) -> dict[str, Any]:
        raise RetryLater("Slack is down")

    slack = DeliveryWorker(app.uow, ["slack_card"], slack_down, outbox=handoff, name="slack")
    with app.uow() as uow:
        payload = {"kind": "replies", "replies": []}
        key = "reply:telegram:42:1"
        deliveries.enqueue(uow, DeliveryTarget.MEMBER, key, payload, conversation_key="telegram:42")
        uow.commit()
        reply = uow.session.scalars(select(Delivery.id)).one()
    telegram = TelegramOutbound(TelegramDown(), dialogue.pipeline, ("en",), "en", lambda _k: "en")  # type: ignore[arg-type]
    async with served(app) as client:
        before = await scrape(client)
        await ask_for_a_person(emma)
        assert await slack.run_once() == 0
        assert await telegram.send_now(None, 42, reply, "en", []) is False  # type: ignore[arg-type]
        after = await scrape(client)

    def moved(channel: str) -> float:
        sample = "cps_deliveries_failed_total"
        return after.value(sample, channel=channel) - before.value(sample, channel=channel)

    assert (moved("slack"), moved("telegram"), moved("helpdesk")) == (1, 1, 0)
    assert after.labelled("cps_deliveries_failing", "channel") == {
        "slack": 1, "telegram": 1, "helpdesk": 0, "console": 0,
    }  # fmt: skip
    # The card that failed told the member staff cannot be reached yet: a console message.
    assert after.labelled("cps_outbox_pending", "channel") == {
        "slack": 1, "telegram": 1, "helpdesk": 1, "console": 1,
    }  # fmt: skip


async def test_mail_sent_refused_for_good_and_retried_is_counted(app):
    with smtp_server() as smtp:
        mail = load_settings(
            database_url=app.settings.database_url,
            smtp_host=smtp.host,
            smtp_port=smtp.port,
            smtp_security="none",
            delivery_backoff_seconds=600,  # the retried mail is not due again in this pass
        )
        async with served(app) as client:
            before = await scrape(client)
            demo = await deliver_due(mail, app.uow)  # the demo members' welcome mail
            for email in (EMMA, "sofia.conti@example.com", "lukas.weber@example.com"):
                accounts.send_password_link(app.uow(), email, PasswordLinkPurpose.RESET)
            smtp.refuse("451 4.3.0 Mailbox busy", address="sofia.conti@example.com")
            smtp.refuse("550 5.1.1 No such user", address="lukas.weber@example.com")
            links = await deliver_due(mail, app.uow)
            after = await scrape(client)

    def moved(sample: str, **labels: str) -> float:
        return after.value(sample, **labels) - before.value(sample, **labels)

    assert demo.sent == before.value("cps_emails_pending") > 0
    assert (links.sent, links.retried, links.failed) == (1, 1, 1)
    outcomes = {o: moved("cps_emails_total", outcome=o) for o in ("sent", "failed", "retried")}
    assert outcomes == {"sent": demo.sent + 1, "failed": 1, "retried": 1}
    assert after.value("cps_emails_pending") == 1  # sofia's, for a later try
    assert moved("cps_emails_failed") == 1
    assert moved("cps_deliveries_failed_total", channel="email") == 0  # mail is counted apart


async def test_rasa_down_counts_each_message_the_embedded_engine_answered(app, embedded):
    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    rasa = RasaEngine("http://127.0.0.1:5005", None, 1.0, embedded, httpx.MockTransport(refused))
    sample, labels = "cps_nlu_fallbacks_total", {"engine": "rasa", "reason": "server_unavailable"}
    try:
        async with served(app) as client:
            before = await scrape(client)
            read = [await rasa.parse(text, "en") for text in ("how many points?", "hello")]
            after = await scrape(client)
    finally:
        await rasa.aclose()
    assert [r.engine for r in read] == ["embedded", "embedded"]
    assert after.value(sample, **labels) - before.value(sample, **labels) == 2


async def test_with_a_metrics_token_a_scrape_must_bring_it(app, monkeypatch):
    async with served(app) as open_client:
        await scrape(open_client)  # unset: Prometheus on the internal network reads it as it is
    monkeypatch.setenv("CPS_METRICS_TOKEN", TOKEN)
    protected = load_settings(database_url=app.settings.database_url)
    async with served(app, protected) as client:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN},
                        {"Authorization": f"Basic {TOKEN}"}):  # fmt: skip
            refused = await client.get("/metrics", headers=headers)
            assert refused.status_code == 401
            assert "cps_" not in refused.text
        scraped = await scrape(client, Authorization=f"Bearer {TOKEN}")
        assert scraped.value("cps_operations_up") == 1
        posted = await client.post("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert posted.status_code == 405


async def test_the_routes_mounted_beside_a_webhook_serve_metrics_too(app):
    identity = build_identity_store(app.settings)
    routes = web_routes(app.settings, app.uow, identity, health=False)
    transport = httpx.ASGITransport(app=Starlette(routes=routes))
    async with httpx.AsyncClient(transport=transport, base_url="http://cps.test") as client:
        health = await client.get("/healthz")  # the webhook app's own one serves it
        scraped = await scrape(client)
    identity.close()
    assert health.status_code == 404
    assert "cps_escalations" in scraped.families


async def test_every_app_reads_its_own_database_and_many_apps_clash_nowhere(
    app, demo_template: Path, tmp_path: Path
):
    handoff.open_escalation(app.uow(), EMMA, "member_request", [], conversation_key="console:e")
    shutil.copy(demo_template, tmp_path / "other.db")
    other = bootstrap(load_settings(database_url=f"sqlite:///{tmp_path / 'other.db'}"))
    try:
        for _ in range(3):  # tests (and the webhook beside the web app) build app after app
            async with served(app) as first, served(other) as second:
                assert (await scrape(first)).value("cps_escalations", status="open") == 1
                assert (await scrape(second)).value("cps_escalations", status="open") == 0
    finally:
        other.close()


async def test_the_counters_are_served_while_the_database_cannot_be_read(tmp_path: Path):
    empty = bootstrap(load_settings(database_url=f"sqlite:///{tmp_path / 'no-schema.db'}"))
    try:
        async with served(empty) as client:
            scraped = await scrape(client)
    finally:
        empty.close()
    assert scraped.value("cps_operations_up") == 0
    assert {"cps_turns", "cps_emails", "cps_deliveries_failed"} <= scraped.families
    assert "cps_escalations" not in scraped.families


async def test_with_a_multiprocess_directory_one_scrape_adds_up_every_process(
    app, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    directory = tmp_path / "prometheus"
    directory.mkdir()
    worker = (
        "from bot.observability.metrics import observe_turn\n"
        "observe_turn('probe', 'understood', 0.02)"
    )
    environment = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    for _ in range(2):  # two worker processes, each one turn
        subprocess.run([sys.executable, "-c", worker], env=environment, cwd=PROJECT_ROOT,
                       check=True, timeout=60)  # fmt: skip
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(directory))
    async with served(app) as client:
        scraped = await scrape(client)
    assert scraped.value("cps_turns_total", channel="probe", outcome="understood") == 2
    assert scraped.value("cps_turn_seconds_count", channel="probe") == 2
    assert scraped.value("cps_turn_seconds_bucket", channel="probe", le="0.025") == 2
    assert scraped.value("cps_operations_up") == 1  # and the database's figures beside them
    assert scraped.labelled("cps_escalations", "status") == {"open": 0, "claimed": 0}
