"""Telegram updates into the inbox, stored before Telegram is told they arrived.

- Polling: `DurablePolling` stands for the bot in the Updater. Its `get_updates` fetches
  the raw updates, parses each one on its own, and stores the batch in one commit before
  it returns, so before the next getUpdates offset confirms them. An update that cannot be
  parsed is set aside (dead, with its reason), logged once without its content, and never
  stops the polling for everyone: the offset moves past it.
- Webhook: the route stores the body before it answers 200 (`TelegramIntake.store`).
- Anything else that hands the application an update (`process_update`, a harness
  putting it on the update queue) acknowledges nothing before its turn: the turn records
  the update in the inbox in its own transaction.

A polled or posted update stored before is not handed on again; one stored but not yet
handled (a restart, a retry) goes on to its turn, which takes it from the inbox once.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import Any

from telegram import Bot, Update

from bot.flows.pipeline import Inbound, Pipeline
from bot.flows.seam import OnTheLoop, Seam

log = logging.getLogger(__name__)
CHANNEL = "telegram"


def conversation_key(raw: dict[str, Any]) -> str | None:
    """ "telegram:<chat id>" of a raw update, read without trusting its shape."""
    for field in ("message", "edited_message", "callback_query"):
        part = raw.get(field)
        if not isinstance(part, dict):
            continue
        if field == "callback_query":
            part = part.get("message") if isinstance(part.get("message"), dict) else part
            chat = part.get("chat") or part.get("from")
        else:
            chat = part.get("chat")
        if isinstance(chat, dict) and isinstance(chat.get("id"), int):
            return f"{CHANNEL}:{chat['id']}"
    return None


def inbound(raw: dict[str, Any]) -> Inbound:
    update_id = raw.get("update_id")
    seq = update_id if isinstance(update_id, int) else 0
    return Inbound(CHANNEL, str(update_id), conversation_key(raw), seq, raw)


class TelegramIntake:
    """Stores updates in the inbox through the pipeline; remembers which it admitted."""

    def __init__(self, pipeline: Pipeline, seam: Seam | None = None) -> None:
        self.pipeline = pipeline
        self.seam: Seam = seam or OnTheLoop()  # where the inbox's write runs (a commit)
        self._admitted: OrderedDict[int, None] = OrderedDict()  # stored, on their way

    async def store(self, bot: Bot, raws: list[Any]) -> list[Update]:
        """The updates of a batch to handle now: parsed, stored (one commit; the loop goes
        on while the database writes), not handled before. Unparseable ones are set aside."""
        parsed = self._parsed(bot, raws)
        fresh = await self.pipeline.receive([event for event, _ in parsed], self.seam)
        admitted = []
        for (_event, update), new in zip(parsed, fresh, strict=True):
            if new:
                self._remember(update.update_id)
                admitted.append(update)
            else:
                log.info("update %s was stored before", update.update_id)
        return admitted

    def _parsed(self, bot: Bot, raws: list[Any]) -> list[tuple[Inbound, Update]]:
        parsed: list[tuple[Inbound, Update]] = []
        for raw in raws:
            if not isinstance(raw, dict) or not isinstance(raw.get("update_id"), int):
                log.error("an update without an update_id was dropped")
                continue
            try:
                update = Update.de_json(raw, bot)
            except Exception as exc:  # logged once, by type: the update holds member data
                event = inbound(raw)
                self.pipeline.set_aside(event, f"unparseable: {type(exc).__name__}")
                log.error(
                    "update %s cannot be parsed (%s): set aside; `cps-bot inbox list` shows it",
                    raw["update_id"],
                    type(exc).__name__,
                )
                continue
            parsed.append((inbound(raw), update))
        return parsed

    def admit(self, update: Update) -> bool:
        """True when the update goes on to be handled.

        One stored by polling or the webhook moments ago goes on. One handed to the
        application directly (`process_update`, or put on its queue by other code) has no
        acknowledgement of ours to come before: its turn records it in the inbox, in the
        turn's own transaction, and takes it once; a repeat of one handled before finds it
        done there and gets no answer.
        """
        self._admitted.pop(update.update_id, None)
        return True

    @property
    def waiting(self) -> OrderedDict[int, None]:
        """Update ids stored and on their way to the application (not to hand on again)."""
        return self._admitted

    def _remember(self, update_id: int) -> None:
        self._admitted[update_id] = None
        while len(self._admitted) > 10_000:
            self._admitted.popitem(last=False)


class DurablePolling:
    """The bot as the Updater sees it: getUpdates stores what it fetched before returning."""

    def __init__(self, bot: Bot, intake: TelegramIntake) -> None:
        self._bot = bot
        self._intake = intake
        self._next_offset = 0  # past every update stored, parseable or not

    def __getattr__(self, name: str) -> Any:
        return getattr(self._bot, name)

    async def get_updates(
        self,
        offset: int | None = None,
        limit: int | None = None,
        timeout: Any = None,
        allowed_updates: Any = None,
        **timeouts: Any,
    ) -> tuple[Update, ...]:
        """As Bot.get_updates (the same request on the long-polling connection), but each
        update parsed on its own and the batch stored before it is returned."""
        wait = _seconds(timeout) or 0.0
        data = {
            "timeout": wait,
            "offset": max(offset or 0, self._next_offset) or None,
            "limit": limit,
            "allowed_updates": allowed_updates,
        }
        base = timeouts.get("read_timeout")
        if not isinstance(base, int | float):
            base = self._bot._request[0].read_timeout or 0
        raws = await self._bot._post(  # Bot.get_updates' own call, without its de_list
            "getUpdates",
            {k: v for k, v in data.items() if v is not None},
            read_timeout=base + wait,
        )
        raws = raws if isinstance(raws, list) else []
        ids = [r.get("update_id") for r in raws if isinstance(r, dict)]
        updates = await self._intake.store(self._bot, raws)
        numbered = [i for i in ids if isinstance(i, int)]
        if numbered:
            self._next_offset = max(numbered) + 1
        for update in updates:
            self._bot.insert_callback_data(update)
        return tuple(updates)


def _seconds(value: Any) -> float | None:
    if value is None:
        return None
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)
