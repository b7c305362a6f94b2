"""Priority support: escalations reach the helpdesk through outages, once; its webhook is signed.

The worker runs against the fake helpdesk over real HTTP (httpx); time moves with the
`FixedClock` of the unit of work (backoff and Retry-After are next-attempt times in the
database), so no test sleeps. The inbound webhook is driven in-process through ASGI.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from starlette.applications import Starlette

from bot.domain.models import AuditEntry
from bot.domain.services import handoff
from bot.domain.unit_of_work import UnitOfWork
from bot.handlers.delivery import DeliveryWorker, RetryLater
from bot.handlers.helpdesk import MAX_BODY, HelpdeskClient, Rejected, helpdesk_routes
from tests.channels.fake_helpdesk import TOKEN, FakeHelpdesk, signed_event
from tests.channels.loopback import free_port
from tests.domain.builders import new_member

SECRET = "helpdesk-webhook-secret"


@pytest.fixture
async def client(helpdesk: FakeHelpdesk) -> AsyncIterator[HelpdeskClient]:
    async with HelpdeskClient(helpdesk.tickets_url, TOKEN, timeout=2) as hd:
        yield hd


def worker(uow: UnitOfWork, client: HelpdeskClient, **options: Any) -> DeliveryWorker:
    settings = {"poll_seconds": 60, "backoff_seconds": 1, "backoff_max_seconds": 60, **options}
    return DeliveryWorker(
        lambda: uow, ["helpdesk"], client.submit, outbox=handoff, name="helpdesk", **settings
    )


def escalate(uow: UnitOfWork, chat: int = 1, email: str | None = None) -> int:
    transcript = [{"who": "member", "text": "I want to speak to a person"}]
    return handoff.open_escalation(
        uow, email, "member_request", transcript, conversation_key=f"telegram:{chat}"
    )


# -- outbound -------------------------------------------------------------------------
async def test_retried_after_503s_and_a_429_with_retry_after(uow, clock, helpdesk, client):
    escalation = escalate(uow, email=new_member(uow))
    helpdesk.fail(times=2, status=503)
    helpdesk.rate_limit(retry_after=30)
    hd = worker(uow, client)

    assert await hd.run_once() == 0  # 503: next attempt in 1 s
    assert await hd.run_once() == 0 and len(helpdesk.calls) == 1  # not due yet
    clock.advance(seconds=1)
    assert await hd.run_once() == 0  # 503 again: 2 s
    clock.advance(seconds=2)
    assert await hd.run_once() == 0  # 429: Retry-After 30 s beats the 4 s backoff
    clock.advance(seconds=29)
    assert await hd.run_once() == 0 and len(helpdesk.calls) == 3
    clock.advance(seconds=1)
    assert await hd.run_once() == 1

    assert [c.status for c in helpdesk.calls] == [503, 503, 429, 201]
    assert {c.key for c in helpdesk.calls} == {f"escalation-{escalation}-helpdesk"}
    (ticket,) = helpdesk.tickets.values()
    assert ticket.body["escalation_id"] == escalation
    assert ticket.body["member"]["email"] == "anna@example.com"
    assert handoff.get(uow, escalation).helpdesk_ticket == ticket.id
    assert handoff.pending(uow, "helpdesk") == 0


async def test_a_lost_answer_is_posted_again_and_makes_one_ticket(uow, clock, helpdesk, client):
    escalation = escalate(uow)
    helpdesk.fail(times=1, status=502, after_create=True)
    hd = worker(uow, client)
    assert await hd.run_once() == 0
    clock.advance(seconds=1)
    assert await hd.run_once() == 1
    first, second = helpdesk.calls
    assert first.key == second.key and (first.ticket, second.replay) == ("HD-1", True)
    assert list(helpdesk.tickets) == ["HD-1"]
    assert handoff.get(uow, escalation).helpdesk_ticket == "HD-1"


async def test_a_timed_out_post_that_landed_anyway_makes_one_ticket(uow, clock, helpdesk):
    escalation = escalate(uow)
    helpdesk.hold()
    async with HelpdeskClient(helpdesk.tickets_url, TOKEN, timeout=0.2) as impatient:
        hd = worker(uow, impatient)
        assert await hd.run_once() == 0  # gave up waiting; the helpdesk is still working
        helpdesk.release()
        await helpdesk.wait_for(lambda: helpdesk.calls[0].ticket)
        clock.advance(seconds=1)
        assert await hd.run_once() == 1
    assert [c.replay for c in helpdesk.calls] == [False, True]
    assert list(helpdesk.tickets) == ["HD-1"]
    assert handoff.get(uow, escalation).helpdesk_ticket == "HD-1"


async def test_a_long_outage_loses_nothing(uow, clock, helpdesk, client):
    escalations = [escalate(uow, chat) for chat in (1, 2, 3)]
    helpdesk.fail(times=10_000, status=503)
    hd = worker(uow, client, backoff_max_seconds=300)
    for hour in range(24):
        clock.advance(hours=1 if hour else 0)
        assert await hd.run_once() == 0
    assert handoff.pending(uow, "helpdesk") == 3
    assert len(helpdesk.calls) == 3 * 24  # one try per escalation each time it came due

    helpdesk.faults.clear()  # back up: the backoff is capped, so it is tried within 5 minutes
    clock.advance(seconds=299)
    assert await hd.run_once() == 0
    clock.advance(seconds=1)
    assert await hd.run_once() == 3
    assert handoff.pending(uow, "helpdesk") == 0
    assert len(helpdesk.tickets) == 3 and len(helpdesk.created()) == 3
    tickets = {handoff.get(uow, e).helpdesk_ticket for e in escalations}
    assert tickets == set(helpdesk.tickets)


async def test_an_unreachable_helpdesk_is_retried_later():
    url = f"http://127.0.0.1:{free_port()}/tickets"  # a port nobody listens on
    async with HelpdeskClient(url, TOKEN, timeout=2) as nowhere:
        with pytest.raises(RetryLater, match="unreachable"):
            await nowhere.submit(SimpleNamespace(id=1, payload={}, idempotency_key="k"))


async def test_a_refusal_is_logged_without_secrets_and_kept(uow, clock, helpdesk, caplog):
    escalate(uow)
    caplog.set_level(logging.INFO)
    async with HelpdeskClient(helpdesk.tickets_url, "wrong-token-xyz", timeout=2) as wrong:
        with pytest.raises(Rejected, match="401"):
            await wrong.submit(SimpleNamespace(id=1, payload={}, idempotency_key="k"))
        assert await worker(uow, wrong).run_once() == 0
        clock.advance(seconds=1)
        assert await worker(uow, wrong).run_once() == 0  # still refused, still kept
    assert handoff.pending(uow, "helpdesk") == 1
    assert "helpdesk refused" in caplog.text
    assert "wrong-token-xyz" not in caplog.text and "I want to speak" not in caplog.text

    async with HelpdeskClient(helpdesk.tickets_url, TOKEN, timeout=2) as fixed:
        clock.advance(seconds=60)
        assert await worker(uow, fixed).run_once() == 1
    assert len(helpdesk.tickets) == 1


async def test_wake_sends_a_new_escalation_at_once(uow, helpdesk, client):
    hd = worker(uow, client, poll_seconds=60)  # without wake() the next round is a minute away
    escalate(uow, 1)
    hd.start()
    try:
        await helpdesk.wait_for(lambda: len(helpdesk.created()) == 1)  # the first round
        escalate(uow, 2)
        hd.wake()
        await helpdesk.wait_for(lambda: len(helpdesk.created()) == 2)
    finally:
        started = time.monotonic()
        await hd.stop()
        assert time.monotonic() - started < 1


async def test_a_failed_delivery_holds_back_the_later_ones_of_its_escalation(uow, clock):
    """Staff replies reach the member in order even when the first one had to wait."""
    escalation = escalate(uow)
    handoff.claim(uow, escalation, "U1", "Giulia Rossi")
    for n in (1, 2):
        handoff.relay_to_member(uow, escalation, "U1", "Giulia Rossi", f"reply {n}", f"Ev{n}")
    sent: list[str] = []

    async def send(delivery: Any) -> None:
        kind = delivery.payload["kind"]
        if not sent:
            sent.append(f"refused {kind}")
            raise RetryLater("Telegram said wait", retry_after=1)
        sent.append(delivery.payload["params"].get("text", kind))

    member = DeliveryWorker(lambda: uow, ["member"], send, outbox=handoff, backoff_seconds=1)
    assert await member.run_once() == 0
    clock.advance(seconds=1)
    assert await member.run_once() == 3
    assert sent == ["refused claimed", "claimed", "reply 1", "reply 2"]


# -- inbound --------------------------------------------------------------------------
class Webhook:
    """Posts to /helpdesk/events as the helpdesk does; `woken` counts the on_update calls."""

    client: httpx.AsyncClient

    def __init__(self) -> None:
        self.woken = 0

    async def __call__(self, body: bytes, headers: dict[str, str]) -> httpx.Response:
        return await self.client.post("/helpdesk/events", content=body, headers=headers)

    def wake(self) -> None:
        self.woken += 1


@pytest.fixture
async def webhook(uow: UnitOfWork) -> AsyncIterator[Webhook]:
    hook = Webhook()
    routes = helpdesk_routes(
        lambda: uow, SECRET, record=handoff.helpdesk_update, on_update=hook.wake
    )
    transport = httpx.ASGITransport(app=Starlette(routes=routes))
    async with httpx.AsyncClient(transport=transport, base_url="https://bot.example.com") as hc:
        hook.client = hc
        yield hook


def updates(uow: UnitOfWork) -> int:
    with uow:
        query = select(func.count()).select_from(AuditEntry).where(AuditEntry.actor == "helpdesk")
        return int(uow.session.scalar(query) or 0)


async def test_a_replayed_event_is_answered_once(uow, webhook):
    escalation = escalate(uow)
    event = signed_event(
        SECRET, event_id="ev-1", escalation_id=escalation, status="in_progress", ticket="HD-9"
    )
    first = await webhook(*event)
    assert (first.status_code, first.json()) == (200, {"ok": True, "duplicate": False})
    again = await webhook(*event)  # the helpdesk did not see our answer and retries
    assert (again.status_code, again.json()) == (200, {"ok": True, "duplicate": True})

    view = handoff.get(uow, escalation)
    assert (view.helpdesk_status, view.helpdesk_ticket) == ("in_progress", "HD-9")
    assert updates(uow) == 1 and handoff.pending(uow, "slack_card_update") == 1
    assert webhook.woken == 1


@pytest.mark.parametrize(
    "forge",
    [
        lambda body, h: (body, {**h, "X-Helpdesk-Signature": "sha256=" + "0" * 64}),
        lambda body, h: (body.replace(b"solved", b"closed"), h),  # tampered after signing
        lambda body, h: (body, {k: v for k, v in h.items() if k != "X-Helpdesk-Signature"}),
        lambda body, h: (body, {k: v for k, v in h.items() if k != "X-Helpdesk-Timestamp"}),
        lambda body, h: (body, {**h, "X-Helpdesk-Timestamp": "soon"}),
    ],
    ids=["wrong-signature", "tampered", "no-signature", "no-timestamp", "bad-timestamp"],
)
async def test_bad_signatures_are_refused(uow, webhook, forge):
    escalation = escalate(uow)
    event = signed_event(SECRET, event_id="ev-x", escalation_id=escalation, status="solved")
    answer = await webhook(*forge(*event))
    assert answer.status_code == 401
    assert handoff.get(uow, escalation).helpdesk_status is None and updates(uow) == 0


@pytest.mark.parametrize("age", [-301, 301, 3600])
async def test_stale_or_future_timestamps_are_refused(uow, webhook, age):
    escalation = escalate(uow)
    event = signed_event(
        SECRET, event_id="ev-s", escalation_id=escalation, status="solved",
        timestamp=time.time() - age,
    )  # fmt: skip
    assert (await webhook(*event)).status_code == 401
    assert updates(uow) == 0


async def test_another_secret_is_refused(uow, webhook):
    escalation = escalate(uow)
    event = signed_event("not-the-secret", event_id="e", escalation_id=escalation, status="x")
    assert (await webhook(*event)).status_code == 401


@pytest.mark.parametrize(
    "document",
    [
        b"not json",
        b"[1, 2]",
        json.dumps({"event_id": "e", "escalation_id": "1", "status": "x"}).encode(),
        json.dumps({"event_id": "e", "escalation_id": True, "status": "x"}).encode(),
        json.dumps({"event_id": "", "escalation_id": 1, "status": "x"}).encode(),
        json.dumps({"event_id": "e", "escalation_id": 1}).encode(),
    ],
)
async def test_signed_nonsense_is_a_bad_request(uow, webhook, document):
    headers = signed_event(SECRET, event_id="e", escalation_id=1, status="x")[1]
    assert (await webhook(document, _resign(document, headers))).status_code == 400


async def test_unknown_escalation_and_oversized_bodies(uow, webhook):
    unknown = signed_event(SECRET, event_id="e-404", escalation_id=999, status="x")
    answer = await webhook(*unknown)
    assert (answer.status_code, answer.json()["error"]) == (404, "escalation_not_found")
    huge = b" " * (MAX_BODY + 1)
    headers = signed_event(SECRET, event_id="e", escalation_id=1, status="x")[1]
    assert (await webhook(huge, _resign(huge, headers))).status_code == 413


def _resign(body: bytes, headers: dict[str, str]) -> dict[str, str]:
    stamp = headers["X-Helpdesk-Timestamp"]
    digest = hmac.new(SECRET.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {**headers, "X-Helpdesk-Signature": f"sha256={digest}"}


def test_an_empty_secret_is_never_used_to_check_signatures(uow):
    with pytest.raises(ValueError, match="non-empty secret"):
        helpdesk_routes(uow, "  ", record=handoff.helpdesk_update)
