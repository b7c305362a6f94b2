# ruff: noqa: F811  (test_slack's fixtures are imported, then named as parameters)
"""The door in front of POST /slack/events (bot/handlers/slack_door.py), and staff actions
acted on once however often the same signed request comes.

Requests go through the project's Starlette route as Slack sends them (httpx.ASGITransport,
or a real uvicorn on loopback for what a socket shows), to the real slack-bolt stack and the
fake Slack. Nothing sleeps: every wait is bounded, on the fake or on the database.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from slack_bolt.async_app import AsyncApp
from sqlalchemy import func, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot.domain.models import AuditEntry, OutboxEmail
from bot.domain.ports import SystemClock
from bot.domain.services import inbox
from bot.flows.pipeline import Pipeline
from bot.handlers.slack import slack_routes
from bot.handlers.slack_door import MAX_BODY
from bot.handlers.slack_inbox import CHANNEL as SLACK_INBOX
from bot.handlers.slack_inbox import SlackInboxSweeper
from bot.settings import Settings
from tests.channels.fake_slack import FakeSlack
from tests.channels.loopback import LoopbackServer, free_port
from tests.channels.slack_requests import FORM, JSON, SlackRequests, sign
from tests.channels.test_slack import (  # noqa: F401  (fixtures are found by name)
    ANNA,
    BRUNO,
    LEADS,
    OLGA,
    SECRET,
    STAFF,
    Staffroom,
    _slack_environment,
    room,
    settings,
)

GIULIA = "giulia.rossi@example.com"
MARKER = "zz-body-marker-4f1d@example.com"  # recognisable in any log line it would reach
CHUNK = 64 * 1024


class Gate:
    """A response_url that holds each answer until `open()`: a listener still running."""

    def __init__(self) -> None:
        self.arrived: list[dict[str, Any]] = []
        self.entered = asyncio.Event()
        self._open = asyncio.Event()

    def open(self) -> None:
        self._open.set()

    async def endpoint(self, request: Request) -> JSONResponse:
        self.arrived.append(json.loads(await request.body()))
        self.entered.set()
        await self._open.wait()
        return JSONResponse({"ok": True})


@pytest.fixture
def gate() -> Gate:
    return Gate()


@pytest.fixture
async def slack(gate: Gate) -> AsyncIterator[FakeSlack]:
    users = {ANNA: "Anna Verdi", BRUNO: "Bruno Neri", OLGA: "Olga Esterna"}
    server = FakeSlack(users=users, groups={LEADS: [BRUNO]})
    await server.start([Route("/held/{key}", gate.endpoint, methods=["POST"])])
    yield server
    gate.open()
    await server.stop()


@pytest.fixture
async def live_room(slack: FakeSlack, settings: Settings) -> AsyncIterator[Staffroom]:
    """The staff app on the real clock, so the inbox's sweep sees events age."""
    staffroom = Staffroom(slack, settings, SystemClock())  # type: ignore[arg-type]
    yield staffroom
    await staffroom.close()


def mails_to(room: Staffroom, email: str) -> int:
    with room.uow() as uow:
        query = select(func.count()).select_from(OutboxEmail)
        return int(uow.session.scalar(query.where(OutboxEmail.recipient == email)) or 0)


async def settled(pipeline: Pipeline, timeout: float = 10.0) -> None:
    """Until no stored staff action is pending (done, or set aside)."""
    async with asyncio.timeout(timeout):
        while await asyncio.to_thread(pipeline.pending, [SLACK_INBOX]):
            await asyncio.sleep(0.01)


