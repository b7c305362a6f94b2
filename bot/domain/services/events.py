"""Recording what happened, for the report: a turn's marks written with the turn, and the
facts that happen outside a turn (a card staff could not be shown, a chat linked by hand).

A turn's flows say what they did as `Mark`s (a flow started or ended, a handoff, a step of
the journey); the engine adds the turn itself (its outcome and time) and `turns.OpenTurn`
writes them all in the turn's transaction: a turn rolled back leaves no number behind, a
turn handled twice cannot count twice.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, select, update

from bot.domain.models import Event
from bot.domain.unit_of_work import UnitOfWork

TEXT_LENGTH = 200

# What a flow's end says about its goal (the report's flows started vs completed).
COMPLETED, DECLINED, CANCELLED = "completed", "declined", "cancelled"


@dataclass(frozen=True)
class Mark:
    """One fact of a turn: kind "turn" | "flow" | "handoff" | "milestone", and its name."""

    kind: str
    name: str
    detail: str | None = None
    escalation_id: int | None = None
    text: str | None = None
    value: float | None = None

    def row(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name[:40],
            "detail": self.detail,
            "escalation_id": self.escalation_id,
            "text": self.text[:TEXT_LENGTH] if self.text else None,
            "value": self.value,
        }


def channel_of(conversation_key: str | None) -> str | None:
    """ "telegram:42" -> "telegram"."""
    return conversation_key.partition(":")[0] if conversation_key else None


def record(
    uow: UnitOfWork,
    mark: Mark,
    *,
    conversation_key: str | None,
    language: str | None,
    account_id: int | None,
) -> None:
    """A fact outside a member's turn, in the caller's transaction."""
    uow.session.add(
        Event(
            at=uow.clock.now(),
            channel=channel_of(conversation_key),
            language=language,
            conversation_key=conversation_key,
            account_id=account_id,
            **mark.row(),
        )
    )


def anonymise_chat(uow: UnitOfWork, conversation_key: str) -> int:
    """A chat forgotten or erased: its events keep their figures (the report's past does
    not change) but lose the text and the link to the chat and the member; they still
    count as one conversation, under a random name. How many rows changed."""
    return _unlink(uow, Event.conversation_key == conversation_key)


def anonymise_account(uow: UnitOfWork, account_id: int) -> int:
    """An erased member's events no chat key reaches (those from before a chat was
    forgotten, or written outside a chat)."""
    return _unlink(uow, Event.account_id == account_id)


def anonymise_before(uow: UnitOfWork, cutoff: datetime) -> int:
    """Retention: events older than `cutoff` that still name a chat, or keep a text."""
    old = (Event.at < cutoff, _NAMED | Event.text.is_not(None))
    keys = uow.session.scalars(select(Event.conversation_key).where(*old).distinct()).all()
    changed = 0
    for key in keys:  # each chat under its own random name: still one conversation
        where = Event.conversation_key.is_(None) if key is None else Event.conversation_key == key
        changed += _unlink(uow, where, Event.at < cutoff, keep_account=True)
    return changed


_ANONYMOUS = "anonymous:"
_NAMED = Event.conversation_key.is_not(None) & ~Event.conversation_key.startswith(_ANONYMOUS)


def _unlink(uow: UnitOfWork, *where: Any, keep_account: bool = False) -> int:
    key = f"{_ANONYMOUS}{secrets.token_hex(8)}"
    values: dict[str, Any] = {"text": None}
    values["conversation_key"] = case((_NAMED, key), else_=Event.conversation_key)
    if not keep_account:
        values["account_id"] = None
    statement = update(Event).where(*where).values(values)
    return int(
        uow.session.execute(statement, execution_options={"synchronize_session": False}).rowcount
        or 0
    )
