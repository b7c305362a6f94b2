"""CSRF protection of the password form: a signed double-submit token.

The page sets a random nonce in a cookie (HttpOnly, SameSite=Strict; `__Host-` and Secure
when the site is https) and puts HMAC-SHA256(secret, nonce, link token) in the form. A
POST is taken only when the form's value is the signature of the cookie's nonce for the
link it is posted to: another site can neither read the cookie nor make the browser send
it (SameSite=Strict), nor sign a nonce of its own. The Origin header is no help here:
with `Referrer-Policy: no-referrer` a browser sends `Origin: null` on the page's own POSTs.

The secret is CPS_WEB_SECRET_KEY. Unset, the process makes one of its own and warns: the
forms it served are refused after a restart or by another process.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets

from pydantic import SecretStr

log = logging.getLogger(__name__)
NONCE_FORMAT = re.compile(r"[A-Za-z0-9_-]{32}")
FIELD = "csrf"


class FormTokens:
    def __init__(self, secret: bytes, *, secure: bool) -> None:
        self._secret = secret
        self.secure = secure
        self.cookie = "__Host-cps-form" if secure else "cps-form"

    @classmethod
    def from_secret(cls, secret: SecretStr | None, *, secure: bool) -> FormTokens:
        value = secret.get_secret_value().strip() if secret is not None else ""
        if not value:
            log.warning(
                "CPS_WEB_SECRET_KEY is not set: the password forms are signed with a key of "
                "this process only (a restart or another process refuses forms already open)"
            )
            return cls(secrets.token_bytes(32), secure=secure)
        return cls(value.encode("utf-8"), secure=secure)

    def nonce_for(self, cookie_value: str | None) -> str:
        """The browser's nonce when it has a well-formed one (other tabs stay valid), else a
        new one."""
        if cookie_value and NONCE_FORMAT.fullmatch(cookie_value):
            return cookie_value
        return secrets.token_urlsafe(24)

    def sign(self, nonce: str, link_token: str) -> str:
        message = f"password-form\x00{nonce}\x00{link_token}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def valid(self, given: str | None, nonce: str | None, link_token: str) -> bool:
        if not given or not nonce or not NONCE_FORMAT.fullmatch(nonce):
            return False
        return hmac.compare_digest(self.sign(nonce, link_token), given)
