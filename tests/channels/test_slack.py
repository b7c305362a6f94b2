"""The Slack staff app end to end: the real slack-bolt stack against the fake Slack on loopback.

Requests reach the app as Slack sends them, signed, through the project's Starlette routes
(`slack_routes`, driven in-process by httpx.ASGITransport) or over Socket Mode's websocket.
The domain is the real one on a private copy of the demo database, observed (not replaced)
so a test can wait for a listener that works after its ack. Nothing sleeps: every wait is
bounded, on the fake's call log or on the observed domain.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select
from starlette.applications import Starlette

from bot.bootstrap import bootstrap
from bot.domain.models import AuditEntry
from bot.domain.models import Delivery as DeliveryRow
from bot.domain.services import handoff, staff
from bot.flows.pipeline import Pipeline
from bot.handlers.delivery import DeliveryWorker, RetryLater
from bot.handlers.slack import (
    SlackConfigError,
    build_slack_app,
    check_settings,
    remind_overdue,
    slack_routes,
    socket_mode_handler,
)
from bot.handlers.slack_blocks import from_mrkdwn
from bot.handlers.slack_delivery import TARGETS, SlackDelivery
from bot.handlers.slack_inbox import CHANNEL as SLACK_INBOX
from bot.handlers.slack_inbox import SlackInboxSweeper, staff_event
from bot.settings import Settings, load_settings
from tests.channels.fake_slack import APP_TOKEN, BOT_TOKEN, FakeSlack
from tests.channels.loopback import free_port
from tests.channels.slack_requests import (
    SlackRequest,
    SlackRequests,
    app_home_opened,
    block_actions,
    thread_message,
)
from tests.support import FixedClock

SECRET = "e5c1-test-signing-secret"
STAFF = "C0STAFF"
ANNA, BRUNO, OLGA = "U0ANNA", "U0BRUNO", "U0OLGA"  # staff, staff by group, not staff
LEADS = "S0LEADS"
EMMA, EMMA_CHAT = "emma.clark@example.com", "telegram:202"
SOFIA = "sofia.conti@example.com"


class Observed:
    """A real domain module whose calls are recorded when they return, from any thread."""

    def __init__(self, module: Any) -> None:
        self.module = module
        self.loop = asyncio.get_running_loop()
        self.results: list[tuple[str, Any]] = []
        self._news = asyncio.Event()

    def __getattr__(self, name: str) -> Any:
        function = getattr(self.module, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            outcome: Any = None
            try:
                outcome = function(*args, **kwargs)
                return outcome
            except Exception as exc:
                outcome = exc
                raise
            finally:
                self.loop.call_soon_threadsafe(self._record, name, outcome)

        return call

    def _record(self, name: str, outcome: Any) -> None:
        self.results.append((name, outcome))
        self._news.set()
        self._news = asyncio.Event()

    def of(self, name: str) -> list[Any]:
        return [outcome for called, outcome in self.results if called == name]

    async def wait(self, name: str, count: int = 1, timeout: float = 5.0) -> Any:
        """The `count`-th result of `name` (an exception is a result too)."""
        async with asyncio.timeout(timeout):
            while len(self.of(name)) < count:
                await self._news.wait()
        return self.of(name)[count - 1]


class Staffroom:
    """The staff app on its Starlette route, its Slack delivery worker, and a signer."""

    def __init__(self, slack: FakeSlack, settings: Settings, clock: FixedClock) -> None:
        self.slack = slack
        self.settings = settings
        self.clock = clock
        self.domain = bootstrap(settings, clock=clock)
        self.uow = self.domain.uow
        self.handoff = Observed(handoff)
        self.woken: list[str] = []
        self.app = build_slack_app(
            settings,
            self.uow,
            handoff=self.handoff,
            staff=staff,
            on_member_message=self.woken.append,
        )
        self.delivery = SlackDelivery(self.app.client, settings, self.uow, handoff=handoff)
        self.worker = DeliveryWorker(
            self.uow, TARGETS, self.delivery.send, outbox=handoff, name="slack"
        )
        self.requests = SlackRequests(SECRET, response_url=slack.response_url())
        transport = httpx.ASGITransport(app=Starlette(routes=slack_routes(self.app)))
        self.http = httpx.AsyncClient(transport=transport, base_url="https://cps.example.com")

    async def post(self, request: SlackRequest) -> httpx.Response:
        return await self.http.post("/slack/events", **request.post_args())

    # -- escalations and their cards ---------------------------------------------------
    def escalate(self, email: str = EMMA, chat: str = EMMA_CHAT) -> int:
        transcript = [{"who": "member", "text": "I want a person <!channel>"}]
        return handoff.open_escalation(
            self.uow(), email, "member_request", transcript, conversation_key=chat, language="en"
        )

    async def with_card(self, email: str = EMMA, chat: str = EMMA_CHAT) -> tuple[int, str]:
        number = self.escalate(email, chat)
        await self.worker.run_once()
        return number, self.card_ts(number)

    def card_ts(self, number: int) -> str:
        view = handoff.get(self.uow(), number)
        assert view.card_channel == STAFF and view.card_ts
        return view.card_ts

    def card_text(self, number: int) -> str:
        message = self.slack.messages[(STAFF, self.card_ts(number))]
        return str(message["blocks"])

    # -- staff doing things ------------------------------------------------------------
    async def press(self, action: str, number: int, user: str) -> None:
        request = self.requests.action(
            action, str(number), user=user, channel=STAFF, message_ts=self.card_ts(number)
        )
        answer = await self.post(request)
        assert answer.status_code == 200, answer.text

    async def reply(self, number: int, user: str, text: str, **event: Any) -> SlackRequest:
        message = thread_message(
            channel=STAFF, user=user, text=text, thread_ts=self.card_ts(number)
        )
        request = self.requests.event(message, **event)
        answer = await self.post(request)
        assert answer.status_code == 200, answer.text
        return request

    async def cps(self, text: str, user: str = ANNA) -> str:
        """The ephemeral answer to `/cps text`, posted to the response_url."""
        before = len(self.slack.responses)
        answer = await self.post(self.requests.command(text, user=user, channel=STAFF))
        assert answer.status_code == 200 and answer.text == ""
        _key, body = (await self.slack.wait_for(lambda: self.slack.responses[before:]))[0]
        assert body["response_type"] == "ephemeral"
        return str(body["text"])

    async def told(self, before: int) -> str:
        """The next ephemeral answer to a button (response_url, never replacing the card)."""
        _key, body = (await self.slack.wait_for(lambda: self.slack.responses[before:]))[0]
        assert body["response_type"] == "ephemeral" and body["replace_original"] is False
        return str(body["text"])

    # -- what the database holds -------------------------------------------------------
    def audit(self) -> list[tuple[str, str, str]]:
        with self.uow() as uow:
            entries = uow.session.scalars(select(AuditEntry).order_by(AuditEntry.id))
            return [(e.actor, e.action, e.target) for e in entries]

    def to_member(self) -> list[dict[str, Any]]:
        with self.uow() as uow:
            query = select(DeliveryRow).where(DeliveryRow.target == "member")
            return [row.payload for row in uow.session.scalars(query.order_by(DeliveryRow.id))]

    async def close(self) -> None:
        await self.http.aclose()
        self.domain.close()


@pytest.fixture(autouse=True)
def _slack_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CPS_SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("CPS_SLACK_APP_TOKEN", APP_TOKEN)
    monkeypatch.setenv("CPS_SLACK_SIGNING_SECRET", SECRET)


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    users = {ANNA: "Anna Verdi", BRUNO: "Bruno Neri", OLGA: "Olga Esterna"}
    server = FakeSlack(users=users, groups={LEADS: [BRUNO]})
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def settings(slack: FakeSlack, database_url: str) -> Settings:
    return load_settings(
        database_url=database_url,
        slack_mode="http",
        slack_base_url=slack.base_url,
        slack_staff_channel=STAFF,
        slack_staff_users=[ANNA],
        slack_staff_groups=[LEADS],
        handoff_claim_sla_minutes=15,
    )


@pytest.fixture
async def room(slack: FakeSlack, settings: Settings, clock: FixedClock) -> AsyncIterator[Staffroom]:
    staffroom = Staffroom(slack, settings, clock)
    yield staffroom
    await staffroom.close()


# -- signatures ---------------------------------------------------------------------------
async def test_bad_and_stale_signatures_are_refused_with_401(room: Staffroom) -> None:
    forged = room.requests.command("queue", user=ANNA, channel=STAFF, secret="not-the-secret")
    stale = room.requests.command("queue", user=ANNA, channel=STAFF, timestamp=time.time() - 600)
    unsigned = room.requests.command("queue", user=ANNA, channel=STAFF)
    for request in (forged, stale):
        assert (await room.post(request)).status_code == 401
    headers = {k: v for k, v in unsigned.headers.items() if k != "X-Slack-Signature"}
    assert (
        await room.http.post("/slack/events", content=unsigned.body, headers=headers)
    ).status_code == 401
    assert room.slack.calls == [] and room.slack.responses == []
    assert "queue is empty" in await room.cps("queue")  # the same request, signed: answered


# -- who may act ----------------------------------------------------------------------------
async def test_someone_not_staff_is_refused_and_nothing_changes(room: Staffroom) -> None:
    number, _ts = await room.with_card()
    audit = room.audit()
    before = len(room.slack.responses)
    await room.press("escalation_claim", number, OLGA)
    assert "only CPS staff" in await room.told(before)
    assert "only CPS staff" in await room.cps(f"points {EMMA}", user=OLGA)
    assert "only CPS staff" in await room.cps(f"resend-password-link {EMMA}", user=OLGA)
    await room.post(room.requests.event(app_home_opened(OLGA)))
    home = await room.slack.wait_for(lambda: room.slack.home.get(OLGA))
    assert "only CPS staff" in str(home["blocks"])
    await room.reply(number, OLGA, "Hi Emma, Olga here")
    [hint] = await room.slack.wait_for(lambda: room.slack.ephemerals)
    assert hint["user"] == OLGA and "stayed in Slack" in hint["text"]
    assert handoff.get(room.uow(), number).status == "open"
    assert room.audit() == audit and room.woken == [] and room.to_member() == []
    assert room.handoff.of("claim") == room.handoff.of("relay_to_member") == []


# -- the staff half of a handoff --------------------------------------------------------
async def test_claim_relay_note_and_resolve(room: Staffroom) -> None:
    number, card_ts = await room.with_card()
    card = room.card_text(number)
    assert EMMA in card and "400" in card and "&lt;!channel&gt;" in card  # escaped, no ping
    assert "<!channel>" not in card
    assert [c.params["channel"] for c in room.slack.called("chat.postMessage")] == [STAFF]

    await room.reply(number, ANNA, "Hello before claiming")  # not live yet: a hint, no relay
    hint = await room.slack.wait_for(lambda: room.slack.ephemerals)
    assert "Claim escalation" in hint[0]["text"] and hint[0]["user"] == ANNA

    await room.press("escalation_claim", number, ANNA)
    view = await room.handoff.wait("claim")
    assert view.claimed_by == ANNA and view.claimed_by_name == "Anna Verdi"
    await room.worker.run_once()
    assert "Claimed by Anna Verdi" in room.card_text(number)

    before = len(room.slack.responses)
    await room.press("escalation_claim", number, BRUNO)  # staff through the user group
    assert await room.told(before) == "Anna Verdi has already claimed this escalation."

    await room.reply(number, ANNA, "Hi Emma, I'm <https://cps.example.com|here> &amp; ready")
    assert await room.handoff.wait("relay_to_member", 2) == "sent"
    await room.reply(number, ANNA, "note: she sounds in a hurry")
    assert await room.handoff.wait("relay_to_member", 3) == "note"
    before = len(room.slack.responses)
    await room.press("escalation_resolve", number, ANNA)
    await room.handoff.wait("resolve")
    await room.worker.run_once()
    assert "Resolved by" in room.card_text(number)
    await room.press("escalation_resolve", number, ANNA)
    assert "already resolved" in await room.told(before)

    assert [(p["kind"], p["params"]) for p in room.to_member()] == [
        ("claimed", {"name": "Anna"}),
        (
            "staff_message",
            {"name": "Anna", "text": "Hi Emma, I'm here (https://cps.example.com) & ready"},
        ),
        ("resolved", {}),
    ]
    assert room.woken == [EMMA_CHAT] * 3
    actions = [(actor, action) for actor, action, _target in room.audit()]
    assert actions == [(ANNA, "claim"), (ANNA, "reply"), (ANNA, "note"), (ANNA, "resolve")]
    internal = handoff.get(room.uow(), number).transcript[-1]
    assert internal["text"] == "note: she sounds in a hurry" and internal["internal"] is True
    assert room.slack.thread(STAFF, card_ts) == []  # staff lines are Slack's own messages


async def test_view_member_opens_the_context_in_a_modal(room: Staffroom) -> None:
    number, _ts = await room.with_card()
    await room.press("escalation_view", number, BRUNO)
    [modal] = await room.slack.wait_for(lambda: room.slack.modals)
    assert modal["type"] == "modal" and modal["title"]["text"] == f"Escalation #{number}"
    shown = str(modal["blocks"])
    assert EMMA in shown and "EOS R8" in shown and "400" in shown
    assert room.audit() == []  # looking is not a change


async def test_a_retried_event_is_relayed_once(
    room: Staffroom, slack: FakeSlack, settings: Settings, clock: FixedClock, caplog: Any
) -> None:
    number, _ts = await room.with_card()
    await room.press("escalation_claim", number, ANNA)
    await room.handoff.wait("claim")
    first = await room.reply(number, ANNA, "Only once, please", event_id="Ev0RETRY")
    assert await room.handoff.wait("relay_to_member") == "sent"
    with caplog.at_level(logging.INFO, logger="bot.handlers.slack_inbox"):
        again = room.requests.signed(
            first.body, first.headers["Content-Type"], first.payload, retry_num=1
        )
        assert (await room.post(again)).status_code == 200
        assert "delivered again by Slack" in caplog.text  # dropped at the door: the inbox

        restarted = Staffroom(slack, settings, clock)  # a restart: the inbox still knows it
        try:
            caplog.clear()
            retry = restarted.requests.signed(
                first.body, first.headers["Content-Type"], first.payload, retry_num=2
            )
            assert (await restarted.post(retry)).status_code == 200
            assert "delivered again by Slack" in caplog.text
            assert restarted.handoff.of("relay_to_member") == []
        finally:
            await restarted.close()
    assert room.handoff.of("relay_to_member") == ["sent"]
    assert [p["kind"] for p in room.to_member()] == ["claimed", "staff_message"]


async def test_a_staff_reply_stored_when_the_process_died_reaches_the_member_after_restart(
    room: Staffroom, slack: FakeSlack, settings: Settings, clock: FixedClock
) -> None:
    number, card_ts = await room.with_card()
    await room.press("escalation_claim", number, ANNA)
    await room.handoff.wait("claim")
    pipeline = Pipeline(room.uow)
    async with asyncio.timeout(5):  # the claim's own event is done once its listener returns
        while pipeline.pending([SLACK_INBOX]):
            await asyncio.sleep(0.01)
    message = thread_message(channel=STAFF, user=ANNA, text="Still with us?", thread_ts=card_ts)
    request = room.requests.event(message, event_id="Ev0CRASH")
    # What a process killed right after its ack left behind: the event, stored, not handled.
    [stored] = pipeline.receive_many([staff_event(request.payload)])
    assert stored and room.handoff.of("relay_to_member") == []

    restarted = Staffroom(slack, settings, clock)
    try:
        sweeper = SlackInboxSweeper(restarted.app, Pipeline(restarted.uow), seconds=0)
        assert await sweeper.sweep() == 1
        assert await restarted.handoff.wait("relay_to_member") == "sent"
        async with asyncio.timeout(5):  # the listener marks the event done as it returns
            while pipeline.pending([SLACK_INBOX]):
                await asyncio.sleep(0.01)
        assert await sweeper.sweep() == 0  # handled once: nothing left to dispatch
        # Slack retrying the same event now (it never got an answer) changes nothing either.
        assert (await restarted.post(request)).status_code == 200
        assert restarted.handoff.of("relay_to_member") == ["sent"]
    finally:
        await restarted.close()
    assert [p["kind"] for p in room.to_member()] == ["claimed", "staff_message"]
    assert room.to_member()[-1]["params"]["text"] == "Still with us?"


# -- /cps -------------------------------------------------------------------------------
async def test_a_command_whose_text_contains_payload_is_answered(room: Staffroom) -> None:
    """bolt reads any form body containing "payload" as an interaction: the door reads a
    command's form itself, so `/cps lookup payload.team@...` is a lookup like any other."""
    assert "No member" in await room.cps("lookup payload.team@example.com")


