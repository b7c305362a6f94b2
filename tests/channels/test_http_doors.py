"""The ASGI app's other doors (Slack's is in test_slack_door): Telegram's webhook and the
helpdesk's status webhook take a bounded body, refuse a body announced too large before
reading any of it, and answer malformed input 400, never a 500.

Bodies are streamed from a generator that counts what the server pulled (httpx's ASGI
transport reads a request body only as the app asks for it).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from bot.handlers.helpdesk import MAX_BODY as HELPDESK_MAX_BODY
from bot.handlers.helpdesk import helpdesk_routes
from bot.handlers.webhook import MAX_BODY as WEBHOOK_MAX_BODY
from bot.handlers.webhook import SECRET_HEADER
from tests.channels.conftest import SECRET as TELEGRAM_SECRET
from tests.channels.fake_helpdesk import signed_event

HELPDESK_SECRET = "helpdesk-door-secret"
DEEP = b"[" * 100_000  # JSON nested deeper than Python's json parses
CHUNK = 16 * 1024


async def chunks(count: int, pulled: list[int]) -> AsyncIterator[bytes]:
    for _ in range(count):
        pulled.append(1)
        yield b" " * CHUNK


def never(*_args: Any) -> bool:
    raise AssertionError("a refused request reached the domain")


@pytest.fixture
async def helpdesk_door() -> AsyncIterator[httpx.AsyncClient]:
    routes = helpdesk_routes(lambda: None, HELPDESK_SECRET, record=never)
    transport = httpx.ASGITransport(app=Starlette(routes=routes))
    async with httpx.AsyncClient(transport=transport, base_url="https://bot.example.com") as hc:
        yield hc


def helpdesk_signed(body: bytes) -> dict[str, str]:
    headers = signed_event(HELPDESK_SECRET, event_id="e", escalation_id=1, status="x")[1]
    stamp = headers["X-Helpdesk-Timestamp"]
    key = HELPDESK_SECRET.encode()
    digest = hmac.new(key, stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {**headers, "X-Helpdesk-Signature": f"sha256={digest}"}


async def test_the_helpdesk_door_refuses_an_announced_huge_body_unread(
    helpdesk_door: httpx.AsyncClient,
) -> None:
    pulled: list[int] = []
    headers = {"Content-Length": str(48 * 1024 * 1024)}
    answer = await helpdesk_door.post(
        "/helpdesk/events", content=chunks(3072, pulled), headers=headers
    )
    assert answer.status_code == 413 and pulled == []  # not one chunk read
    pulled.clear()
    streamed = await helpdesk_door.post("/helpdesk/events", content=chunks(3072, pulled))
    assert streamed.status_code == 413
    assert len(pulled) <= HELPDESK_MAX_BODY // CHUNK + 1


async def test_the_helpdesk_door_answers_signed_deep_nesting_400(
    helpdesk_door: httpx.AsyncClient,
) -> None:
    answer = await helpdesk_door.post(
        "/helpdesk/events", content=DEEP[:60_000], headers=helpdesk_signed(DEEP[:60_000])
    )
    assert answer.status_code == 400


async def test_telegrams_webhook_refuses_an_announced_huge_body_unread_and_deep_nesting(
    webhook: Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]],
) -> None:
    async with webhook() as client:
        for secret, status in ((TELEGRAM_SECRET, 413), ("guess", 403)):
            pulled: list[int] = []
            headers = {SECRET_HEADER: secret, "Content-Length": str(48 * 1024 * 1024)}
            answer = await client.post(
                "/telegram/hook", content=chunks(3072, pulled), headers=headers
            )
            assert (answer.status_code, pulled) == (status, [])
        pulled = []
        streamed = await client.post(
            "/telegram/hook", content=chunks(3072, pulled), headers={SECRET_HEADER: TELEGRAM_SECRET}
        )
        assert streamed.status_code == 413
        assert len(pulled) <= WEBHOOK_MAX_BODY // CHUNK + 1
        deep = await client.post(
            "/telegram/hook", content=DEEP, headers={SECRET_HEADER: TELEGRAM_SECRET}
        )
        assert deep.status_code == 400
