"""What every Slack staff listener shares: its dependencies and the two pieces of plumbing.

`ListenerBase` holds the desk (the domain's operations), the staff directory, the staff
channel and the wake-up hooks of the delivery workers. `_db` runs a domain operation on a
thread so the event loop keeps acking; `_wake` lets the workers send at once what that
operation queued. The listeners themselves are in `slack_card_buttons`,
`slack_thread_replies` and `slack_listeners`.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from bot.handlers.slack_staff import Desk, StaffDirectory

T = TypeVar("T")
Hook = Callable[[str], object]

REFUSED = "Sorry, only CPS staff can do that. Ask an admin to add you to the staff group."


class ListenerBase:
    """Each listener acks first; the work (Slack look-ups, the database) runs after."""

    def __init__(
        self,
        desk: Desk,
        directory: StaffDirectory,
        staff_channel: str,
        on_member_message: Hook | None,
        on_slack_delivery: Callable[[], object] | None,
    ) -> None:
        self.desk = desk
        self.directory = directory
        self.staff_channel = staff_channel
        self.on_member_message = on_member_message
        self.on_slack_delivery = on_slack_delivery

    async def _db(self, operation: Callable[..., T], *args: Any) -> T:
        """A domain operation in a thread, so the event loop keeps acking meanwhile."""
        return await asyncio.to_thread(operation, self.desk.uow(), *args)

    async def _wake(self, conversation_key: str | None, *, card: bool) -> None:
        """Let the delivery workers send what the domain just queued, now."""
        calls: list[Callable[[], object]] = []
        if conversation_key and self.on_member_message is not None:
            hook = self.on_member_message
            calls.append(lambda: hook(conversation_key))
        if card and self.on_slack_delivery is not None:
            calls.append(self.on_slack_delivery)
        for call in calls:
            result = call()
            if inspect.isawaitable(result):
                await result