async def chunks(count: int, yielded: list[int]) -> AsyncIterator[bytes]:
    """`count` chunks of 64 kB, counting in `yielded` how many the server pulled."""
    piece = (f"text={MARKER}&" * (CHUNK // 30)).encode()[:CHUNK]
    for _ in range(count):
        yielded.append(1)
        yield piece


# -- 1. bounded, signed before parsed ----------------------------------------------------
async def test_a_48_mib_stream_is_refused_413_after_reading_about_the_limit(
    room: Staffroom,
) -> None:
    yielded: list[int] = []
    total = 48 * 1024 * 1024 // CHUNK  # 768 chunks
    for signed in (False, True):
        yielded.clear()
        headers = {"Content-Type": FORM}
        if signed:  # a signature cannot make a body too large acceptable
            headers |= sign("text=x", SECRET, time.time())
        answer = await room.http.post(
            "/slack/events", content=chunks(total, yielded), headers=headers
        )
        assert answer.status_code == 413
        assert len(yielded) <= MAX_BODY // CHUNK + 2  # 1 MiB and a chunk: then it stopped
    assert room.slack.calls == []


async def test_a_declared_huge_body_is_answered_413_before_any_of_it_is_sent(
    room: Staffroom,
) -> None:
    server = LoopbackServer()
    await server.serve(Starlette(routes=slack_routes(room.app)))
    host, port = server.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(
            b"POST /slack/events HTTP/1.1\r\nHost: cps.example.com\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 50331648\r\n\r\n"  # 48 MiB announced, not a byte of it sent
        )
        await writer.drain()
        async with asyncio.timeout(5):
            status = await reader.readline()
    finally:
        writer.close()  # a server still waiting for the body sees the client go
        await server.shutdown()
    assert status.startswith(b"HTTP/1.1 413")


def test_an_app_without_the_door_is_never_served() -> None:
    """bolt's own verification is off in the staff app: the door is the only way in."""
    elsewhere = AsyncApp(token="xoxb-elsewhere", signing_secret=SECRET)
    with pytest.raises(ValueError, match="no door"):
        slack_routes(elsewhere)


async def test_unsigned_and_malformed_requests_get_401_never_a_500(room: Staffroom) -> None:
    form = f"command=%2Fcps&text=lookup+{MARKER}&user_id={ANNA}"
    stamp = str(int(time.time()))
    cases = [
        (form, {"Content-Type": FORM}),  # no signature at all
        ('{"type": "event_callback", "event": [', {"Content-Type": JSON}),  # not even JSON
        (b"\xff\xfe" + MARKER.encode(), {"Content-Type": FORM}),  # not UTF-8
        (form, {"Content-Type": FORM, "X-Slack-Request-Timestamp": "soon",
                "X-Slack-Signature": "v0=00"}),  # a timestamp that is not a number
        (form, {"Content-Type": FORM, **sign(form, SECRET, time.time() - 301)}),  # stale
        (form, {"Content-Type": FORM, **sign(form, "not-the-secret", stamp)}),  # forged
    ]  # fmt: skip
    for body, headers in cases:
        answer = await room.http.post("/slack/events", content=body, headers=headers)
        assert answer.status_code == 401, (body, headers)
    assert room.slack.calls == [] and room.audit() == []


async def test_a_signed_body_that_slack_would_not_send_gets_400(room: Staffroom) -> None:
    cases = [
        ("not json at all", JSON),
        ('["a", "list"]', JSON),
        ("[" * 100_000, JSON),  # deeper than json parses
        ("payload=%7Bnot-json", FORM),
        ('payload=["a"]', FORM),
        ("just some words", FORM),
        ('{"type": "event_callback"}', FORM),  # JSON in a form's clothes
        ("command=%2Fcps&text=queue", "text/plain"),
        ("", FORM),
    ]
    for body, content_type in cases:
        request = room.requests.signed(body, content_type, {})
        assert (await room.post(request)).status_code == 400, body[:40]
    assert room.slack.calls == [] and room.audit() == []
    assert "queue is empty" in await room.cps("queue")  # a real command still goes through


async def test_no_request_body_reaches_a_log_line(
    slack: FakeSlack, settings: Settings, clock: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # before the app: bolt's loggers take the root's level
    rendered = logging.Formatter("%(name)s %(message)s %(args)s")  # and any traceback

    def leaked() -> list[str]:
        return [r.name for r in caplog.records if MARKER in rendered.format(r)]

    staffroom = Staffroom(slack, settings, clock)
    form = f"command=%2Fcps&text=lookup+{MARKER}&user_id={ANNA}&trigger_id=1.2.3"
    event = json.dumps({"type": "event_callback", "event": {"type": "message",
                        "text": MARKER}, "event_id": "Ev0LOG"})  # fmt: skip
    refused = [
        (form, {"Content-Type": FORM}, 401),
        (event, {"Content-Type": JSON, "X-Slack-Signature": "v0=" + "0" * 64,
                 "X-Slack-Request-Timestamp": str(int(time.time()))}, 401),
        (form, {"Content-Type": FORM, **sign(form, SECRET, time.time() - 600)}, 401),
        ("{" + MARKER, {"Content-Type": JSON}, 401),
        ('{"text": "' + MARKER, {"Content-Type": JSON, **sign('{"text": "' + MARKER,
                                 SECRET, time.time())}, 400),
    ]  # fmt: skip
    try:
        for body, headers, status in refused:
            answer = await staffroom.http.post("/slack/events", content=body, headers=headers)
            assert (answer.status_code, leaked()) == (status, []), body[:30]
        huge = await staffroom.http.post(
            "/slack/events", content=chunks(40, []), headers={"Content-Type": FORM}
        )
        assert huge.status_code == 413
    finally:
        await staffroom.close()
    assert leaked() == []
    refusals = [r for r in caplog.records if r.name == "bot.handlers.slack_door"]
    assert len(refusals) == 6 and all(len(r.getMessage()) < 160 for r in refusals)


# -- 2. a signed request replayed is acknowledged, not acted on again ---------------------
async def test_a_signed_command_replayed_three_times_sends_one_mail(
    live_room: Staffroom, settings: Settings
) -> None:
    """The answer to `/cps` cannot reach Slack (its response_url is gone): the command had
    sent its mail by then, so neither the replays nor the inbox's sweep may run it again."""
    room = live_room
    pipeline = Pipeline(room.uow, settings.inbox_max_attempts)
    sweeper = SlackInboxSweeper(room.app, pipeline, seconds=0.05)
    gone = SlackRequests(SECRET, response_url=f"http://127.0.0.1:{free_port()}/r/1")
    request = gone.command(f"resend-password-link {GIULIA}", user=ANNA, channel=STAFF)
    before = mails_to(room, GIULIA)
    sweeper.start()
    try:
        for _post in range(4):  # the request, then the same signed bytes three times
            answer = await room.post(request)
            assert answer.status_code == 200 and answer.text == ""
        await settled(pipeline)
    finally:
        await sweeper.stop()
    assert await sweeper.sweep(older_than=0) == 0
    assert mails_to(room, GIULIA) - before == 1
    [set_aside] = inbox.dead_letters(room.uow(), SLACK_INBOX)  # for `cps-bot inbox list`
    assert set_aside.event_id == f"command:{request.payload['trigger_id']}"
    with room.uow() as uow:
        audited = uow.session.scalars(select(AuditEntry.action)).all()
    assert audited == ["resend_password_link"]


async def test_a_command_still_running_is_not_dispatched_again_by_the_sweep(
    live_room: Staffroom, slack: FakeSlack, settings: Settings, gate: Gate
) -> None:
    room = live_room
    pipeline = Pipeline(room.uow, settings.inbox_max_attempts)
    sweeper = SlackInboxSweeper(room.app, pipeline, seconds=0)
    held = SlackRequests(SECRET, response_url=f"{slack.url}/held/r1")
    request = held.command(f"resend-password-link {GIULIA}", user=ANNA, channel=STAFF)
    before = mails_to(room, GIULIA)
    assert (await room.post(request)).status_code == 200
    async with asyncio.timeout(5):
        await gate.entered.wait()  # the mail is queued; its answer to Slack is held
    assert await sweeper.sweep(older_than=0) == 0  # still running here: not a second time
    for _replay in range(3):
        assert (await room.post(request)).status_code == 200
    gate.open()
    await settled(pipeline)
    assert await sweeper.sweep(older_than=0) == 0
    assert mails_to(room, GIULIA) - before == 1
    assert [answer["text"] for answer in gate.arrived] == [
        f"A password link is on its way to {GIULIA}."
    ]


async def test_replayed_signed_button_presses_and_thread_replies_act_once(
    room: Staffroom,
) -> None:
    number, card_ts = await room.with_card()
    press = room.requests.action(
        "escalation_claim", str(number), user=ANNA, channel=STAFF, message_ts=card_ts
    )
    for _post in range(4):
        assert (await room.post(press)).status_code == 200
    await room.handoff.wait("claim")
    reply = await room.reply(number, ANNA, "Hello Emma, one message only")
    for _replay in range(3):
        assert (await room.post(reply)).status_code == 200
    assert await room.handoff.wait("relay_to_member") == "sent"
    assert len(room.handoff.of("claim")) == 1 and room.handoff.of("relay_to_member") == ["sent"]
    assert [p["kind"] for p in room.to_member()] == ["claimed", "staff_message"]
