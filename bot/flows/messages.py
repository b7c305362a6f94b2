"""What goes in (a Turn) and what comes out (Replies) of the dialogue engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from bot.privacy.clean import clean_text


@dataclass(frozen=True)
class Turn:
    """One thing the member did: typed text or pressed a button (payload)."""

    channel: str
    chat_id: str
    text: str | None = None
    payload: str | None = None
    event_id: str | None = None
    language_hint: str | None = None  # e.g. Telegram's language_code

    def __post_init__(self) -> None:
        if self.text:  # cleaned at the door: what cannot be stored never comes in
            object.__setattr__(self, "text", clean_text(self.text))

    @property
    def key(self) -> str:
        return f"{self.channel}:{self.chat_id}"


class Key(str):
    """A parameter that is itself a message key, translated when the reply is rendered."""


@dataclass(frozen=True)
class Money:
    """An amount in a currency, written the reply's way ("250,00 €", "€250.00")."""

    amount: Decimal
    currency: str


@dataclass(frozen=True)
class Button:
    key: str  # message key of the label
    payload: str  # stable: "pay:card", "level:gold", "cmd:cancel"
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Reply:
    key: str
    params: dict[str, Any] = field(default_factory=dict)
    buttons: tuple[Button, ...] = ()
    delete_user_message: bool = False  # R1: a typed password is removed where the channel can