async def test_cps_commands_answer_and_are_audited(room: Staffroom) -> None:
    number = room.escalate()
    lookup = await room.cps(f"lookup {EMMA}")
    assert EMMA in lookup and "*400*" in lookup and "EOS R8" in lookup
    assert "No member" in await room.cps("lookup nobody@example.com")
    assert "has *400* points" in await room.cps(f"points <mailto:{EMMA}|{EMMA}>")
    assert "Invitation sent again" in await room.cps(f"resend-invite {SOFIA}")
    assert "password link" in await room.cps("resend-password-link giulia.rossi@example.com")
    linked = await room.cps("link-old-account marco.bianchi@example.com marco.b@oldmail.example")
    assert linked.startswith("Old account marco.b@oldmail.example linked")
    assert f"#{number}" in await room.cps("queue")
    assert room.audit() == [
        (ANNA, "lookup", EMMA),
        (ANNA, "lookup", "nobody@example.com"),
        (ANNA, "points", EMMA),
        (ANNA, "resend_invitation", SOFIA),
        (ANNA, "resend_password_link", "giulia.rossi@example.com"),
        (ANNA, "link_old_account", "marco.bianchi@example.com"),
    ]
    # Friendly refusals, nothing recorded.
    assert "Not invited yet: 400 points" in await room.cps(f"resend-invite {EMMA}")
    assert (
        await room.cps("points nobody@example.com")
        == "No member has the e-mail nobody@example.com."
    )
    assert await room.cps("points") == "Usage: `/cps points EMAIL`"
    assert "is not an e-mail address" in await room.cps("points emma")
    assert "I don't know `frobnicate`" in await room.cps("frobnicate now", user=BRUNO)
    assert "/cps link-old-account EMAIL OLD_EMAIL" in await room.cps("")
    assert len(room.audit()) == 6


