"""Staff actions through the inbox, as members' messages are: stored before Slack has its
ack, handled once, picked up again after a crash.

- `SlackInbox.middleware` (the first middleware of the staff app) stores each event that
  changes something (a button on the card, a thread reply, `/cps`) in the inbox under
  channel "slack", before the listener acks. One stored before (Slack's retry of an
  event, X-Slack-Retry-Num, even after a restart) is acked and dropped at the door.
- `SlackInbox.settles(listener)` marks the event done when the listener returns, or counts a failed
  attempt when it raises (after `inbox_max_attempts` the event is set aside, for
  `cps-bot inbox list` and `replay`).
- `SlackInboxSweeper` dispatches again, every `inbox_retry_seconds`, the stored events no
  listener finished: a process killed after the ack. The domain refuses what it did
  before (a claim claimed, a reply relayed: by the reply's ts), so a replay of an action
  that had landed changes nothing.

Looking (App Home, the member modal) changes nothing and is not stored.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any, TypeVar

from slack_bolt import BoltResponse
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.flows.pipeline import Inbound, Pipeline
from bot.handlers.inbox_sweep import InboxSweep
from bot.handlers.slack_card import CLAIM, RESOLVE

log = logging.getLogger(__name__)
CHANNEL = "slack"
KEY = "slack:staff"  # the inbox's conversation key of staff actions
REPLAY = "cps_inbox_replay"
CHANGES = frozenset({CLAIM, RESOLVE})  # buttons that change an escalation
F = TypeVar("F", bound=Callable[..., Awaitable[Any]])
T = TypeVar("T")

# The stored event the listener running in this task handles (bolt starts each listener
# in a task of its own, which copies the middleware's context).
_handling: ContextVar[Inbound | None] = ContextVar("slack_inbox_event", default=None)


def staff_event(body: dict[str, Any]) -> Inbound | None:
    """The inbox event of a request that changes something; None for looking."""
    kind = body.get("type")
    if kind == "event_callback":
        event = body.get("event") or {}
        if event.get("type") != "message" or not isinstance(body.get("event_id"), str):
            return None
        event_id = body["event_id"]
    elif kind == "block_actions":
        actions = body.get("actions") or [{}]
        if actions[0].get("action_id") not in CHANGES:
            return None
        event_id = f"action:{body.get('trigger_id') or _digest(body)}"
    elif body.get("command"):
        event_id = f"command:{body.get('trigger_id') or _digest(body)}"
    else:
        return None
    return Inbound(CHANNEL, event_id[:120], KEY, 0, body)


class SlackInbox:
    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline

    async def middleware(
        self,
        body: dict[str, Any],
        context: dict[str, Any],
        next: Callable[[], Awaitable[BoltResponse | None]],  # bolt injects it by this name
    ) -> BoltResponse | None:
        event = staff_event(body)
        if event is None:
            return await next()
        if not context.get(REPLAY):
            [fresh] = await self.pipeline.receive([event], _OFF_THE_LOOP)
            if not fresh:
                log.info("event %s delivered again by Slack: already taken", event.event_id)
                return BoltResponse(status=200, body="")
        _handling.set(event)
        return await next()

    def settles(self, listener: F) -> F:
        """The listener, marking its stored event done after it (or a failed attempt)."""

        @functools.wraps(listener)
        async def run(*args: Any, **kwargs: Any) -> Any:
            event = _handling.get()
            try:
                result = await listener(*args, **kwargs)
            except Exception as exc:
                if event is not None:
                    await asyncio.to_thread(
                        self.pipeline.turn_failed, CHANNEL, event.event_id, type(exc).__name__
                    )
                raise
            if event is not None:
                await asyncio.to_thread(self.pipeline.done, CHANNEL, event.event_id)
            return result

        return run  # type: ignore[return-value]


class SlackInboxSweeper(InboxSweep):
    """Dispatches again the staff actions stored and not finished (`inbox_retry_seconds`
    after they arrived): a process killed between the ack and the change."""

    name = "slack-inbox-sweep"

    def __init__(self, app: AsyncApp, pipeline: Pipeline, seconds: float) -> None:
        super().__init__(seconds)
        self.app = app
        self.pipeline = pipeline

    async def sweep(self, older_than: float | None = None) -> int:
        wait = self.seconds if older_than is None else older_than
        events = await asyncio.to_thread(self.pipeline.pending, [CHANNEL], older_than=wait)
        for event in events:
            if event.payload is None:
                continue
            request = AsyncBoltRequest(
                body=event.payload, mode="socket_mode", context={REPLAY: True}
            )
            await self.app.async_dispatch(request)
        if events:
            log.info("inbox: %d stored staff action(s) dispatched again", len(events))
        return len(events)


class _ToThread:
    """Where the staff side's blocking database work runs: a thread, as its listeners'."""

    async def run(self, work: Callable[..., T], *args: Any) -> T:
        return await asyncio.to_thread(work, *args)


_OFF_THE_LOOP: Any = _ToThread()


def _digest(body: dict[str, Any]) -> str:
    return hashlib.sha256(repr(sorted(body.items())).encode()).hexdigest()[:32]
