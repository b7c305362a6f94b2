"""Priority support's helpdesk: escalations go out as tickets, status updates come back.

Outbound (`HelpdeskClient.submit`, the `send` of the "helpdesk" DeliveryWorker):
    POST <helpdesk_url>, body: the delivery's payload (the escalation document) as JSON,
    headers `Authorization: Bearer <CPS_HELPDESK_TOKEN>` and `Idempotency-Key: <the
    delivery's key>`; the key stays the same on every retry, so a post whose answer was
    lost creates no second ticket. Answer 2xx {"ticket": str, "status": str}.
    429 -> RetryLater after its Retry-After; 5xx, timeouts, connection errors -> RetryLater;
    another 4xx -> `Rejected`, logged as an error and still retried with the capped
    backoff: it is a configuration fault (token, URL) that staff fix, and the escalation
    must not be lost meanwhile.

Inbound (`helpdesk_routes`, mounted on the project's ASGI app):
    POST /helpdesk/events, body JSON {"event_id": str, "escalation_id": int,
    "status": str, "ticket": str | null}, at most 64 kB (413 as soon as Content-Length or
    the bytes received pass it; the rest is not read).
    Headers `X-Helpdesk-Timestamp`: unix seconds, within 5 minutes of our clock, and
    `X-Helpdesk-Signature`: "sha256=" + hex HMAC-SHA256(secret, f"{timestamp}.{raw body}").
    401 bad or stale signature (checked before the body is parsed), 400 not such a JSON
    document, 413 too large, 404 unknown escalation (409 another domain refusal), else
    200 {"ok": true, "duplicate": bool}:
    an event_id seen before is answered again without a second update, so the helpdesk's
    own retries are harmless.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from pydantic import SecretStr
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot.domain import errors
from bot.handlers.delivery import RetryLater
from bot.handlers.http_body import BodyTooLarge, read_body

log = logging.getLogger(__name__)

TIMESTAMP_HEADER = "X-Helpdesk-Timestamp"
SIGNATURE_HEADER = "X-Helpdesk-Signature"
MAX_SKEW_SECONDS = 300
MAX_BODY = 64 * 1024
MAX_RETRY_AFTER = 3600.0


class Rejected(Exception):
    """The helpdesk refused the post (a 4xx other than 429): fix the settings, it is retried."""


class HelpdeskClient:
    def __init__(
        self,
        url: str,
        token: str | SecretStr,
        timeout: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = url
        self._token = token if isinstance(token, SecretStr) else SecretStr(token)
        self._client = httpx.AsyncClient(timeout=timeout, transport=transport)

    async def submit(self, delivery: Any) -> dict[str, str]:
        """The ticket for this escalation: {"ticket", "status"}; raises RetryLater / Rejected."""
        headers = {
            "Authorization": f"Bearer {self._token.get_secret_value()}",
            "Idempotency-Key": delivery.idempotency_key,
        }
        try:
            answer = await self._client.post(self.url, json=delivery.payload, headers=headers)
        except httpx.TimeoutException:
            raise RetryLater("helpdesk timed out") from None
        except httpx.TransportError as exc:
            raise RetryLater(f"helpdesk unreachable ({type(exc).__name__})") from None
        status = answer.status_code
        if status == 429:
            raise RetryLater("helpdesk rate limit", retry_after=retry_after(answer))
        if status >= 500:
            raise RetryLater(f"helpdesk answered {status}", retry_after=retry_after(answer))
        if status >= 400:
            log.error("helpdesk refused escalation delivery %s: HTTP %d", delivery.id, status)
            raise Rejected(f"helpdesk refused the post: HTTP {status}")
        try:
            document = answer.json()
            return {"ticket": str(document["ticket"]), "status": str(document.get("status", ""))}
        except (ValueError, KeyError, TypeError):
            # Probably created: asking again with the same key returns the same ticket.
            raise RetryLater(f"helpdesk answer {status} without a ticket") from None

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> HelpdeskClient:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()


def retry_after(answer: httpx.Response) -> float | None:
    """Retry-After in seconds (a number or an HTTP date), capped at an hour."""
    value = answer.headers.get("retry-after", "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


# -- inbound status updates ------------------------------------------------------------
Record = Callable[
    ..., bool
]  # handoff.helpdesk_update(uow, event_id, escalation_id, status, ticket)


def helpdesk_routes(
    uow_factory: Callable[[], Any],
    secret: str | SecretStr,
    *,
    record: Record,
    on_update: Callable[[], None] | None = None,
    clock: Callable[[], float] = time.time,
) -> list[Route]:
    """POST /helpdesk/events; `on_update` is told of each new status (wake the Slack worker)."""
    key = (secret.get_secret_value() if isinstance(secret, SecretStr) else secret).encode()
    if not key.strip():  # an empty key would let anyone sign
        raise ValueError("the helpdesk webhook needs a non-empty secret")

    async def receive(request: Request) -> JSONResponse:
        try:
            body = await read_body(request, MAX_BODY)
        except BodyTooLarge:
            log.warning("helpdesk event over %d bytes from %s: refused unread", MAX_BODY,
                        request.client)  # fmt: skip
            return JSONResponse({"ok": False, "error": "too large"}, 413)
        if not _signed(key, request, body, clock()):
            log.warning("helpdesk event with a bad or stale signature from %s", request.client)
            return JSONResponse({"ok": False, "error": "bad signature"}, 401)
        event = _event(body)
        if event is None:
            return JSONResponse({"ok": False, "error": "not a helpdesk event"}, 400)
        try:
            new = record(uow_factory(), *event)
        except errors.DomainError as exc:
            log.warning("helpdesk event %r refused: %s", event[0], exc.code)
            status = 404 if isinstance(exc, errors.NotFound) else 409
            return JSONResponse({"ok": False, "error": exc.code}, status)
        if new and on_update is not None:
            on_update()
        return JSONResponse({"ok": True, "duplicate": not new})

    return [Route("/helpdesk/events", receive, methods=["POST"])]


def _signed(key: bytes, request: Request, body: bytes, now: float) -> bool:
    stamp = request.headers.get(TIMESTAMP_HEADER, "")
    given = request.headers.get(SIGNATURE_HEADER, "")
    if not stamp.isdigit() or abs(now - int(stamp)) > MAX_SKEW_SECONDS:
        return False
    digest = hmac.new(key, stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(given.encode(), f"sha256={digest}".encode())


def _event(body: bytes) -> tuple[str, int, str, str | None] | None:
    """(event_id, escalation_id, status, ticket), or None when the document is not one."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # not JSON, or nested deeper than json parses
        return None
    if not isinstance(data, dict):
        return None
    event_id, escalation_id = data.get("event_id"), data.get("escalation_id")
    status, ticket = data.get("status"), data.get("ticket")
    if not (isinstance(event_id, str) and 0 < len(event_id) <= 200):
        return None
    if not isinstance(escalation_id, int) or isinstance(escalation_id, bool):
        return None
    if not 0 < escalation_id < 2**31:  # an id the database can hold
        return None
    if not (isinstance(status, str) and 0 < len(status) <= 64):
        return None
    if ticket is not None and not (isinstance(ticket, str) and len(ticket) <= 64):
        return None
    return event_id, escalation_id, status, ticket