# -- App Home and the SLA ---------------------------------------------------------------
async def test_app_home_shows_age_sla_and_who_has_it(room: Staffroom, clock: FixedClock) -> None:
    late = room.escalate()
    clock.advance(minutes=20)
    claimed, _ts = await room.with_card(SOFIA, "telegram:303")
    await room.press("escalation_claim", claimed, BRUNO)
    await room.handoff.wait("claim")
    clock.advance(minutes=2)
    await room.post(room.requests.event(app_home_opened(ANNA)))
    home = await room.slack.wait_for(lambda: room.slack.home.get(ANNA))
    assert home["type"] == "home"
    headers = [b["text"]["text"] for b in home["blocks"] if b["type"] == "header"]
    assert headers == ["Last 7 days", "Open escalations"]  # the week's figures first
    fields = [f["text"] for b in home["blocks"] for f in b.get("fields", [])]
    assert "*Conversations*\n0" in fields and "*Median time to claim*\nless than a minute" in fields
    lines = [b["text"]["text"] for b in home["blocks"] if b["type"] == "section" and "text" in b]
    assert f"*#{late}*" in lines[0] and "unclaimed for 22 min, over the 15 min SLA" in lines[0]
    assert (
        f"*#{claimed}*" in lines[1] and "claimed by Bruno Neri after less than a minute" in lines[1]
    )


