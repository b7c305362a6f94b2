"""A fake Keycloak on 127.0.0.1: the parts of its OpenID token endpoint and admin REST API
the identity store uses, answering as Keycloak does.

- POST /realms/{realm}/protocol/openid-connect/token (form, grant_type=client_credentials,
  client_id, client_secret): 200 {"access_token", "expires_in", "token_type": "Bearer"};
  401 {"error": "unauthorized_client"} for a wrong client or secret.
- GET /admin/realms/{realm}/users?email=...&exact=true (Bearer): the users with that
  e-mail, as UserRepresentations; 401 without a token it issued.
- PUT /admin/realms/{realm}/users/{id}/reset-password (Bearer, a CredentialRepresentation):
  204; 404 {"error": "User not found"}; 400 {"error": "invalidPasswordMinLengthMessage", ...}
  for a value its password policy refuses (`refuse(value)`).
`revoke_tokens()` makes the tokens it issued invalid (an admin rotating them); `calls`
records every request: path, form or JSON body, the bearer token, the status answered.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.channels.loopback import LoopbackServer

REALM = "cps"
CLIENT_ID = "cps-bot"
CLIENT_SECRET = "kc-client-secret-0123456789"


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    token: str | None
    status: int = 0


class FakeKeycloak(LoopbackServer):
    def __init__(self) -> None:
        super().__init__()
        self.users: dict[str, dict[str, Any]] = {}  # id -> UserRepresentation
        self.credentials: dict[str, list[dict[str, Any]]] = {}  # id -> what reset-password got
        self.calls: list[Call] = []
        self.refused: set[str] = set()
        self.tokens: set[str] = set()  # valid access tokens
        self._serial = itertools.count(1)

    async def start(self) -> None:
        app = Starlette(
            routes=[
                Route(
                    "/realms/{realm}/protocol/openid-connect/token", self._token, methods=["POST"]
                ),
                Route("/admin/realms/{realm}/users", self._users, methods=["GET"]),
                Route(
                    "/admin/realms/{realm}/users/{user_id}/reset-password",
                    self._reset_password,
                    methods=["PUT"],
                ),
            ]
        )
        await self.serve(app)

    async def stop(self) -> None:
        await self.shutdown()

    # -- the test's side -------------------------------------------------------------------
    def add_user(self, email: str) -> str:
        user_id = str(uuid.uuid4())
        self.users[user_id] = {"id": user_id, "username": email, "email": email, "enabled": True}
        return user_id

    def refuse(self, value: str) -> None:
        self.refused.add(value)

    def revoke_tokens(self) -> None:
        self.tokens.clear()

    def called(self, path_part: str) -> list[Call]:
        return [c for c in self.calls if path_part in c.path]

    # -- Keycloak's side -------------------------------------------------------------------
    async def _token(self, request: Request) -> Response:
        form = dict(await request.form())
        call = self._record(request, form)
        good = (
            request.path_params["realm"] == REALM
            and form.get("grant_type") == "client_credentials"
            and form.get("client_id") == CLIENT_ID
            and form.get("client_secret") == CLIENT_SECRET
        )
        if not good:
            return self._answer(call, 401, {"error": "unauthorized_client"})
        token = f"kc-access-{next(self._serial)}"
        self.tokens.add(token)
        return self._answer(
            call, 200, {"access_token": token, "expires_in": 300, "token_type": "Bearer"}
        )

    async def _users(self, request: Request) -> Response:
        call = self._record(request, None)
        if not self._authorized(call):
            return self._answer(call, 401, {"error": "HTTP 401 Unauthorized"})
        email = request.query_params.get("email", "").lower()
        exact = request.query_params.get("exact") == "true"
        found = [
            u
            for u in self.users.values()
            if (u["email"] == email if exact else email in u["email"])
        ]
        return self._answer(call, 200, found)

    async def _reset_password(self, request: Request) -> Response:
        body = await request.json()
        call = self._record(request, body)
        if not self._authorized(call):
            return self._answer(call, 401, {"error": "HTTP 401 Unauthorized"})
        user_id = request.path_params["user_id"]
        if user_id not in self.users:
            return self._answer(call, 404, {"error": "User not found"})
        if body.get("value") in self.refused:
            return self._answer(
                call,
                400,
                {
                    "error": "invalidPasswordMinLengthMessage",
                    "error_description": "Invalid password: minimum length 20.",
                },
            )
        self.credentials.setdefault(user_id, []).append(body)
        call.status = 204
        self._changed()
        return Response(status_code=204)

    def _record(self, request: Request, body: Any) -> Call:
        header = request.headers.get("authorization", "")
        token = header.removeprefix("Bearer ") if header.startswith("Bearer ") else None
        call = Call(request.method, request.url.path, dict(request.query_params), body, token)
        self.calls.append(call)
        return call

    def _authorized(self, call: Call) -> bool:
        return call.token is not None and call.token in self.tokens

    def _answer(self, call: Call, status: int, document: Any) -> Response:
        call.status = status
        self._changed()
        return JSONResponse(document, status_code=status)
