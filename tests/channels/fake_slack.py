"""A local fake of the Slack Web API and Socket Mode on 127.0.0.1, for the real slack-bolt stack.

It serves `/api/<method>` (GET query, POST form or JSON, as slack_sdk sends them; `blocks`,
`view` and `attachments` decoded when they arrive as JSON strings) with the bearer token
checked like Slack does (`invalid_auth`, `not_allowed_token_type`), and keeps:
- a call log (`calls`) and `wait_for(predicate)`, woken by every call, ack and connection;
- the messages posted (`messages`, by (channel, ts)), with threads, edits, ephemerals,
  App Home views (`home`) and modals (`modals`); `responses` posted to `response_url(...)`;
- configurable users (`users`: id -> real name) and user groups (`groups`: id -> user ids);
- fault injection: `fail(method, status, times)`, `rate_limit(method, retry_after, times)`
  (HTTP 429 with a Retry-After header, as Slack does) and `down()` / `up()` (every method 503);
- Socket Mode: `apps.connections.open` (xapp- token) hands out `ws://.../socket`; a connection
  gets `hello` first, then `push(type, payload)` envelopes; `wait_ack(envelope_id)` returns
  the app's ack. `disconnect()` asks the app to reconnect, as Slack does before a refresh.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from tests.channels.loopback import Call, LoopbackServer

BOT_TOKEN = "xoxb-1-test-bot-token"
APP_TOKEN = "xapp-1-A0CPS-test-app-token"
TEAM_ID = "T0CPS"
APP_ID = "A0CPS"
BOT_USER_ID = "U0CPSBOT"
BOT_ID = "B0CPSBOT"
JSON_FIELDS = {"blocks", "attachments", "view", "metadata"}
APP_METHODS = {"apps.connections.open"}  # the only methods an xapp- token may call


@dataclass
class Fault:
    status: int
    retry_after: int | None = None


class FakeSlack(LoopbackServer):
    def __init__(
        self,
        bot_token: str = BOT_TOKEN,
        app_token: str = APP_TOKEN,
        *,
        users: dict[str, str] | None = None,
        groups: dict[str, list[str]] | None = None,
    ) -> None:
        super().__init__()
        self.bot_token = bot_token
        self.app_token = app_token
        self.users = dict(users or {})  # user id -> real name ("Giulia Rossi")
        self.groups = {k: list(v) for k, v in (groups or {}).items()}
        self.calls: list[Call] = []
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}
        self.ephemerals: list[dict[str, Any]] = []
        self.home: dict[str, dict[str, Any]] = {}  # user id -> published App Home view
        self.modals: list[dict[str, Any]] = []
        self.responses: list[tuple[str, dict[str, Any]]] = []  # (response_url key, body)
        self.acks: dict[str, dict[str, Any]] = {}  # envelope id -> the app's ack
        self.sockets: list[WebSocket] = []
        self.connections = 0  # sockets ever opened (a reconnect counts again)
        self.faults: dict[str, list[Fault]] = {}
        self.outage = False
        self._ts = itertools.count(100, 100)

    # -- server ----------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        """What `slack_base_url` (or `AsyncWebClient(base_url=...)`) should be."""
        return f"{self.url}/api/"

    def response_url(self, key: str = "r1") -> str:
        return f"{self.url}/response/{key}"

    async def start(self, extra_routes: Sequence[Route] = ()) -> None:
        routes = [
            Route("/api/{method}", self._endpoint, methods=["GET", "POST"]),
            Route("/response/{key}", self._respond, methods=["POST"]),
            WebSocketRoute("/socket", self._websocket),
            *extra_routes,
        ]
        await self.serve(
            Starlette(routes=routes),
            ws="websockets-sansio",  # the legacy websockets protocol warns on websockets >= 14
        )

    async def stop(self) -> None:
        for ws in list(self.sockets):
            await self._close(ws, 1001)
        await self.shutdown()

    def recent_calls(self) -> str:
        return "\n".join(
            f"  {c.method} {c.status} {c.error or ''} {c.params}" for c in self.calls[-15:]
        )

    # -- faults ------------------------------------------------------------------------
    def fail(self, method: str, status: int = 503, *, times: int = 1) -> None:
        self.faults.setdefault(method, []).extend([Fault(status)] * times)

    def rate_limit(self, method: str, retry_after: int = 1, *, times: int = 1) -> None:
        """HTTP 429 + `Retry-After: N` (whole seconds: slack_sdk parses it with int())."""
        self.faults.setdefault(method, []).extend([Fault(429, retry_after)] * times)

    def down(self) -> None:
        """A Slack outage: every Web API method answers 503 until `up()`."""
        self.outage = True

    def up(self) -> None:
        self.outage = False

    # -- what the app did --------------------------------------------------------------
    def called(self, method: str, **where: Any) -> list[Call]:
        """Successful calls of this method whose params contain `where`."""
        return [
            c
            for c in self.calls
            if c.method == method
            and c.status == 200
            and c.error is None
            and all(c.params.get(k) == v for k, v in where.items())
        ]

    def posted(self, channel: str, *, thread_ts: str | None = None) -> list[dict[str, Any]]:
        """Messages in the channel (top level), or the replies of one thread, oldest first."""
        return [
            m
            for (ch, _ts), m in sorted(self.messages.items())
            if ch == channel and m.get("thread_ts") == thread_ts
        ]

    def thread(self, channel: str, ts: str) -> list[str]:
        """Texts of the replies in the thread of message `ts`."""
        return [m["text"] for m in self.posted(channel, thread_ts=ts)]

    # -- Socket Mode -------------------------------------------------------------------
    async def wait_connected(self, timeout: float = 5.0) -> WebSocket:
        return await self.wait_for(lambda: self.sockets[-1] if self.sockets else None, timeout)

    async def push(
        self,
        envelope_type: str,
        payload: dict[str, Any],
        *,
        accepts_response_payload: bool = False,
        retry_attempt: int | None = None,
        retry_reason: str | None = None,
    ) -> str:
        """Send an envelope to the newest connection (waiting for one); its envelope id."""
        ws = await self.wait_connected()
        envelope_id = str(uuid.uuid4())
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "type": envelope_type,
            "payload": payload,
            "accepts_response_payload": accepts_response_payload,
        }
        if envelope_type == "events_api":
            envelope["retry_attempt"] = retry_attempt or 0
            envelope["retry_reason"] = retry_reason or ""
        await ws.send_text(json.dumps(envelope))
        return envelope_id

    async def wait_ack(self, envelope_id: str, timeout: float = 5.0) -> dict[str, Any]:
        """The app's ack of this envelope (with its `payload` when it answered one)."""
        return await self.wait_for(lambda: self.acks.get(envelope_id), timeout)

    async def disconnect(self, reason: str = "refresh_requested") -> None:
        """Ask the app to reconnect (it calls apps.connections.open again)."""
        ws = await self.wait_connected()
        message = {"type": "disconnect", "reason": reason, "debug_info": {"host": "fake"}}
        await ws.send_text(json.dumps(message))

    async def _websocket(self, ws: WebSocket) -> None:
        await ws.accept()
        self.sockets.append(ws)
        self.connections += 1
        hello = {
            "type": "hello",
            "num_connections": len(self.sockets),
            "debug_info": {"host": "fake-applink", "approximate_connection_time": 18060},
            "connection_info": {"app_id": APP_ID},
        }
        await ws.send_text(json.dumps(hello))
        self._changed()
        try:
            while True:
                message = json.loads(await ws.receive_text())
                if isinstance(message, dict) and message.get("envelope_id"):
                    self.acks[message["envelope_id"]] = message
                    self._changed()
        except WebSocketDisconnect:
            pass
        finally:
            if ws in self.sockets:
                self.sockets.remove(ws)
            self._changed()

    async def _close(self, ws: WebSocket, code: int) -> None:
        if ws in self.sockets:
            self.sockets.remove(ws)
        with contextlib.suppress(RuntimeError):  # already closed by the other side
            await ws.close(code)

    # -- the Web API -------------------------------------------------------------------
    async def _endpoint(self, request: Request) -> JSONResponse:
        method = request.path_params["method"]
        params = await self._params(request)
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        token = token or str(params.pop("token", ""))
        params.pop("token", None)
        call = Call(method, params, token)
        self.calls.append(call)
        self._changed()
        faults = self.faults.get(method)
        if self.outage or faults:
            fault = faults.pop(0) if faults and not self.outage else Fault(503)
            return self._fault(call, fault)
        allowed = self.app_token if method in APP_METHODS else self.bot_token
        if token != allowed:
            known = token in (self.app_token, self.bot_token)
            return self._error(call, "not_allowed_token_type" if known else "invalid_auth")
        api = getattr(self, "_api_" + method.replace(".", "_"), None)
        if api is None:
            return self._error(call, "unknown_method")
        try:
            result = await api(params)
        except LookupError as exc:
            return self._error(call, exc.args[0])
        self._changed()
        return JSONResponse({"ok": True, **result})

    @staticmethod
    async def _params(request: Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query_params)
        body = await request.body()
        if request.headers.get("content-type", "").startswith("application/json"):
            params.update(json.loads(body or b"{}"))
        elif body:
            params.update(parse_qsl(body.decode(), keep_blank_values=True))
        for key in JSON_FIELDS & params.keys():
            if isinstance(params[key], str) and params[key][:1] in "[{":
                params[key] = json.loads(params[key])
        return params

    def _fault(self, call: Call, fault: Fault) -> JSONResponse:
        call.status = fault.status
        self._changed()
        if fault.retry_after is None:
            return JSONResponse(
                {"ok": False, "error": "service_unavailable"}, status_code=fault.status
            )
        headers = {"Retry-After": str(fault.retry_after)}
        return JSONResponse({"ok": False, "error": "ratelimited"}, 429, headers=headers)

    def _error(self, call: Call, error: str) -> JSONResponse:
        call.error = error
        self._changed()
        return JSONResponse({"ok": False, "error": error})  # Slack's errors are HTTP 200

    async def _respond(self, request: Request) -> JSONResponse:
        self.responses.append((request.path_params["key"], json.loads(await request.body())))
        self._changed()
        return JSONResponse({"ok": True})

    def _new_ts(self) -> str:
        return f"1700000000.{next(self._ts):06d}"

    def _message(self, p: dict[str, Any]) -> dict[str, Any]:
        if not p.get("channel"):
            raise LookupError("channel_not_found")
        if not str(p.get("text") or "").strip() and not p.get("blocks"):
            raise LookupError("no_text")
        return {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "text": p.get("text", ""),
            "blocks": p.get("blocks"),
            "thread_ts": p.get("thread_ts") or None,
        }

    async def _api_auth_test(self, _p: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": "https://cps-test.slack.com/",
            "team": "CPS",
            "user": "cps-bot",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    async def _api_chat_postMessage(self, p: dict[str, Any]) -> dict[str, Any]:
        message = {**self._message(p), "ts": self._new_ts(), "channel": p["channel"]}
        thread_ts = message["thread_ts"]
        if thread_ts and (p["channel"], thread_ts) not in self.messages:
            raise LookupError("thread_not_found")
        self.messages[(p["channel"], message["ts"])] = message
        return {"channel": p["channel"], "ts": message["ts"], "message": message}

    async def _api_chat_update(self, p: dict[str, Any]) -> dict[str, Any]:
        message = self.messages.get((p.get("channel", ""), p.get("ts", "")))
        if message is None:
            raise LookupError("message_not_found")
        message.update(text=p.get("text", message["text"]), blocks=p.get("blocks"))
        message["edited"] = {"user": BOT_USER_ID, "ts": self._new_ts()}
        return {"channel": p["channel"], "ts": p["ts"], "text": message["text"], "message": message}

    async def _api_chat_postEphemeral(self, p: dict[str, Any]) -> dict[str, Any]:
        message = {**self._message(p), "channel": p["channel"], "user": p.get("user")}
        if not message["user"]:
            raise LookupError("user_not_found")
        message["message_ts"] = self._new_ts()
        self.ephemerals.append(message)
        return {"message_ts": message["message_ts"]}

    async def _api_views_publish(self, p: dict[str, Any]) -> dict[str, Any]:
        if not str(p.get("user_id", "")).startswith(("U", "W")):
            raise LookupError("user_not_found")
        view = {"id": f"V{len(self.home) + 1:08d}", **p["view"]}
        self.home[p["user_id"]] = view
        return {"view": view}

    async def _api_views_open(self, p: dict[str, Any]) -> dict[str, Any]:
        if not p.get("trigger_id"):
            raise LookupError("invalid_trigger_id")
        view = {"id": f"V{len(self.modals) + 1:08d}M", **p["view"]}
        self.modals.append(view)
        return {"view": view}

    async def _api_users_info(self, p: dict[str, Any]) -> dict[str, Any]:
        user_id = p.get("user", "")
        if user_id not in self.users:
            raise LookupError("user_not_found")
        real_name = self.users[user_id]
        profile = {
            "real_name": real_name,
            "display_name": real_name.split()[0],
            "first_name": real_name.split()[0],
            "last_name": " ".join(real_name.split()[1:]),
        }
        name = real_name.lower().replace(" ", ".")
        user = {"id": user_id, "team_id": TEAM_ID, "name": name, "real_name": real_name}
        return {"user": {**user, "is_bot": False, "deleted": False, "profile": profile}}

    async def _api_usergroups_users_list(self, p: dict[str, Any]) -> dict[str, Any]:
        group = p.get("usergroup", "")
        if group not in self.groups:
            raise LookupError("no_such_subteam")
        return {"users": list(self.groups[group])}

    async def _api_conversations_info(self, p: dict[str, Any]) -> dict[str, Any]:
        channel = p.get("channel", "")
        if not channel.startswith(("C", "G", "D")):
            raise LookupError("channel_not_found")
        return {"channel": {"id": channel, "name": f"staff-{channel.lower()}", "is_member": True}}

    async def _api_apps_connections_open(self, _p: dict[str, Any]) -> dict[str, Any]:
        ws_url = self.url.replace("http://", "ws://", 1)
        return {"url": f"{ws_url}/socket?ticket={uuid.uuid4()}"}
