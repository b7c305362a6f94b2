"""The Slack staff app's listeners: buttons on the card, thread replies, `/cps`, App Home.

Each acks first (within Slack's 3 s) and works after the answer; the domain work runs on
a thread so the loop stays free. Only staff may act: anyone else gets an ephemeral refusal
and nothing changes. A retried delivery of an event (X-Slack-Retry-Num) is dropped before
them by the inbox (`slack_inbox`), and the domain de-duplicates a relayed reply by its
message ts as well (a stored event dispatched again after a crash).

`StaffListeners` gathers them all: the card's buttons (`slack_card_buttons`), thread
replies (`slack_thread_replies`), and here the `/cps` command, the App Home and the error
handler; the plumbing they share is in `slack_listener_base`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.handlers.slack_blocks import mrkdwn
from bot.handlers.slack_card_buttons import CardButtons
from bot.handlers.slack_listener_base import REFUSED
from bot.handlers.slack_queue import home
from bot.handlers.slack_staff import CommandError, parse, run
from bot.handlers.slack_thread_replies import ThreadReplies

log = logging.getLogger(__name__)


class StaffListeners(CardButtons, ThreadReplies):
    """Every listener `build_slack_app` registers: the card's buttons, thread replies, the
    `/cps` command, the App Home and the error handler."""

    async def command(self, ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        user = command["user_id"]
        if not await self.directory.is_staff(user):
            log.info("%s is not staff: /cps refused", user)
            await respond(text=REFUSED, response_type="ephemeral")
            return
        try:
            parsed = parse(command.get("text") or "")
        except CommandError as exc:
            await respond(text=str(exc), response_type="ephemeral")
            return
        answer = await asyncio.to_thread(run, self.desk, user, parsed)
        await respond(text=answer, response_type="ephemeral")

    async def home(self, event: dict[str, Any], client: AsyncWebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        user = event["user"]
        if await self.directory.is_staff(user):
            views = await self._db(self.desk.handoff.queue)
            week = await self._db(self.desk.staff.last_week)
            now = self.desk.uow().clock.now()
            published = home(views, now, self.desk.sla_minutes, week)
        else:
            published = {"type": "home", "blocks": [mrkdwn(REFUSED)]}
        await client.views_publish(user_id=user, view=published)

    async def on_error(self, error: Exception, body: dict[str, Any]) -> None:
        """Logged with the traceback, never the request body: bodies carry member data."""
        log.error(
            "Slack %s failed: %s",
            body.get("type") or "command",
            type(error).__name__,
            exc_info=error,
        )
