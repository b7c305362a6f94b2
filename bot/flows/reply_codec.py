"""Replies as JSON and back: a turn's answer waits in the outbox until its channel took it.

Parameters keep their type (a message key, a nested reply, a date, an amount), so a reply
read back from the outbox renders exactly as it would have straight from the flow.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from bot.flows.messages import Button, Key, Money, Reply


def encode_replies(replies: list[Reply]) -> list[dict[str, Any]]:
    return [_reply(reply) for reply in replies]


def decode_replies(data: list[dict[str, Any]]) -> list[Reply]:
    return [_unreply(item) for item in data]


def _reply(reply: Reply) -> dict[str, Any]:
    encoded: dict[str, Any] = {"key": reply.key}
    if reply.params:
        encoded["params"] = {k: _value(v) for k, v in reply.params.items()}
    if reply.buttons:
        encoded["buttons"] = [
            {
                "key": b.key,
                "payload": b.payload,
                **({"params": _params(b.params)} if b.params else {}),
            }
            for b in reply.buttons
        ]
    if reply.delete_user_message:
        encoded["delete_user_message"] = True
    return encoded


def _unreply(data: dict[str, Any]) -> Reply:
    return Reply(
        data["key"],
        {k: _unvalue(v) for k, v in (data.get("params") or {}).items()},
        tuple(
            Button(b["key"], b["payload"], {k: _unvalue(v) for k, v in b.get("params", {}).items()})
            for b in data.get("buttons", ())
        ),
        bool(data.get("delete_user_message")),
    )


def _params(params: dict[str, Any]) -> dict[str, Any]:
    return {k: _value(v) for k, v in params.items()}


def _value(value: Any) -> Any:
    if isinstance(value, Key):
        return {"$key": str(value)}
    if isinstance(value, Reply):
        return {"$reply": _reply(value)}
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, Money):
        return {"$money": [str(value.amount), value.currency]}
    if isinstance(value, list | tuple):
        return [_value(item) for item in value]
    if isinstance(value, dict):
        return {"$dict": {k: _value(v) for k, v in value.items()}}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _unvalue(value: Any) -> Any:
    if isinstance(value, list):
        return [_unvalue(item) for item in value]
    if not isinstance(value, dict):
        return value
    [(tag, inner)] = value.items()
    if tag == "$key":
        return Key(inner)
    if tag == "$reply":
        return _unreply(inner)
    if tag == "$datetime":
        return datetime.fromisoformat(inner)
    if tag == "$date":
        return date.fromisoformat(inner)
    if tag == "$decimal":
        return Decimal(inner)
    if tag == "$money":
        return Money(Decimal(inner[0]), inner[1])
    return {k: _unvalue(v) for k, v in inner.items()}
