"""Staff replies in an escalation card's thread, relayed to the member's chat.

A staff member's plain reply (also one sent to the channel, or one with a file, whose
text is relayed) reaches the member while the escalation is claimed; one starting with
`note:` stays among staff. A reply from someone who is not staff, or to an escalation
that is not live, gets an ephemeral hint in the thread saying why nothing was sent. The
domain de-duplicates a relayed reply by its message ts (a stored event dispatched again).
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.handlers.slack_blocks import from_mrkdwn
from bot.handlers.slack_escalation_lines import EscalationView
from bot.handlers.slack_listener_base import ListenerBase

log = logging.getLogger(__name__)

# A plain reply, one also sent to the channel, one with a file (its text is relayed).
RELAYED_SUBTYPES = frozenset({None, "thread_broadcast", "file_share"})


class ThreadReplies(ListenerBase):
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


def not_live_hint(view: EscalationView) -> str:
    if view.status == "resolved":
        return f"Escalation #{view.id} is resolved: the member is back with the bot."
    return (
        f"Claim escalation #{view.id} first: then your replies here reach the member."
        " Start a line with `note:` to keep it among staff."
    )
