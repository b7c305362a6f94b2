"""Sends the staff side of the outbox to Slack: cards, card updates, thread lines, reminders.

`SlackDelivery.send` is the `send` of a DeliveryWorker for the targets in `TARGETS`. It
reads the escalation as it is now (so a card update shows the latest status, however many
updates were queued) and raises `RetryLater` whenever Slack did not take the message: an
error answer, a 429 (with its Retry-After, after the client's own retry), a 5xx or no
connection at all. Thread lines and updates wait for the card: they are postponed, not
lost, while the card itself has not been posted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.unit_of_work import UnitOfWork
from bot.handlers.delivery import Delivery, RetryLater
from bot.handlers.slack_blocks import esc
from bot.handlers.slack_card import card
from bot.handlers.slack_escalation_lines import EscalationView, age
from bot.handlers.slack_staff import Handoff
from bot.settings import Settings

log = logging.getLogger(__name__)

TARGETS = ("slack_card", "slack_card_update", "slack_thread", "slack_reminder")
GONE = frozenset({"message_not_found", "cant_update_message"})  # the card was deleted


class SlackDelivery:
    def __init__(
        self,
        client: AsyncWebClient,
        settings: Settings,
        uow_factory: Callable[[], UnitOfWork],
        *,
        handoff: Handoff,
    ) -> None:
        self.client = client
        self.settings = settings
        self.uow_factory = uow_factory
        self.handoff = handoff

    async def send(self, delivery: Any) -> dict[str, Any] | None:
        """Post one delivery; the card's {"channel", "ts"} for "slack_card"."""
        sender = {
            "slack_card": self._card,
            "slack_card_update": self._update,
            "slack_thread": self._thread,
            "slack_reminder": self._reminder,
        }.get(delivery.target)
        if sender is None:
            raise ValueError(f"not a Slack delivery: {delivery.target}")
        view = self.handoff.get(self.uow_factory(), delivery.escalation_id)
        try:
            return await sender(view, delivery)
        except SlackApiError as exc:
            raise RetryLater(*_why(exc)) from None
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise RetryLater(f"no connection to Slack ({type(exc).__name__})") from None

    async def _card(self, view: EscalationView, _delivery: Delivery) -> dict[str, Any]:
        if view.card_ts:  # posted before the delivered mark was lost (a crash): not twice
            return {"channel": view.card_channel, "ts": view.card_ts}
        channel = self.settings.slack_staff_channel
        if not channel:
            raise RetryLater("slack_staff_channel is not set")
        text, blocks = card(view)
        answer = await self.client.chat_postMessage(
            channel=channel, text=text, blocks=blocks, unfurl_links=False, unfurl_media=False
        )
        return {"channel": answer["channel"], "ts": answer["ts"]}

    async def _update(self, view: EscalationView, _delivery: Delivery) -> dict[str, Any] | None:
        channel, ts = _card_of(view)
        text, blocks = card(view)
        try:
            await self.client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
        except SlackApiError as exc:
            if exc.response.get("error") not in GONE:
                raise
            log.warning("card of escalation %s is gone; update dropped", view.id)
        return None

    async def _thread(self, view: EscalationView, delivery: Any) -> None:
        channel, ts = _card_of(view)
        payload = delivery.payload
        who = "Bot" if payload.get("author") == "bot" else "Member"
        text = f"*{who}:* {esc(payload.get('text', ''))}"
        await self.client.chat_postMessage(channel=channel, thread_ts=ts, text=text)

    async def _reminder(self, view: EscalationView, _delivery: Delivery) -> None:
        channel, ts = _card_of(view)
        waited = age(self.uow_factory().clock.now() - view.created_at)
        sla = self.settings.handoff_claim_sla_minutes
        text = (
            f":alarm_clock: Escalation #{view.id} ({esc(view.email or 'member not linked')}) has"
            f" waited {waited} and nobody has claimed it: the SLA is {sla:g} min. Claim it on"
            " the card above."
        )
        await self.client.chat_postMessage(
            channel=channel, thread_ts=ts, reply_broadcast=True, text=text
        )


def _card_of(view: EscalationView) -> tuple[str, str]:
    if not (view.card_channel and view.card_ts):
        raise RetryLater("the card is not posted yet")
    return view.card_channel, view.card_ts


def _why(exc: SlackApiError) -> tuple[str, float | None]:
    """The reason and the Retry-After of a refusal (headers may come in any case)."""
    response = exc.response
    error = str(response.get("error") or f"HTTP {response.status_code}")
    headers = {str(k).lower(): v for k, v in (response.headers or {}).items()}
    after = headers.get("retry-after")
    if isinstance(after, list):
        after = after[0] if after else None
    try:
        return f"Slack: {error}", float(after) if after is not None else None
    except ValueError:
        return f"Slack: {error}", None
