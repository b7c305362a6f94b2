"""What every channel's inbox sweep shares: a periodic task (`bot.periodic`) that, while
the channel runs, hands on every `seconds` the stored events nobody is handling (what a
killed process left, a turn that failed)."""

from __future__ import annotations

from bot.periodic import Periodic


class InboxSweep(Periodic):
    name = "inbox-sweep"

    async def sweep(self, older_than: float) -> int:
        """Hands on the pending events received more than `older_than` seconds ago; how many."""
        raise NotImplementedError

    def first_older_than(self) -> float:
        """The age the first round looks for (later rounds: `seconds`)."""
        return self.seconds

    async def round(self, first: bool) -> None:
        await self.sweep(self.first_older_than() if first else self.seconds)
