"""The Slack staff app's listeners: buttons on the card, thread replies, `/cps`, App Home.

Each acks first (within Slack's 3 s) and works after the answer; the domain work runs on
a thread so the loop stays free. Only staff may act: anyone else gets an ephemeral refusal
and nothing changes. A retried delivery of an event (X-Slack-Retry-Num) is dropped before
them by the inbox (`slack_inbox`), and the domain de-duplicates a relayed reply by its
message ts as well (a stored event dispatched again after a crash).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from slack_bolt.async_app import AsyncAck, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain import errors
from bot.handlers.slack_blocks import (
    EscalationView,
    from_mrkdwn,
    home,
    member_modal,
    mrkdwn,
)
from bot.handlers.slack_staff import (
    CommandError,
    Desk,
    StaffDirectory,
    parse,
    refusal,
    run,
)

log = logging.getLogger(__name__)
T = TypeVar("T")
Hook = Callable[[str], object]


REFUSED = "Sorry, only CPS staff can do that. Ask an admin to add you to the staff group."
NOT_DONE = "Not done: something went wrong on our side. Try again in a moment."
# A plain reply, one also sent to the channel, one with a file (its text is relayed).
RELAYED_SUBTYPES = frozenset({None, "thread_broadcast", "file_share"})


class StaffListeners:
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

    # -- buttons on the card -----------------------------------------------------------
    async def claim(
        self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        await ack()
        await self._change(body, client, respond, self.desk.handoff.claim)

    async def resolve(
        self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        await ack()
        await self._change(body, client, respond, self.desk.handoff.resolve)

    async def _change(
        self,
        body: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
        operation: Callable[..., Any],
    ) -> None:
        """Claim or resolve as the staff member who pressed; refusals answered to them only."""
        user, escalation_id = await self._staff_press(body, client, respond)
        if escalation_id is None:
            return
        name = await self.directory.name(user)
        try:
            view = await self._db(operation, escalation_id, user, name)
        except errors.DomainError as exc:
            await self._tell(body, client, respond, refusal(exc))
            return
        except Exception:  # the database hiccuped: say so, nothing was changed
            log.exception("%s of escalation %s failed", operation.__name__, escalation_id)
            await self._tell(body, client, respond, NOT_DONE)
            return
        await self._wake(view.conversation_key, card=True)

    async def view_member(
        self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        await ack()
        _user, escalation_id = await self._staff_press(body, client, respond)
        if escalation_id is None:
            return
        try:
            view = await self._db(self.desk.handoff.get, escalation_id)
        except errors.DomainError as exc:
            await self._tell(body, client, respond, refusal(exc))
            return
        await client.views_open(trigger_id=body["trigger_id"], view=member_modal(view))

    async def _staff_press(
        self, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> tuple[str, int | None]:
        """Who pressed and which escalation, once they are known to be staff."""
        user = body["user"]["id"]
        if not await self.directory.is_staff(user):
            log.info("%s is not staff: %s refused", user, body["actions"][0].get("action_id"))
            await self._tell(body, client, respond, REFUSED)
            return user, None
        value = str(body["actions"][0].get("value", ""))
        if not value.isdigit() or len(value) > 9:  # not one of our escalation numbers
            await self._tell(body, client, respond, "That button is out of date.")
            return user, None
        return user, int(value)

    async def _tell(
        self, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond, text: str
    ) -> None:
        """An answer only the person who pressed sees (a Home tab press has no response_url)."""
        user = body["user"]["id"]
        channel = (body.get("channel") or {}).get("id")
        if body.get("response_url"):
            await respond(text=text, response_type="ephemeral", replace_original=False)
        elif channel:
            await client.chat_postEphemeral(channel=channel, user=user, text=text)
        else:
            await client.chat_postMessage(channel=user, text=text)

    # -- thread replies: staff to member -----------------------------------------------
    async def thread_reply(self, event: dict[str, Any], client: AsyncWebClient) -> None:
        """A staff reply in a card's thread goes to the member (`note:` ones stay here)."""
        thread_ts, channel, user = event.get("thread_ts"), event.get("channel"), event.get("user")
        subtype = event.get("subtype")
        if subtype not in RELAYED_SUBTYPES or event.get("bot_id") or not user:
            return  # edits, joins, bots (ourselves included): not a staff reply
        if channel != self.staff_channel or not thread_ts or thread_ts == event.get("ts"):
            return
        view = await self._db(self.desk.handoff.find_by_card, channel, thread_ts)
        if view is None:
            return
        hint: str | None = None
        if not await self.directory.is_staff(user):
            hint = "Only CPS staff reach members from here: your reply stayed in Slack."
        else:
            name = await self.directory.name(user)
            text = from_mrkdwn(event.get("text") or "")
            try:
                outcome = await self._db(
                    self.desk.handoff.relay_to_member, view.id, user, name, text, event["ts"]
                )
            except Exception:  # the database hiccuped: the reply did not go, say so
                log.exception("relaying a reply to escalation %s failed", view.id)
                outcome = "failed"
                hint = "Your reply did not reach the member (a problem on our side): send it again."
            if outcome == "sent":
                await self._wake(view.conversation_key, card=False)
                if event.get("files"):
                    hint = "Only your text reached the member: files are not forwarded."
            elif outcome == "not_live":
                hint = not_live_hint(view)
        if hint:
            await client.chat_postEphemeral(
                channel=channel, user=user, thread_ts=thread_ts, text=hint
            )

    # -- /cps and the App Home ---------------------------------------------------------
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
            now = self.desk.uow().clock.now()
            published = home(views, now, self.desk.sla_minutes)
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

    # -- plumbing ----------------------------------------------------------------------
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


def not_live_hint(view: EscalationView) -> str:
    if view.status == "resolved":
        return f"Escalation #{view.id} is resolved: the member is back with the bot."
    return (
        f"Claim escalation #{view.id} first: then your replies here reach the member."
        " Start a line with `note:` to keep it among staff."
    )