async def test_overdue_escalations_are_reminded_once(room: Staffroom, clock: FixedClock) -> None:
    number, card_ts = await room.with_card()
    assert await remind_overdue(room.uow, room.settings, handoff=handoff) == []
    clock.advance(minutes=16)
    assert await remind_overdue(room.uow, room.settings, handoff=handoff) == [number]
    assert await remind_overdue(room.uow, room.settings, handoff=handoff) == []
    assert await room.worker.run_once() == 1
    [reminder] = room.slack.called("chat.postMessage", thread_ts=card_ts)
    assert reminder.params["reply_broadcast"] in (True, "true", "1")
    assert "16 min" in reminder.params["text"] and "SLA is 15 min" in reminder.params["text"]
    assert [p["kind"] for p in room.to_member()] == ["still_waiting"]


# -- delivery to Slack --------------------------------------------------------------------
async def test_a_slack_outage_loses_nothing(room: Staffroom, clock: FixedClock) -> None:
    room.slack.down()
    number = room.escalate()
    handoff.relay_to_staff(room.uow(), number, "are you there?")
    assert await room.worker.run_once() == 0
    assert handoff.pending(room.uow(), "slack_card") == 1
    assert [p["kind"] for p in room.to_member()] == ["staff_unreachable"]  # told honestly
    room.slack.up()
    clock.advance(seconds=room.settings.delivery_backoff_max_seconds)
    landed = [await room.worker.run_once() for _round in range(2)]  # the card, then its thread
    assert landed == [1, 1]
    assert [handoff.pending(room.uow(), target) for target in TARGETS] == [0, 0, 0, 0]
    assert len(room.slack.posted(STAFF)) == 1
    assert room.slack.thread(STAFF, room.card_ts(number)) == ["*Member:* are you there?"]


