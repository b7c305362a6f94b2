"""The fake Slack itself, checked with slack_sdk's own clients (so our Slack tests test us)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.socket_mode.websockets import SocketModeClient
from slack_sdk.web.async_client import AsyncWebClient

from tests.channels.fake_slack import APP_TOKEN, BOT_TOKEN, BOT_USER_ID, FakeSlack
from tests.channels.slack_requests import SlackRequests, block_actions, event_callback, sign

STAFF = "C0STAFF"


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    server = FakeSlack(users={"U1": "Giulia Rossi"}, groups={"S1": ["U1", "U2"]})
    await server.start()
    yield server
    await server.stop()


def client(slack: FakeSlack, token: str = BOT_TOKEN) -> AsyncWebClient:
    return AsyncWebClient(token=token, base_url=slack.base_url)


async def test_messages_threads_updates_and_lookups(slack: FakeSlack) -> None:
    web = client(slack)
    assert (await web.auth_test())["user_id"] == BOT_USER_ID
    card = await web.chat_postMessage(channel=STAFF, text="card", blocks=[{"type": "divider"}])
    reply = await web.chat_postMessage(channel=STAFF, text="line", thread_ts=card["ts"])
    assert card["ts"] != reply["ts"]
    await web.chat_update(channel=STAFF, ts=card["ts"], text="claimed", blocks=[])
    assert slack.messages[(STAFF, card["ts"])]["text"] == "claimed"
    assert slack.thread(STAFF, card["ts"]) == ["line"]
    assert [m["text"] for m in slack.posted(STAFF)] == ["claimed"]
    user = await web.users_info(user="U1")
    assert user["user"]["profile"]["first_name"] == "Giulia"
    assert (await web.usergroups_users_list(usergroup="S1"))["users"] == ["U1", "U2"]
    await web.views_publish(user_id="U1", view={"type": "home", "blocks": []})
    assert slack.home["U1"]["type"] == "home"
    with pytest.raises(SlackApiError) as unknown:
        await web.chat_update(channel=STAFF, ts="1.2", text="x")
    assert unknown.value.response["error"] == "message_not_found"


async def test_tokens_are_checked(slack: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as wrong:
        await client(slack, "xoxb-wrong").chat_postMessage(channel=STAFF, text="hi")
    assert wrong.value.response["error"] == "invalid_auth"
    with pytest.raises(SlackApiError) as app_token:
        await client(slack, APP_TOKEN).chat_postMessage(channel=STAFF, text="hi")
    assert app_token.value.response["error"] == "not_allowed_token_type"
    assert slack.messages == {}


async def test_rate_limit_is_honoured_by_the_sdk_retry_handler(slack: FakeSlack) -> None:
    web = client(slack)
    web.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=1))
    slack.rate_limit("chat.postMessage", retry_after=1)
    started = time.monotonic()
    await web.chat_postMessage(channel=STAFF, text="after the wait")
    first, second = slack.calls
    assert (first.status, second.status) == (429, 200)
    assert second.at - first.at >= 1.0 and time.monotonic() - started < 3
    assert len(slack.posted(STAFF)) == 1


async def test_an_outage_answers_503_until_it_ends(slack: FakeSlack) -> None:
    web = client(slack)
    slack.down()
    with pytest.raises(SlackApiError) as down:
        await web.chat_postMessage(channel=STAFF, text="lost?")
    assert down.value.response.status_code == 503
    slack.up()
    slack.fail("chat.postMessage", 500)
    with pytest.raises(SlackApiError):
        await web.chat_postMessage(channel=STAFF, text="once more")
    await web.chat_postMessage(channel=STAFF, text="landed")
    assert [m["text"] for m in slack.posted(STAFF)] == ["landed"]


async def test_socket_mode_hello_envelope_and_ack(slack: FakeSlack) -> None:
    seen: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def on_message(_client: Any, message: dict[str, Any], _raw: str | None) -> None:
        seen.put_nowait(message)

    async def on_request(socket: Any, request: SocketModeRequest) -> None:
        answer = {"text": "ok"} if request.type == "slash_commands" else None
        await socket.send_socket_mode_response(SocketModeResponse(request.envelope_id, answer))

    socket_client = SocketModeClient(APP_TOKEN, web_client=client(slack))
    socket_client.message_listeners.append(on_message)
    socket_client.socket_mode_request_listeners.append(on_request)
    await socket_client.connect()
    try:
        hello = await asyncio.wait_for(seen.get(), 5)
        assert hello["type"] == "hello" and hello["connection_info"]["app_id"]
        payload = block_actions("claim", "7", user="U1", channel=STAFF, message_ts="1.1")
        action = await slack.push("interactive", payload)
        assert (await slack.wait_ack(action)) == {"envelope_id": action}
        event = await slack.push("events_api", event_callback({"type": "app_home_opened"}))
        await slack.wait_ack(event)
        command = await slack.push("slash_commands", {"command": "/cps", "text": "queue"})
        assert (await slack.wait_ack(command))["payload"] == {"text": "ok"}
        await slack.disconnect()  # Slack's refresh: the client opens a new connection
        await slack.wait_for(lambda: slack.connections == 2 and len(slack.sockets) == 1)
    finally:
        await socket_client.close()
    assert len(slack.called("apps.connections.open")) == 2


def test_signatures_match_slack_sdk_verifier() -> None:
    from slack_sdk.signature import SignatureVerifier

    body = '{"type":"event_callback"}'
    now = time.time()
    assert SignatureVerifier("s3cret").is_valid(body=body, **_lower(sign(body, "s3cret", now)))
    request = SlackRequests("s3cret").command("queue", user="U1", channel=STAFF, retry_num=1)
    headers = request.headers
    assert SignatureVerifier("s3cret").is_valid(body=request.body, **_lower(headers))
    assert headers["X-Slack-Retry-Num"] == "1"
    stale = SlackRequests("s3cret").command("q", user="U1", channel=STAFF, timestamp=now - 600)
    assert not SignatureVerifier("s3cret").is_valid(body=stale.body, **_lower(stale.headers))


def _lower(headers: dict[str, str]) -> dict[str, str]:
    return {
        "timestamp": headers["X-Slack-Request-Timestamp"],
        "signature": headers["X-Slack-Signature"],
    }
