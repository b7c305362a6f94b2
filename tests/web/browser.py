"""Real-browser tests: Debian's Chromium (/usr/bin/chromium), driven by Playwright, with
no browser download. Skipped LOUDLY where Chromium is missing; failed instead when
CPS_REQUIRE_BROWSER=1 (CI, see .ci/run), as tests/support.py does for PostgreSQL.

The variable is read when this module is imported: the suite's autouse fixture clears
every CPS_* variable before each test runs.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn

CHROMIUM = Path("/usr/bin/chromium")
REQUIRE_BROWSER = os.environ.get("CPS_REQUIRE_BROWSER") == "1"


def chromium_or_skip() -> str:
    """The browser's path; a skip (or, in CI, a failure) naming what is missing."""
    missing = None
    if not CHROMIUM.exists():
        missing = f"{CHROMIUM} not found (Debian: apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError as exc:
            missing = f"the playwright package is not installed ({exc})"
    if missing is None:
        return str(CHROMIUM)
    if REQUIRE_BROWSER:
        pytest.fail(f"CPS_REQUIRE_BROWSER=1 but {missing}")
    pytest.skip(f"!!! SKIPPING BROWSER TESTS: {missing}")


def listening_socket() -> socket.socket:
    """A loopback socket already listening: a browser may connect before uvicorn serves
    (the connection waits in the backlog), so nothing waits for the server to start."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    return sock


@contextmanager
def served(app: Any, sock: socket.socket) -> Iterator[None]:
    """`app` served by uvicorn on `sock` in a thread of its own (its own event loop)."""
    config = uvicorn.Config(app, lifespan="on", log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        assert not thread.is_alive(), "the web app did not stop"