async def test_rate_limits_are_waited_out(room: Staffroom, clock: FixedClock) -> None:
    room.slack.rate_limit("chat.postMessage", retry_after=1)
    started = time.monotonic()
    number, _ts = await room.with_card()  # the client retries after Retry-After by itself
    first, second = room.slack.calls[-2:]
    assert (first.status, second.status) == (429, 200) and second.at - first.at >= 1.0
    assert time.monotonic() - started < 5

    # A 429 that outlasts the client's retry: the delivery waits at least Retry-After.
    bare = AsyncWebClient(token=BOT_TOKEN, base_url=room.slack.base_url, retry_handlers=[])
    delivery = SlackDelivery(bare, room.settings, room.uow, handoff=handoff)
    handoff.relay_to_staff(room.uow(), number, "still there?")
    [line] = handoff.take_due(room.uow(), ["slack_thread"])
    room.slack.rate_limit("chat.postMessage", retry_after=30)
    with pytest.raises(RetryLater) as later:
        await delivery.send(line)
    assert later.value.retry_after == 30 and "ratelimited" in later.value.reason


async def test_no_connection_to_slack_is_retried_later(room: Staffroom, settings: Settings) -> None:
    port = free_port()  # a port nobody listens on
    away = AsyncWebClient(
        token=BOT_TOKEN, base_url=f"http://127.0.0.1:{port}/api/", retry_handlers=[]
    )
    delivery = SlackDelivery(away, settings, room.uow, handoff=handoff)
    room.escalate()
    [card] = handoff.take_due(room.uow(), ["slack_card"])
    with pytest.raises(RetryLater) as later:
        await delivery.send(card)
    assert "no connection" in later.value.reason and later.value.retry_after is None


