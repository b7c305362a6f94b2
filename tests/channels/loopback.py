"""What the local fakes of web APIs share: a uvicorn server on 127.0.0.1 (a free port)
started and stopped inside the test's event loop, waiting on what the fake saw without
sleeping, and the record of one answered call. FakeTelegram, FakeSlack and FakeHelpdesk
build on it."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.types import ASGIApp


@dataclass
class Call:
    """One request a fake API answered: its method, parameters and token, when it came, and
    how it was answered (`error`: the fake Slack's error code)."""

    method: str
    params: dict[str, Any]
    token: str
    at: float = field(default_factory=time.monotonic)
    status: int = 200
    error: str | None = None


def free_port() -> int:
    """A port nothing listens on, for a process started by a test to serve on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LoopbackServer:
    def __init__(self) -> None:
        self.url = ""
        self._news = asyncio.Event()
        self._server: uvicorn.Server | None = None
        self._socket: socket.socket | None = None

    async def serve(self, app: ASGIApp, **options: Any) -> None:
        """Starts `app` on a free loopback port; `self.url` is its address."""
        # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets that say so, and
        # without it Nagle holds each answer's body for the client's delayed ACK (40 ms).
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        host, port = self._socket.getsockname()
        self.url = f"http://{host}:{port}"
        config = uvicorn.Config(
            app, lifespan="off", log_level="warning", access_log=False, **options
        )
        config.load()
        self._server = uvicorn.Server(config)
        self._server.lifespan = config.lifespan_class(config)
        await self._server.startup(sockets=[self._socket])

    async def shutdown(self) -> None:
        if self._server is not None:
            await self._server.shutdown(sockets=[self._socket] if self._socket else None)

    # -- waiting without sleeping ------------------------------------------------------
    def _changed(self) -> None:
        """Wakes every `wait_for`: the fake saw something (a call, an ack, a socket)."""
        self._news.set()
        self._news = asyncio.Event()

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
        """The first truthy value of predicate(), re-checked after everything the fake sees."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    news = self._news
                    result = predicate()
                    if result:
                        return result
                    await news.wait()
        except TimeoutError:
            raise AssertionError(
                f"condition not met in {timeout} s; last calls:\n{self.recent_calls()}"
            ) from None

    def recent_calls(self) -> str:
        """The fake's last calls, one per line, to explain a wait that timed out."""
        return ""
