"""An inbound event as it may be stored: clean text, and no password where a person types.

The inbox keeps an event until its turn is done (or sets it aside); what a member typed is
in it. Every string is cleaned (`clean`), and the fields people type into ("text",
"caption": Telegram messages, Slack messages, the console) have their passwords replaced
by the marker before the event is written. Ids, button data and the rest stay as they
are, so the event can still be handled again.
"""

from __future__ import annotations

from typing import Any

from bot.privacy.clean import clean_payload
from bot.privacy.passwords import hide_passwords

TYPED_FIELDS = frozenset({"text", "caption"})


def fit_to_store(payload: dict[str, Any] | None) -> dict[str, Any] | None:
    if payload is None:
        return None
    return _without_passwords(clean_payload(payload))


def _without_passwords(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: hide_passwords(item)[0]
            if key in TYPED_FIELDS and isinstance(item, str)
            else _without_passwords(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_without_passwords(item) for item in value]
    return value