# -- Socket Mode --------------------------------------------------------------------------
async def test_socket_mode_acks_and_handles_a_button(room: Staffroom, slack: FakeSlack) -> None:
    number, card_ts = await room.with_card()
    handler = socket_mode_handler(room.app, room.settings)
    await handler.connect_async()
    try:
        payload = block_actions(
            "escalation_claim", str(number), user=ANNA, channel=STAFF, message_ts=card_ts,
            response_url=slack.response_url(),
        )  # fmt: skip
        envelope = await slack.push("interactive", payload)
        assert await slack.wait_ack(envelope) == {"envelope_id": envelope}
        view = await room.handoff.wait("claim")
        assert view.status == "claimed" and view.claimed_by == ANNA
    finally:
        await handler.close_async()
    [opened] = slack.called("apps.connections.open")
    assert opened.token == APP_TOKEN


# -- settings and rendering -------------------------------------------------------------
def no_database() -> Any:
    raise AssertionError("these apps never reach the database")


def test_settings_each_mode_needs(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    check_settings(settings)  # http, with token, secret and channel
    monkeypatch.delenv("CPS_SLACK_SIGNING_SECRET")
    with pytest.raises(SlackConfigError, match="CPS_SLACK_SIGNING_SECRET"):
        check_settings(load_settings(slack_mode="http", slack_staff_channel=STAFF))
    check_settings(load_settings(slack_mode="socket", slack_staff_channel=STAFF))
    monkeypatch.delenv("CPS_SLACK_APP_TOKEN")
    unset = load_settings(slack_mode="socket", slack_staff_channel=STAFF)
    with pytest.raises(SlackConfigError, match="CPS_SLACK_APP_TOKEN"):
        check_settings(unset)
    with pytest.raises(SlackConfigError, match="CPS_SLACK_APP_TOKEN"):
        socket_mode_handler(
            build_slack_app(unset, no_database, handoff=handoff, staff=staff), unset
        )


async def test_without_a_signing_secret_no_request_passes(
    settings: Settings, slack: FakeSlack
) -> None:
    unsigned = settings.model_copy(update={"slack_signing_secret": None})
    app = build_slack_app(unsigned, no_database, handoff=handoff, staff=staff)
    transport = httpx.ASGITransport(app=Starlette(routes=slack_routes(app)))
    async with httpx.AsyncClient(transport=transport, base_url="https://cps.example.com") as http:
        for secret in ("", SECRET):  # the empty key, and the secret the app does not know
            request = SlackRequests(secret).command("queue", user=ANNA, channel=STAFF)
            answer = await http.post("/slack/events", **request.post_args())
            assert answer.status_code == 401
    assert slack.calls == []


def test_staff_text_reaches_the_member_as_plain_text() -> None:
    assert from_mrkdwn("see <https://a.example/x|the form> &amp; <mailto:a@b.it|a@b.it>") == (
        "see the form (https://a.example/x) & a@b.it"
    )
    assert from_mrkdwn("<https://a.example> &lt;3 <@U0ANNA|anna>") == "https://a.example <3 anna"


async def test_broadcast_and_file_replies_reach_the_member_and_odd_buttons_are_refused(
    room: Staffroom,
) -> None:
    number, card_ts = await room.with_card()
    await room.press("escalation_claim", number, ANNA)
    await room.handoff.wait("claim")
    broadcast = thread_message(channel=STAFF, user=ANNA, text="Also for the channel",
                               thread_ts=card_ts)  # fmt: skip
    broadcast["subtype"] = "thread_broadcast"
    await room.post(room.requests.event(broadcast))
    assert await room.handoff.wait("relay_to_member", 1) == "sent"
    with_file = thread_message(channel=STAFF, user=ANNA, text="See the manual page",
                               thread_ts=card_ts)  # fmt: skip
    with_file |= {"subtype": "file_share", "files": [{"id": "F1", "name": "manual.pdf"}]}
    await room.post(room.requests.event(with_file))
    assert await room.handoff.wait("relay_to_member", 2) == "sent"
    [hint] = await room.slack.wait_for(lambda: room.slack.ephemerals)
    assert "files are not forwarded" in hint["text"]
    texts = [p["params"].get("text") for p in room.to_member() if p["kind"] == "staff_message"]
    assert texts == ["Also for the channel", "See the manual page"]

    before = len(room.slack.responses)
    request = room.requests.action("escalation_resolve", "99999999999999999999", user=ANNA,
                                   channel=STAFF, message_ts=card_ts)  # fmt: skip
    assert (await room.post(request)).status_code == 200
    assert await room.told(before) == "That button is out of date."
    assert handoff.get(room.uow(), number).status == "claimed"
