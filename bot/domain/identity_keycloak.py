"""The production identity store (`identity_backend: keycloak`): Keycloak's admin REST API.

As the confidential client `keycloak_client_id` (a service account allowed to manage
users, secret CPS_KEYCLOAK_CLIENT_SECRET):

1. POST {keycloak_url}/realms/{realm}/protocol/openid-connect/token,
   grant_type=client_credentials: an access token, kept until shortly before it expires;
2. GET {keycloak_url}/admin/realms/{realm}/users?email=...&exact=true: the user's id;
3. PUT {keycloak_url}/admin/realms/{realm}/users/{id}/reset-password with
   {"type": "password", "value": ..., "temporary": false}: 204.

A 401 on 2 or 3 fetches a new token once. Keycloak's 400 on 3 is its password policy
(IdentityRefused); no such user, other answers, timeouts and connection errors are
IdentityUnavailable, and the link keeps working. Log lines name the step and the status,
never the password, the token or the address.

It sits beside `identity_embedded` (see there why in bot/domain/): the same port, another
store. It is synchronous, like the use case that calls it inside its unit of work: the
page runs that use case off the event loop.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx

from bot.domain.ports import IdentityAccount, IdentityRefused, IdentityUnavailable

if TYPE_CHECKING:
    from bot.domain.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)
TOKEN_MARGIN_SECONDS = 30.0  # a token this close to its expiry is renewed first


class KeycloakIdentityStore:
    def __init__(
        self,
        url: str,
        realm: str,
        client_id: str,
        client_secret: str,
        *,
        timeout: float = 5.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._realm = quote(realm, safe="")
        self._client_id = client_id
        self._client_secret = client_secret
        self._http = httpx.Client(base_url=url.rstrip("/"), timeout=timeout, transport=transport)
        self._token: tuple[str, float] | None = None  # (access token, monotonic expiry)
        self._token_lock = threading.Lock()

    def set_password(self, uow: UnitOfWork, account: IdentityAccount, password: str) -> None:
        """The user with the account's e-mail gets `password` (not temporary)."""
        del uow  # Keycloak keeps its own state; nothing is written in our database
        credential = {"type": "password", "value": password, "temporary": False}
        user = self._user_id(account.email)
        answer = self._admin("PUT", f"users/{quote(user, safe='')}/reset-password", credential)
        if answer.status_code == 400:
            raise IdentityRefused(_error_code(answer))
        _expect(answer, "reset-password", 204, 200)

    def close(self) -> None:
        self._http.close()

    def _user_id(self, email: str) -> str:
        answer = self._admin("GET", "users", params={"email": email, "exact": "true"})
        _expect(answer, "user look-up", 200)
        users = _json(answer)
        if not isinstance(users, list):
            raise IdentityUnavailable("user look-up: not a list")
        wanted = email.casefold()
        found = [
            u for u in users if isinstance(u, dict) and str(u.get("email", "")).casefold() == wanted
        ]
        if len(found) != 1 or not found[0].get("id"):
            log.warning("keycloak: %d users for the account's e-mail", len(found))
            raise IdentityUnavailable("user_not_found" if not found else "user_ambiguous")
        return str(found[0]["id"])

    def _admin(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        params: dict[str, str] | None = None,
    ) -> httpx.Response:
        """An admin API call; a 401 (the token revoked or expired early) renews it once."""
        url = f"/admin/realms/{self._realm}/{path}"
        for fresh in (False, True):
            headers = {"Authorization": f"Bearer {self._access_token(renew=fresh)}"}
            try:
                answer = self._http.request(method, url, json=body, params=params, headers=headers)
            except httpx.HTTPError as exc:
                what = type(exc).__name__
                log.warning("keycloak: %s %s failed: %s", method, path.split("/")[0], what)
                raise IdentityUnavailable(what) from None
            if answer.status_code != 401:
                return answer
        return answer

    def _access_token(self, *, renew: bool = False) -> str:
        with self._token_lock:
            if not renew and self._token and time.monotonic() < self._token[1]:
                return self._token[0]
            form = {
                "grant_type": "client_credentials",
                "client_id": self._client_id,
                "client_secret": self._client_secret,
            }
            try:
                answer = self._http.post(
                    f"/realms/{self._realm}/protocol/openid-connect/token", data=form
                )
            except httpx.HTTPError as exc:
                log.warning("keycloak: token request failed: %s", type(exc).__name__)
                raise IdentityUnavailable(type(exc).__name__) from None
            _expect(answer, "token", 200)
            document = _json(answer) or {}
            token = document.get("access_token")
            if not isinstance(token, str) or not token:
                raise IdentityUnavailable("no_access_token")
            lifetime = float(document.get("expires_in") or 60)
            self._token = (token, time.monotonic() + max(lifetime - TOKEN_MARGIN_SECONDS, 0))
            return token


def _expect(answer: httpx.Response, step: str, *statuses: int) -> None:
    if answer.status_code not in statuses:
        log.warning("keycloak: %s answered %d", step, answer.status_code)
        raise IdentityUnavailable(f"{step}: HTTP {answer.status_code}")


def _json(answer: httpx.Response) -> Any:
    try:
        return answer.json()
    except ValueError:
        return None


def _error_code(answer: httpx.Response) -> str:
    """Keycloak's message key ("invalidPasswordMinLengthMessage"), never its free text."""
    document = _json(answer)
    code = document.get("error") if isinstance(document, dict) else None
    return str(code)[:80] if code else "password_policy"
