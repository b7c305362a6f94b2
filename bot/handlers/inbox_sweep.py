"""What every channel's inbox sweep shares: a task that, while the channel runs, hands on
every `seconds` the stored events nobody is handling (what a killed process left, a turn
that failed). A failed round is logged by its type (the database may be away a moment)
and the next one goes on."""

from __future__ import annotations

import asyncio
import contextlib
import logging

log = logging.getLogger(__name__)


class InboxSweep:
    name = "inbox-sweep"

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._task: asyncio.Task[None] | None = None

    async def sweep(self, older_than: float) -> int:
        """Hands on the pending events received more than `older_than` seconds ago; how many."""
        raise NotImplementedError

    def first_older_than(self) -> float:
        """The age the first round looks for (later rounds: `seconds`)."""
        return self.seconds

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
        older_than = self.first_older_than()
        while True:
            try:
                await self.sweep(older_than)
            except Exception as exc:  # the database may be away for a moment
                log.error("%s failed: %s", self.name, type(exc).__name__)
            older_than = self.seconds
            await asyncio.sleep(self.seconds)
