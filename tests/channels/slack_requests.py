"""Slack's HTTP requests as slack-bolt receives them: real payloads, correctly signed.

Payload builders return plain dicts, so the same payload goes over HTTP (`SlackRequests`
signs and encodes it) or over Socket Mode (`FakeSlack.push(type, payload)`):

    requests = SlackRequests(SIGNING_SECRET)
    req = requests.action("claim", "42", user="U1", channel="C1", message_ts=card_ts)
    await client.post("/slack/events", content=req.body, headers=req.headers)

Signing (https://api.slack.com/authentication/verifying-requests-from-slack):
`X-Slack-Signature: "v0=" + hex HMAC-SHA256(secret, f"v0:{timestamp}:{raw body}")`; Slack
retries an event it saw acked late with `X-Slack-Retry-Num` / `X-Slack-Retry-Reason`.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from tests.channels.fake_slack import APP_ID, BOT_USER_ID, TEAM_ID

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
_ids = itertools.count(1)


def sign(body: str | bytes, secret: str, timestamp: int | float | str) -> dict[str, str]:
    """The two signature headers for this exact body."""
    raw = body.decode() if isinstance(body, bytes) else body
    base = f"v0:{int(float(timestamp))}:{raw}".encode()
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": str(int(float(timestamp))),
        "X-Slack-Signature": f"v0={digest}",
    }


@dataclass(frozen=True)
class SlackRequest:
    body: str
    headers: dict[str, str]
    payload: dict[str, Any]  # what was encoded, to look at in assertions

    def post_args(self) -> dict[str, Any]:
        """`client.post(path, **req.post_args())`."""
        return {"content": self.body, "headers": self.headers}


class SlackRequests:
    """Signs requests with one secret; `timestamp`, `retry_num`, `secret` override per call."""

    def __init__(self, secret: str, *, response_url: str = "https://hooks.slack.test/r/1"):
        self.secret = secret
        self.response_url = response_url

    def signed(
        self,
        body: str,
        content_type: str,
        payload: dict[str, Any],
        *,
        timestamp: float | None = None,
        secret: str | None = None,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
    ) -> SlackRequest:
        stamp = time.time() if timestamp is None else timestamp
        headers = {"Content-Type": content_type, **sign(body, secret or self.secret, stamp)}
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = retry_reason
        return SlackRequest(body, headers, payload)

    def action(
        self,
        action_id: str,
        value: str,
        *,
        user: str,
        channel: str,
        message_ts: str,
        **signing: Any,
    ) -> SlackRequest:
        payload = block_actions(
            action_id, value, user=user, channel=channel, message_ts=message_ts,
            response_url=self.response_url,
        )  # fmt: skip
        body = urlencode({"payload": json.dumps(payload)})
        return self.signed(body, FORM, payload, **signing)

    def command(self, text: str, *, user: str, channel: str, **signing: Any) -> SlackRequest:
        form = slash_command(text, user=user, channel=channel, response_url=self.response_url)
        return self.signed(urlencode(form), FORM, form, **signing)

    def event(
        self, event: dict[str, Any], *, event_id: str | None = None, **signing: Any
    ) -> SlackRequest:
        payload = event_callback(event, event_id=event_id)
        return self.signed(json.dumps(payload), JSON, payload, **signing)


# -- payloads ----------------------------------------------------------------------------
def _user_name(user: str) -> str:
    return f"staff.{user.lower()}"


def block_actions(
    action_id: str,
    value: str,
    *,
    user: str,
    channel: str,
    message_ts: str,
    response_url: str = "https://hooks.slack.test/r/1",
    block_id: str = "actions",
    message: dict[str, Any] | None = None,
    user_name: str | None = None,
) -> dict[str, Any]:
    """A button press on a message (interactive payload, `type: block_actions`)."""
    n = next(_ids)
    name = user_name or _user_name(user)
    return {
        "type": "block_actions",
        "user": {"id": user, "username": name, "name": name, "team_id": TEAM_ID},
        "api_app_id": APP_ID,
        "token": "legacy-verification-token",
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel,
            "is_ephemeral": False,
        },
        "trigger_id": f"{n}.{n}.trigger",
        "team": {"id": TEAM_ID, "domain": "cps-test"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel, "name": "staff"},
        "message": message
        or {"type": "message", "ts": message_ts, "user": BOT_USER_ID, "text": ""},
        "response_url": response_url,
        "actions": [
            {
                "action_id": action_id,
                "block_id": block_id,
                "text": {"type": "plain_text", "text": action_id, "emoji": True},
                "value": value,
                "type": "button",
                "action_ts": f"{int(time.time())}.{n:06d}",
            }
        ],
    }


def slash_command(
    text: str,
    *,
    user: str,
    channel: str,
    command: str = "/cps",
    response_url: str = "https://hooks.slack.test/r/1",
    user_name: str | None = None,
) -> dict[str, str]:
    """The form fields of a slash command."""
    n = next(_ids)
    return {
        "token": "legacy-verification-token",
        "team_id": TEAM_ID,
        "team_domain": "cps-test",
        "channel_id": channel,
        "channel_name": "staff",
        "user_id": user,
        "user_name": user_name or _user_name(user),
        "command": command,
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": f"{n}.{n}.trigger",
    }


def event_callback(event: dict[str, Any], *, event_id: str | None = None) -> dict[str, Any]:
    """The Events API envelope around one event."""
    return {
        "token": "legacy-verification-token",
        "team_id": TEAM_ID,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(_ids):08d}",
        "event_time": int(time.time()),
        "authorizations": [
            {
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
    }


def thread_message(
    *, channel: str, user: str, text: str, thread_ts: str, ts: str | None = None
) -> dict[str, Any]:
    """A staff member's reply in a message's thread (`message` event)."""
    ts = ts or f"{int(time.time())}.{next(_ids):06d}"
    return {
        "type": "message",
        "channel": channel,
        "user": user,
        "text": text,
        "ts": ts,
        "thread_ts": thread_ts,
        "event_ts": ts,
        "channel_type": "channel",
        "team": TEAM_ID,
    }


def app_home_opened(user: str) -> dict[str, Any]:
    return {
        "type": "app_home_opened",
        "user": user,
        "channel": f"D{user[1:]}",
        "tab": "home",
        "event_ts": f"{int(time.time())}.{next(_ids):06d}",
    }
