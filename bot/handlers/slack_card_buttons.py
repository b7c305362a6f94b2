"""The buttons on the escalation card and the App Home: Claim, Resolve, View member.

Only staff may press them: anyone else gets an ephemeral refusal and nothing changes. A
claim or resolve runs as the staff member who pressed; the domain's refusal (already
claimed by someone else, already resolved) or a failure on our side is told to them alone,
in the channel or, for a press on the Home tab, in a direct message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain import errors
from bot.handlers.slack_listener_base import REFUSED, ListenerBase
from bot.handlers.slack_member_details import member_modal
from bot.handlers.slack_staff import refusal

log = logging.getLogger(__name__)

NOT_DONE = "Not done: something went wrong on our side. Try again in a moment."


class CardButtons(ListenerBase):
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
