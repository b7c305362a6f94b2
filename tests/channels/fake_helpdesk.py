"""A fake priority-support helpdesk on 127.0.0.1: the far end of our escalation webhook.

POST /tickets (JSON, `Authorization: Bearer <token>`, `Idempotency-Key`) answers
201 {"ticket": "HD-<n>", "status": "new"}. Like real helpdesks (and Stripe's idempotency
keys), a repeated key answers the SAME ticket (200, the call marked `replay`), so a client
that lost an answer may safely post again. It keeps a call log and `wait_for(predicate)`;
fault injection: `fail(times, status)` (optionally after creating the ticket, i.e. the
answer is lost), `rate_limit(retry_after)` (429 + Retry-After), `hold()` / `release()`
(answers wait: a client's timeout). `signed_event(...)` builds the status update the
helpdesk would send back to the bot's webhook, signed independently of the bot's code.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.channels.loopback import LoopbackServer

TOKEN = "hd-test-token-123"


@dataclass
class Call:
    key: str | None
    body: Any
    authorized: bool
    at: float = field(default_factory=time.monotonic)
    status: int = 0
    replay: bool = False
    ticket: str | None = None


@dataclass
class Fault:
    status: int
    retry_after: int | None = None
    after_create: bool = False


@dataclass
class Ticket:
    id: str
    key: str
    body: dict[str, Any]
    status: str = "new"


class FakeHelpdesk(LoopbackServer):
    def __init__(self, token: str = TOKEN) -> None:
        super().__init__()
        self.token = token
        self.calls: list[Call] = []
        self.tickets: dict[str, Ticket] = {}
        self.by_key: dict[str, Ticket] = {}
        self.faults: list[Fault] = []
        self._numbers = itertools.count(1)
        self._open = asyncio.Event()
        self._open.set()

    @property
    def tickets_url(self) -> str:
        """What `helpdesk_url` should be."""
        return f"{self.url}/tickets"

    async def start(self) -> None:
        app = Starlette(routes=[Route("/tickets", self._tickets, methods=["POST"])])
        await self.serve(app)

    async def stop(self) -> None:
        self._open.set()
        await self.shutdown()

    # -- waiting and faults ----------------------------------------------------------
    def recent_calls(self) -> str:
        return "\n".join(f"  {c.status} key={c.key} replay={c.replay}" for c in self.calls)

    def fail(self, times: int = 1, status: int = 503, *, after_create: bool = False) -> None:
        """The next `times` posts answer `status`; `after_create`: the ticket exists anyway."""
        self.faults.extend([Fault(status, after_create=after_create)] * times)

    def rate_limit(self, retry_after: int = 1, *, times: int = 1) -> None:
        self.faults.extend([Fault(429, retry_after)] * times)

    def hold(self) -> None:
        """Answers wait until `release()` (the ticket is not created meanwhile)."""
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    def created(self) -> list[Call]:
        """The posts that created a ticket (not replays, not refused)."""
        return [c for c in self.calls if c.ticket and not c.replay]

    # -- the API ---------------------------------------------------------------------
    async def _tickets(self, request: Request) -> JSONResponse:
        raw = await request.body()
        try:
            body: Any = json.loads(raw)
        except ValueError:
            body = None
        authorized = hmac.compare_digest(
            request.headers.get("authorization", ""), f"Bearer {self.token}"
        )
        call = Call(request.headers.get("idempotency-key"), body, authorized)
        self.calls.append(call)
        self._changed()
        await self._open.wait()
        try:
            return self._answer(call)
        finally:
            self._changed()

    def _answer(self, call: Call) -> JSONResponse:
        fault = self.faults.pop(0) if self.faults else None
        if fault and fault.retry_after is not None:
            call.status = 429
            headers = {"Retry-After": str(fault.retry_after)}
            return JSONResponse({"error": "rate_limited"}, 429, headers=headers)
        if fault and not fault.after_create:
            call.status = fault.status
            return JSONResponse({"error": "unavailable"}, fault.status)
        if not call.authorized:
            call.status = 401
            return JSONResponse({"error": "unauthorized"}, 401)
        if not call.key or not isinstance(call.body, dict):
            call.status = 400
            return JSONResponse({"error": "an Idempotency-Key and a JSON object needed"}, 400)
        ticket = self.by_key.get(call.key)
        call.replay = ticket is not None
        if ticket is None:
            ticket = Ticket(f"HD-{next(self._numbers)}", call.key, call.body)
            self.tickets[ticket.id] = ticket
            self.by_key[call.key] = ticket
        call.ticket = ticket.id
        if fault:  # created, but the answer never reaches the client intact
            call.status = fault.status
            return JSONResponse({"error": "unavailable"}, fault.status)
        call.status = 200 if call.replay else 201
        return JSONResponse({"ticket": ticket.id, "status": ticket.status}, call.status)


def signed_event(
    secret: str,
    *,
    event_id: str,
    escalation_id: int,
    status: str,
    ticket: str | None = None,
    timestamp: float | None = None,
) -> tuple[bytes, dict[str, str]]:
    """Body and headers of a status update the helpdesk posts to /helpdesk/events."""
    document = {"event_id": event_id, "escalation_id": escalation_id, "status": status}
    document["ticket"] = ticket
    body = json.dumps(document).encode()
    stamp = str(int(time.time() if timestamp is None else timestamp))
    digest = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": "application/json",
        "X-Helpdesk-Timestamp": stamp,
        "X-Helpdesk-Signature": f"sha256={digest}",
    }
    return body, headers
