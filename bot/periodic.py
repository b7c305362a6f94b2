"""A task that, while the channels run, does one round of work every `seconds`: the inbox
sweeps, the retention purge. A failed round is logged by its type (the database may be
away a moment) and the next one goes on."""

from __future__ import annotations

import asyncio
import contextlib
import logging

log = logging.getLogger(__name__)


class Periodic:
    name = "periodic"

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._task: asyncio.Task[None] | None = None

    async def round(self, first: bool) -> None:
        """One round of the work; `first` on the round that starts with the channels."""
        raise NotImplementedError

    def start(self) -> asyncio.Task[None]:
        self._task = asyncio.create_task(self._run(), name=self.name)
        return self._task

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        first = True
        while True:
            try:
                await self.round(first)
            except Exception as exc:  # the database may be away for a moment
                log.error("%s failed: %s", self.name, type(exc).__name__)
            first = False
            await asyncio.sleep(self.seconds)
