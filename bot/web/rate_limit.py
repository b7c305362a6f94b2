"""Password submissions per client address: at most `limit` in any `window` seconds.

In-process and in memory (a sliding window of timestamps per address): each process
counts its own, and a restart forgets. It bounds how fast one address can make the server
hash passwords or try links; the per-link limit (PasswordLinkToken.attempts) is the
durable one. Behind the reverse proxy the address is the client's (uvicorn's
proxy_headers, trusted from 127.0.0.1). Memory is bounded: at most `max_keys` addresses
are remembered, the stalest forgotten first.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable


class SlidingWindow:
    def __init__(
        self,
        limit: int,
        window_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 10_000,
    ) -> None:
        self.limit = limit
        self.window = window_seconds
        self.clock = clock
        self.max_keys = max_keys
        self._events: OrderedDict[str, deque[float]] = OrderedDict()

    def allow(self, key: str) -> bool:
        """Counts one event for `key` and says yes, or says no (and counts nothing)."""
        now = self.clock()
        events = self._recent(key, now)
        if len(events) >= self.limit:
            return False
        events.append(now)
        self._events.move_to_end(key)
        while len(self._events) > self.max_keys:
            self._events.popitem(last=False)
        return True

    def retry_after(self, key: str) -> float:
        """Seconds until `key` may try again (0 when it may now)."""
        now = self.clock()
        events = self._recent(key, now)
        if len(events) < self.limit:
            return 0.0
        return max(events[0] + self.window - now, 0.0)

    def _recent(self, key: str, now: float) -> deque[float]:
        events = self._events.setdefault(key, deque())
        while events and events[0] <= now - self.window:
            events.popleft()
        return events
