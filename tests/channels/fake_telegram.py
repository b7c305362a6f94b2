"""A local fake of the Telegram Bot API on 127.0.0.1, for driving the real PTB stack offline.

It serves `/bot<token>/<method>` (form-urlencoded as PTB sends it without files; JSON fields
decoded), and
keeps:
- a call log (`calls`), with `wait_for(predicate)` to wait on it without sleeping;
- a message store, so button presses reference real messages with their keyboards, and
  edits and deletions are checked like Telegram would (unknown message -> 400);
- an update queue: `getUpdates` honours offset and limit and holds up to `timeout` seconds,
  woken early by a new update (and by `stop()`, so shutdown is instant);
- fault injection: `fail(method, status, retry_after=...)` answers the next calls with a 429
  (fractional retry_after allowed) or a 5xx; `delay` slows every answer (a real round trip).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.channels.loopback import Call, LoopbackServer

JSON_FIELDS = {
    "reply_markup",
    "allowed_updates",
    "commands",
    "scope",
    "reply_parameters",
    "entities",
    "link_preview_options",
}
NUMBER_FIELDS = {"chat_id", "message_id", "offset", "limit", "timeout", "max_connections"}
BOT_USER = {"id": 4242, "is_bot": True, "first_name": "CPS", "username": "cps_test_bot"}


class AsciiJSONResponse(JSONResponse):
    """As the Bot API sends JSON: non-ASCII escaped, so a lone surrogate a client sent
    (half an emoji) comes back as "\\ud83d", as it does from Telegram."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, separators=(",", ":")).encode("ascii")


