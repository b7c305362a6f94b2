"""A real SMTP server on loopback for the mail tests: aiosmtpd's Controller on a free port,
recording every message it accepts, refusing recipients on demand, with STARTTLS (a
trustme certificate) and a login when asked.

The server runs in a thread of its own (aiosmtpd's Controller); `wait_for` waits on a
condition the handler notifies, bounded, never by sleeping.
"""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.channels.loopback import free_port

USERNAME, PASSWORD = "cps-bot", "smtp-pass-Zq81"


@dataclass(frozen=True)
class Received:
    """One message the server accepted: the envelope, the parsed message, how it came."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    tls: bool
    login: str | None

    def part(self, subtype: str) -> str:
        """The text of the message's text/<subtype> part (lines as Python writes them)."""
        found = self.message.get_body(preferencelist=(subtype,))
        assert found is not None and found.get_content_subtype() == subtype, subtype
        return str(found.get_content()).replace("\r\n", "\n")  # type: ignore[attr-defined]


class RecordingHandler:
    """aiosmtpd handler: keeps what it accepted; `refusals` answer the next RCPTs (to any
    address under None, else to that address)."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.refusals: dict[str | None, list[str]] = {}
        self.rcpt_attempts = 0
        self._changed = threading.Condition()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:  # type: ignore[no-untyped-def]
        with self._changed:
            self.rcpt_attempts += 1
            for queue in (self.refusals.get(address), self.refusals.get(None)):
                if queue:
                    return queue.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:  # type: ignore[no-untyped-def]
        message = message_from_bytes(envelope.content, policy=policy.default)
        login = session.auth_data.decode() if session.authenticated else None
        received = Received(
            envelope.mail_from, list(envelope.rcpt_tos), message, session.ssl is not None, login
        )
        with self._changed:
            self.received.append(received)
            self._changed.notify_all()
        return "250 Message accepted for delivery"

    def wait_until(self, found: Callable[[list[Received]], Any], timeout: float) -> Any:
        """What `found(received)` gives once it is truthy (bounded by `timeout`)."""
        with self._changed:
            answer = self._changed.wait_for(lambda: found(self.received), timeout)
            assert answer, f"not received in {timeout} s: {len(self.received)} message(s) came"
            return answer


def _authenticator(server, session, envelope, mechanism, auth_data: Any) -> AuthResult:  # type: ignore[no-untyped-def]
    good = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USERNAME.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=good, auth_data=auth_data.login if good else None)


class SmtpServer:
    def __init__(self, handler: RecordingHandler, controller: Controller) -> None:
        self.handler = handler
        self.controller = controller
        self.host, self.port = "127.0.0.1", int(controller.port)

    @property
    def received(self) -> list[Received]:
        return list(self.handler.received)

    def refuse(self, response: str, times: int = 1, address: str | None = None) -> None:
        """The next `times` recipients (or those at `address`) are answered `response`,
        e.g. "451 4.7.1 Try later"."""
        self.handler.refusals.setdefault(address, []).extend([response] * times)

    async def wait_for(self, count: int = 1, timeout: float = 15.0) -> list[Received]:
        """At least `count` messages, once they came."""
        return await self.wait_until(lambda got: list(got) if len(got) >= count else None, timeout)

    async def wait_until(
        self, found: Callable[[list[Received]], Any], timeout: float = 15.0
    ) -> Any:
        return await asyncio.to_thread(self.handler.wait_until, found, timeout)


@contextmanager
def smtp_server(tls_context: ssl.SSLContext | None = None, **smtp: Any):  # type: ignore[no-untyped-def]
    """A running server; with `tls_context` it offers STARTTLS and requires it, and takes
    a login (USERNAME, PASSWORD) once the connection is encrypted."""
    handler = RecordingHandler()
    if tls_context is not None:
        smtp |= {
            "tls_context": tls_context,
            "require_starttls": True,
            "authenticator": _authenticator,
            "auth_require_tls": True,
        }
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), **smtp)
    controller.start()
    try:
        yield SmtpServer(handler, controller)
    finally:
        controller.stop()
