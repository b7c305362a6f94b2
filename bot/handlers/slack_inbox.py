"""Staff actions through the inbox, as members' messages are: stored before Slack has its
ack, handled once, picked up again after a crash.

- `SlackInbox.middleware` (the first middleware of the staff app) stores each event that
  changes something (a button on the card, a thread reply, `/cps`) in the inbox under
  channel "slack", before the listener acks. One stored before (Slack's retry of an
  event, X-Slack-Retry-Num, even after a restart; the same signed request posted again) is
  acked and dropped at the door: its key is Slack's own (event_id, or the trigger_id of a
  command or a button press), which a replay of the same signed body repeats.
- `SlackInbox.settles(listener)` marks the event done when the listener returns, or counts a
  failed attempt when it raises (after `inbox_max_attempts` the event is set aside, for
  `cps-bot inbox list` and `replay`). With `retry=False` (`/cps`: a command sends mail and
  audits, and may fail only after it did, e.g. answering a response_url that is gone) a
  failure sets the event aside at once: it is never run again by itself.
- `SlackInboxSweeper` dispatches again, every `inbox_retry_seconds`, the stored events no
  listener finished: a process killed after the ack. The domain refuses what it did
  before (a claim claimed, a reply relayed: by the reply's ts), so a replay of an action
  that had landed changes nothing. An event whose listener is still running in this
  process (a slow answer to Slack) is not dispatched a second time beside it.

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
RUNNING = 409  # the middleware's answer to a sweep of an event whose listener still runs
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
        # Where a listener that must not run twice is settled: its first failure is its last.
        self._once = Pipeline(pipeline.uow, max_attempts=1)
        self._running: set[str] = set()  # event ids whose listener runs in this process

    async def middleware(
        self,
        body: dict[str, Any],
        context: dict[str, Any],
        next: Callable[[], Awaitable[BoltResponse | None]],  # bolt injects it by this name
    ) -> BoltResponse | None:
        event = staff_event(body)
        _handling.set(event)  # None too: no listener settles an event of another request
        if event is None:
            return await next()
        if context.get(REPLAY):
            if event.event_id in self._running:
                log.info("event %s is still being handled: not dispatched again", event.event_id)
                return BoltResponse(status=RUNNING, body="")
        else:
            [fresh] = await self.pipeline.receive([event], _OFF_THE_LOOP)
            if not fresh:
                log.info("event %s delivered again by Slack: already taken", event.event_id)
                return BoltResponse(status=200, body="")
        return await next()

    def settles(self, listener: F, *, retry: bool = True) -> F:
        """The listener, marking its stored event done after it, or a failed attempt when
        it raises: tried again by the sweep (`retry`), else set aside at once."""
        failed = self.pipeline if retry else self._once

        @functools.wraps(listener)
        async def run(*args: Any, **kwargs: Any) -> Any:
            event = _handling.get()
            if event is None:
                return await listener(*args, **kwargs)
            self._running.add(event.event_id)
            try:  # settled before it leaves `_running`: a sweep in between finds it done
                try:
                    result = await listener(*args, **kwargs)
                except Exception as exc:
                    reason = type(exc).__name__
                    await asyncio.to_thread(failed.turn_failed, CHANNEL, event.event_id, reason)
                    raise
                await asyncio.to_thread(self.pipeline.done, CHANNEL, event.event_id)
                return result
            finally:
                self._running.discard(event.event_id)

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
        """How many stored events went to their listener again (not those still running)."""
        wait = self.seconds if older_than is None else older_than
        events = await asyncio.to_thread(self.pipeline.pending, [CHANNEL], older_than=wait)
        dispatched = 0
        for event in events:
            if event.payload is None:
                continue
            request = AsyncBoltRequest(
                body=event.payload, mode="socket_mode", context={REPLAY: True}
            )
            answer = await self.app.async_dispatch(request)
            dispatched += answer.status != RUNNING
        if dispatched:
            log.info("inbox: %d stored staff action(s) dispatched again", dispatched)
        return dispatched


class _ToThread:
    """Where the staff side's blocking database work runs: a thread, as its listeners'."""

    async def run(self, work: Callable[..., T], *args: Any) -> T:
        return await asyncio.to_thread(work, *args)


_OFF_THE_LOOP: Any = _ToThread()


def _digest(body: dict[str, Any]) -> str:
    return hashlib.sha256(repr(sorted(body.items())).encode()).hexdigest()[:32]
