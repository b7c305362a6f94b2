"""Messages to a member that no turn of theirs asked for: a person took the chat, wrote,
is still being looked for, finished (and asks for a rating), or cannot be reached yet.

The domain queues them as "member" deliveries; a channel's delivery worker takes the ones
of its own chats through `Outbox` (channels never touch the domain themselves) and
renders `notice_replies` in the member's language.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from bot.domain.services import handoff
from bot.domain.unit_of_work import UnitOfWork
from bot.flows.live_chat import LEAVE, rating_request
from bot.flows.messages import Button, Reply

MEMBER = "member"


def notice_replies(payload: dict[str, Any]) -> list[Reply]:
    """The replies for one member delivery's payload ({"kind", "params"})."""
    kind = payload.get("kind")
    params = {k: str(v) for k, v in (payload.get("params") or {}).items()}
    if kind == "resolved":
        return [rating_request()]
    if kind == "claimed":
        return [Reply("handoff.claimed", params, (Button("handoff.leave_live_chat", LEAVE),))]
    if kind in ("staff_message", "still_waiting", "staff_unreachable"):
        return [Reply(f"handoff.{kind}", params)]
    raise ValueError(f"unknown member notice {kind!r}")


class Outbox:
    """The domain's delivery outbox as the channels' delivery workers use it (take what is
    due, mark it delivered or failed): handlers reach the domain only through flows."""

    def take_due(
        self,
        uow: UnitOfWork,
        targets: Collection[str],
        *,
        limit: int = 50,
        key_prefix: str | None = None,
    ) -> list[Any]:
        return handoff.take_due(uow, targets, limit=limit, key_prefix=key_prefix)

    def delivered(
        self, uow: UnitOfWork, delivery_id: int, result: dict[str, Any] | None = None
    ) -> None:
        handoff.delivered(uow, delivery_id, result)

    def failed(
        self,
        uow: UnitOfWork,
        delivery_id: int,
        error: str,
        *,
        retry_after: float | None = None,
        backoff: float = 1.0,
        backoff_max: float = 300.0,
    ) -> datetime:
        return handoff.failed(
            uow,
            delivery_id,
            error,
            retry_after=retry_after,
            backoff=backoff,
            backoff_max=backoff_max,
        )


OUTBOX = Outbox()
