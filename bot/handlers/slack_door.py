"""The door in front of the Slack staff app's HTTP endpoint (POST /slack/events).

Before slack-bolt sees a request, in this order:
1. Size: a body over `MAX_BODY` (1 MiB; Slack's are a few kB) is answered 413 as soon as
   its Content-Length says so or the bytes received pass it; the rest is never read.
2. Signature: `X-Slack-Request-Timestamp` within 5 minutes of our clock and
   `X-Slack-Signature` the HMAC of the exact bytes (slack_sdk's `SignatureVerifier`), else
   401. Nothing of the body is parsed before this.
3. Shape: a signed body that is not one Slack sends (a JSON object as application/json; a
   form as application/x-www-form-urlencoded whose `payload`, when it has one, is a JSON
   object) is answered 400, and so is one bolt cannot read.
Only then does bolt dispatch it. Each refusal is one short log line (status, reason, the
client's address): never the body, never a header's value.

The door is the app's only signature check: `build_slack_app` turns bolt's own off
(`request_verification_enabled=False`) and installs the door on the app, and `slack_routes`
serves an app only through its door. One check on one clock: bolt checking the same HMAC a
moment later could refuse, at the 5-minute edge, what the door let through, and bolt logs
the whole body when it refuses. Socket Mode and the inbox's replays are not HTTP and never
were verified by bolt.
"""

from __future__ import annotations

import json
import logging
import weakref
from typing import ClassVar
from urllib.parse import parse_qsl

from slack_bolt.adapter.starlette.async_handler import to_starlette_response
from slack_bolt.async_app import AsyncApp, AsyncBoltRequest
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_sdk.signature import SignatureVerifier
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from bot.handlers.http_body import BodyTooLarge, read_body

log = logging.getLogger(__name__)

MAX_BODY = 1 << 20
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
BOLT_HEADERS = "x-slack-bolt-"  # bolt's own (lazy listeners): never taken from outside


class SlackDoor:
    """`Route("/slack/events", SlackDoor.of(app).handle, methods=["POST"])`."""

    # The signing secret of each app built by build_slack_app (weakly: not kept alive here).
    _secrets: ClassVar[weakref.WeakKeyDictionary[AsyncApp, str]] = weakref.WeakKeyDictionary()

    def __init__(self, app: AsyncApp, signing_secret: str, *, limit: int = MAX_BODY) -> None:
        self.app = app
        self.verifier = SignatureVerifier(signing_secret)
        self.limit = limit

    @classmethod
    def install(cls, app: AsyncApp, signing_secret: str) -> None:
        SignatureVerifier(signing_secret)  # refuses an empty secret now, not at a request
        cls._secrets[app] = signing_secret

    @classmethod
    def of(cls, app: AsyncApp) -> SlackDoor:
        secret = cls._secrets.get(app)
        if secret is None:  # bolt's verification is off: never serve it without the door
            raise ValueError("this Slack app has no door: build it with build_slack_app")
        return cls(app, secret)

    async def handle(self, request: Request) -> Response:
        try:
            raw = await read_body(request, self.limit)
        except BodyTooLarge:
            return _refuse(request, 413, "body too large")
        text = self._verified(request, raw)
        if text is None:
            return _refuse(request, 401, "bad, missing or stale signature")
        if not slack_shaped(text, request.headers.get("content-type", "")):
            return _refuse(request, 400, "signed, but not a body Slack sends")
        headers = {k: v for k, v in request.headers.items() if not k.startswith(BOLT_HEADERS)}
        try:
            bolt_request = AsyncBoltRequest(
                body=text, query=str(request.query_params), headers=headers
            )
        except Exception as exc:  # a shape bolt cannot read (a field of the wrong type)
            return _refuse(request, 400, f"signed, but bolt cannot read it ({type(exc).__name__})")
        _read_commands_whole(bolt_request, text)
        return to_starlette_response(await self.app.async_dispatch(bolt_request))

    def _verified(self, request: Request, raw: bytes) -> str | None:
        """The body as text when Slack signed it within the last 5 minutes, else None."""
        stamp = request.headers.get("x-slack-request-timestamp", "")
        signature = request.headers.get("x-slack-signature", "")
        if not (stamp.isascii() and stamp.isdigit() and signature):
            return None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:  # Slack signs UTF-8 text; no other bytes can be checked
            return None
        return text if self.verifier.is_valid(text, stamp, signature) else None


def _read_commands_whole(bolt_request: AsyncBoltRequest, text: str) -> None:
    """bolt takes any form body containing "payload" for an interaction and, finding no
    `payload` field, reads it as {}: a command typed with that word ("/cps lookup
    payload.team@...") would go unanswered. Such a form is read here as the command it is."""
    if bolt_request.body or bolt_request.content_type != FORM:
        return
    fields = dict(parse_qsl(text, keep_blank_values=True))
    if "payload" not in fields and fields.get("command"):
        bolt_request.body = fields
        bolt_request.context = build_async_context(AsyncBoltContext({}), fields)


def slack_shaped(text: str, content_type: str) -> bool:
    """Whether a body is one Slack sends (and bolt reads without failing): the Events API's
    JSON object, or the form of a command or an interaction."""
    media = content_type.partition(";")[0].strip().lower()
    if media == JSON:
        return _json_object(text)
    if media != FORM or not text or text.startswith("{"):  # bolt reads "{..." as JSON
        return False
    try:
        fields = dict(parse_qsl(text, keep_blank_values=True, strict_parsing=True))
    except ValueError:
        return False
    payload = fields.get("payload")
    return payload is None or _json_object(payload)


def _json_object(text: str) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than json can go
        return False


def _refuse(request: Request, status: int, reason: str) -> Response:
    client = request.client.host if request.client else "?"
    log.warning("Slack request refused with %d: %s (from %s)", status, reason, client)
    return PlainTextResponse(reason, status_code=status)