@dataclass
class Fault:
    status: int
    retry_after: float | None = None


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class FakeTelegram(LoopbackServer):
    def __init__(
        self, token: str = "123456:TEST-token_abcdefghijklmnopqrstuv", first_update_id: int = 1000
    ) -> None:
        super().__init__()
        self.token = token
        self.calls: list[Call] = []
        self.updates: list[dict[str, Any]] = []
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.faults: dict[str, list[Fault]] = {}
        self.storms: dict[str, tuple[float, float]] = {}  # method -> (until, retry_after)
        self.webhook: dict[str, Any] | None = None
        self.delay = 0.0
        self.on_send: Callable[[int], None] | None = None  # told of each sendMessage (bench)
        self.closed = False
        self._update_ids = itertools.count(first_update_id)
        self._message_ids = itertools.count(1)

    # -- server ----------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        """What `telegram_base_url` (or `ApplicationBuilder.base_url`) should be."""
        return f"{self.url}/bot"

    async def start(self, extra_routes: Sequence[Route] = ()) -> None:
        api = Route("/bot{token}/{method}", self._endpoint, methods=["POST"])
        app = Starlette(routes=[api, *extra_routes])
        await self.serve(app)

    async def stop(self) -> None:
        self.closed = True
        self._changed()  # held getUpdates answer now
        await self.shutdown()

    def recent_calls(self) -> str:
        return "\n".join(f"  {c.method} {c.status} {c.params}" for c in self.calls[-15:])

    # -- faults ------------------------------------------------------------------------
    def fail(self, method: str, status: int, *, retry_after: float | None = None, times: int = 1):
        self.faults.setdefault(method, []).extend([Fault(status, retry_after)] * times)

    def storm(self, method: str, seconds: float, retry_after: float) -> None:
        """Every `method` call answered 429 with `retry_after` for the next `seconds`."""
        self.storms[method] = (time.monotonic() + seconds, retry_after)

    # -- what the bot did --------------------------------------------------------------
    def called(self, method: str, **where: Any) -> list[Call]:
        return [
            c
            for c in self.calls
            if c.method == method
            and c.status == 200
            and all(c.params.get(k) == v for k, v in where.items())
        ]

    def sent(self, chat_id: int) -> list[str]:
        """Texts of the messages the bot sent to this chat, in order."""
        return [c.params["text"] for c in self.called("sendMessage", chat_id=chat_id)]

    def buttons(self, chat_id: int) -> list[tuple[str, str]]:
        """(label, callback_data) of every keyboard still open in this chat, newest last."""
        found = []
        for (chat, _id), message in sorted(self.messages.items()):
            if chat == chat_id and message.get("reply_markup"):
                for row in message["reply_markup"]["inline_keyboard"]:
                    found += [(b["text"], b["callback_data"]) for b in row]
        return found

    def message_with_button(self, chat_id: int, label: str) -> dict[str, Any] | None:
        for (chat, _id), message in sorted(self.messages.items(), reverse=True):
            markup = message.get("reply_markup") if chat == chat_id else None
            for row in markup["inline_keyboard"] if markup else ():
                if any(b["text"] == label for b in row):
                    return message
        return None

    # -- updates the member sends ------------------------------------------------------
    def user(self, user_id: int, language: str | None) -> dict[str, Any]:
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": f"Member{user_id}"}
        if language:
            user["language_code"] = language
        return user

    def chat(self, chat_id: int) -> dict[str, Any]:
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": f"Member{chat_id}"}
        return {"id": chat_id, "type": "supergroup", "title": "Photographers"}

    def message_update(
        self,
        chat_id: int,
        text: str | None = None,
        *,
        language: str | None = "it",
        user_id: int | None = None,
        kind: str = "message",
        **content: Any,
    ) -> dict[str, Any]:
        """A member's message (text, or e.g. sticker={...}), stored so it can be deleted."""
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self.chat(chat_id),
            "from": self.user(user_id or abs(chat_id), language),
            **content,
        }
        if text is not None:
            message["text"] = text
            if text.startswith("/"):
                length = len(text.split()[0])
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        if kind == "edited_message":
            message["edit_date"] = message["date"]
        self.messages[(chat_id, message["message_id"])] = message
        return {"update_id": next(self._update_ids), kind: message}

    def press_update(
        self, chat_id: int, label: str, *, language: str | None = "it"
    ) -> dict[str, Any]:
        """A press on the newest open button with this label."""
        message = self.message_with_button(chat_id, label)
        assert message is not None, f"no open button {label!r} in {self.buttons(chat_id)}"
        data = next(
            b["callback_data"]
            for row in message["reply_markup"]["inline_keyboard"]
            for b in row
            if b["text"] == label
        )
        return self.callback_update(chat_id, message, data, language=language)

    def callback_update(
        self, chat_id: int, message: dict[str, Any], data: str, *, language: str | None = "it"
    ) -> dict[str, Any]:
        query = {
            "id": str(next(self._update_ids) * 7),
            "from": self.user(abs(chat_id), language),
            "chat_instance": str(chat_id),
            "message": json.loads(json.dumps(message)),
            "data": data,
        }
        return {"update_id": next(self._update_ids), "callback_query": query}

    def inject(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for getUpdates (the same dict twice: a duplicate delivery)."""
        self.updates.append(update)
        self._changed()
        return update

    # -- the Bot API -------------------------------------------------------------------
    async def _endpoint(self, request: Request) -> JSONResponse:
        method = request.path_params["method"]
        form = parse_qsl((await request.body()).decode(), keep_blank_values=True)
        params = {key: self._decode(key, value) for key, value in form}
        call = Call(method, params, request.path_params["token"])
        self.calls.append(call)
        self._changed()
        if self.delay:
            await asyncio.sleep(self.delay)
        storm = self.storms.get(method)
        if storm is not None and time.monotonic() < storm[0]:
            return self._fault(call, Fault(429, storm[1]))
        faults = self.faults.get(method)
        if faults:
            return self._fault(call, faults.pop(0))
        api = getattr(self, f"_api_{method}", None)
        if api is None:
            return self._error(call, 404, "Not Found: method not found")
        try:
            result = await api(params)
        except LookupError as exc:
            return self._error(call, 400, f"Bad Request: {exc.args[0]}")
        self._changed()
        return AsciiJSONResponse({"ok": True, "result": result})

    @staticmethod
    def _decode(key: str, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        if key in JSON_FIELDS:
            return json.loads(value)
        if key in NUMBER_FIELDS:
            return float(value) if "." in value else int(value)
        return value

    def _fault(self, call: Call, fault: Fault) -> JSONResponse:
        if fault.retry_after is None:
            return self._error(call, fault.status, "Injected error")
        body = {
            "ok": False,
            "error_code": fault.status,
            "description": f"Too Many Requests: retry after {fault.retry_after}",
            "parameters": {"retry_after": fault.retry_after},
        }
        call.status = fault.status
        return JSONResponse(body, status_code=fault.status)

    def _error(self, call: Call, status: int, description: str) -> JSONResponse:
        call.status = status
        self._changed()
        body = {"ok": False, "error_code": status, "description": description}
        return JSONResponse(body, status_code=status)

    async def _api_getMe(self, _p: dict[str, Any]) -> dict[str, Any]:
        return BOT_USER

    async def _api_getUpdates(self, p: dict[str, Any]) -> list[dict[str, Any]]:
        offset, limit = int(p.get("offset", 0)), int(p.get("limit", 100))
        self.updates = [u for u in self.updates if u["update_id"] >= offset]
        if not self.updates and not self.closed and float(p.get("timeout", 0)) > 0:
            news = self._news
            try:
                async with asyncio.timeout(float(p["timeout"])):
                    while not self.updates and not self.closed:
                        await news.wait()
                        news = self._news
            except TimeoutError:
                pass
        return self.updates[:limit]

    async def _api_deleteWebhook(self, _p: dict[str, Any]) -> bool:
        self.webhook = None
        return True

    async def _api_setWebhook(self, p: dict[str, Any]) -> bool:
        self.webhook = p
        return True

    async def _api_setMyCommands(self, _p: dict[str, Any]) -> bool:
        return True

    async def _api_sendChatAction(self, _p: dict[str, Any]) -> bool:
        return True

    async def _api_answerCallbackQuery(self, _p: dict[str, Any]) -> bool:
        return True

    async def _api_sendMessage(self, p: dict[str, Any]) -> dict[str, Any]:
        text = p.get("text", "")
        if not text.strip() or utf16_length(text) > 4096:
            raise LookupError("message text is empty or too long")
        markup = p.get("reply_markup")
        for row in markup.get("inline_keyboard", []) if markup else ():
            if any(len(b["callback_data"].encode()) > 64 for b in row):
                raise LookupError("BUTTON_DATA_INVALID")
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self.chat(p["chat_id"]),
            "from": BOT_USER,
            "text": text,
        }
        if markup:
            message["reply_markup"] = markup
        self.messages[(p["chat_id"], message["message_id"])] = message
        if self.on_send is not None:
            self.on_send(p["chat_id"])
        return message

    def _stored(self, p: dict[str, Any]) -> dict[str, Any]:
        message = self.messages.get((p["chat_id"], p["message_id"]))
        if message is None:
            raise LookupError("message to edit not found")
        return message

    async def _api_editMessageText(self, p: dict[str, Any]) -> dict[str, Any]:
        message = self._stored(p)
        message["text"] = p["text"]
        message.pop("reply_markup", None)
        if p.get("reply_markup"):
            message["reply_markup"] = p["reply_markup"]
        return message

    async def _api_editMessageReplyMarkup(self, p: dict[str, Any]) -> dict[str, Any]:
        message = self._stored(p)
        message.pop("reply_markup", None)
        if p.get("reply_markup", {}).get("inline_keyboard"):
            message["reply_markup"] = p["reply_markup"]
        return message

    async def _api_deleteMessage(self, p: dict[str, Any]) -> bool:
        if self.messages.pop((p["chat_id"], p["message_id"]), None) is None:
            raise LookupError("message to delete not found")
        return True
