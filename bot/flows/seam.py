"""The one place that decides where a turn's blocking work runs: database round trips and
the flows' CPU work (a turn's transaction), and the pipeline's short writes.

- `OnTheLoop` (SQLite): on the event loop, one turn at a time in arrival order. SQLite is
  in-process (no round trip to wait for) and has one writer: threads would only queue
  for its lock and fight the loop for the GIL. Between a turn's two slices (understand;
  the transaction) the loop serves network I/O; an NLU server is awaited outside the gate.
- `OnThreads` (PostgreSQL, `turn_threads` > 0): on a small pool of threads. A round trip
  to the server releases the GIL, so while one turn waits for PostgreSQL the loop goes on
  sending and receiving other chats' messages, and other chats' turns wait for theirs at
  the same time. On a 2-core machine it measured slower than the loop (the loop, the
  threads and the server fight for two cores), so `turn_threads` defaults to 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol, TypeVar

T = TypeVar("T")


class Seam(Protocol):
    def slot(self) -> contextlib.AbstractAsyncContextManager[None]:
        """Held for a whole turn (understanding and transaction)."""

    def released(self) -> contextlib.AbstractAsyncContextManager[None]:
        """Inside `slot`: let other turns go on (while waiting for an NLU server)."""

    async def run(self, work: Callable[..., T], *args: Any) -> T:
        """Blocking work (database, flows), where this seam runs it."""

    def close(self) -> None: ...


class OnTheLoop:
    def __init__(self) -> None:
        self._gate = asyncio.Lock()  # one turn's work at a time, first come first served

    def slot(self) -> contextlib.AbstractAsyncContextManager[None]:
        return self._gate

    @contextlib.asynccontextmanager
    async def released(self) -> AsyncIterator[None]:
        self._gate.release()
        try:
            yield
        finally:
            await self._retake()

    async def _retake(self) -> None:
        """Back through the gate, even when the turn is cancelled while queueing for it: the
        slot's `async with` then releases what this turn holds, never another turn's hold."""
        cancelled: asyncio.CancelledError | None = None
        while True:
            try:
                await self._gate.acquire()
                break
            except asyncio.CancelledError as exc:
                cancelled = exc
        if cancelled is not None:
            raise cancelled

    async def run(self, work: Callable[..., T], *args: Any) -> T:
        await asyncio.sleep(0)  # let network news in between the turn's slices
        return work(*args)

    def close(self) -> None:
        """Nothing to free."""


class OnThreads:
    def __init__(self, threads: int) -> None:
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="cps-turn")

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        yield

    @contextlib.asynccontextmanager
    async def released(self) -> AsyncIterator[None]:
        yield

    async def run(self, work: Callable[..., T], *args: Any) -> T:
        context = contextvars.copy_context()  # the turn's log scope goes along
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, context.run, work, *args)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def seam_for(dialect: str, threads: int) -> Seam:
    """PostgreSQL with `threads` > 0: OnThreads; otherwise the loop."""
    return OnThreads(threads) if dialect == "postgresql" and threads > 0 else OnTheLoop()
