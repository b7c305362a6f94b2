"""Delivers the domain's outbox (Slack cards, thread lines, member messages, helpdesk tickets).

The domain writes a delivery row in the same transaction as the change it reports (an
escalation opened, a claim, a staff reply); this worker sends the rows that are due and
marks them delivered, or failed with a next attempt time. So a Slack or helpdesk outage
only delays: the rows stay until they land, retried with exponential backoff (capped),
never before a `Retry-After`.

- `send(delivery)` returns a result dict (or None) when the delivery landed, raises
  `RetryLater(reason, retry_after)` when the far end asked to wait or is down, and any other
  exception counts as retryable too (logged by type, never with payloads or secrets).
- Order is kept per escalation (or chat): when one delivery fails, the later ones of the
  same escalation in that round are deferred to at least its next attempt, so a thread
  line never lands before its card and staff replies reach the member in order.
- `wake()` makes the running loop deliver at once (a new escalation needs no poll wait).
- Each failed attempt counts in `cps_deliveries_failed_total{channel}` (unless
  `count_failures` is off: the mail worker's mailer counts its own, `cps_emails_total`).

The outbox operations (`take_due`, `delivered`, `failed` of bot/domain/services/handoff.py)
are passed in as `outbox`: channel adapters do not import domain services themselves.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Collection, Hashable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from bot.observability.metrics import observe_delivery_failed

if TYPE_CHECKING:
    from bot.settings import Settings

log = logging.getLogger(__name__)


class RetryLater(Exception):
    """The far end is down or asked us to wait; `retry_after` seconds at least, when known."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class Delivery(Protocol):
    """What the worker reads of a delivery (bot.domain.services.handoff.Delivery)."""

    @property
    def id(self) -> int: ...
    @property
    def target(self) -> str: ...
    @property
    def escalation_id(self) -> int | None: ...
    @property
    def conversation_key(self) -> str | None: ...
    @property
    def attempts(self) -> int: ...


class Outbox(Protocol):
    """The domain's outbox operations; the handoff service module satisfies it as it is."""

    def take_due(
        self, uow: Any, targets: Collection[str], *, limit: int = ..., key_prefix: str | None = ...
    ) -> list[Any]: ...

    def delivered(
        self, uow: Any, delivery_id: int, result: dict[str, Any] | None = ...
    ) -> None: ...

    def failed(
        self,
        uow: Any,
        delivery_id: int,
        error: str,
        *,
        retry_after: float | None = ...,
        backoff: float = ...,
        backoff_max: float = ...,
    ) -> datetime: ...


Send = Callable[[Any], Awaitable[dict[str, Any] | None]]


def order_key(delivery: Delivery) -> Hashable:
    return (delivery.escalation_id, delivery.conversation_key)


class DeliveryWorker:
    def __init__(
        self,
        uow_factory: Callable[[], Any],
        targets: Collection[str],
        send: Send,
        *,
        outbox: Outbox,
        key_prefix: str | None = None,
        poll_seconds: float = 2.0,
        backoff_seconds: float = 1.0,
        backoff_max_seconds: float = 300.0,
        batch: int = 50,
        name: str = "delivery",
    ) -> None:
        self.uow_factory = uow_factory
        self.targets = tuple(targets)
        self.send = send
        self.outbox = outbox
        self.key_prefix = key_prefix
        self.poll_seconds = poll_seconds
        self.backoff = backoff_seconds
        self.backoff_max = backoff_max_seconds
        self.batch = batch
        self.name = name
        self.count_failures = True  # in cps_deliveries_failed_total
        self._wakeup = asyncio.Event()
        self._round = asyncio.Lock()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        uow_factory: Callable[[], Any],
        targets: Collection[str],
        send: Send,
        *,
        outbox: Outbox,
        name: str,
        key_prefix: str | None = None,
    ) -> DeliveryWorker:
        """A worker polling and backing off as the `delivery_*` settings say."""
        return cls(
            uow_factory,
            targets,
            send,
            outbox=outbox,
            key_prefix=key_prefix,
            poll_seconds=settings.delivery_poll_seconds,
            backoff_seconds=settings.delivery_backoff_seconds,
            backoff_max_seconds=settings.delivery_backoff_max_seconds,
            name=name,
        )

    async def run_once(self) -> int:
        """Send every delivery due now (one batch); how many landed."""
        async with self._round:
            due = self.outbox.take_due(
                self.uow_factory(), self.targets, limit=self.batch, key_prefix=self.key_prefix
            )
            blocked: dict[Hashable, datetime] = {}  # order key -> next attempt of its head
            landed = 0
            for delivery in due:
                key = order_key(delivery)
                if key in blocked:
                    self._defer(delivery, blocked[key])
                    continue
                next_at = await self._deliver(delivery)
                if next_at is None:
                    landed += 1
                else:
                    blocked[key] = next_at
            return landed

    async def _deliver(self, delivery: Delivery) -> datetime | None:
        """None when it landed, else when it will be tried again."""
        try:
            result = await self.send(delivery)
        except RetryLater as exc:
            reason, retry_after, level = exc.reason, exc.retry_after, logging.WARNING
        except Exception as exc:  # retried too; only its type is logged (messages hold URLs)
            reason, retry_after, level = type(exc).__name__, None, logging.ERROR
        else:
            self.outbox.delivered(self.uow_factory(), delivery.id, result)
            return None
        attempt = delivery.attempts + 1
        what = f"{self.name}: delivery {delivery.id} ({delivery.target}) attempt {attempt}"
        log.log(level, "%s: %s", what, reason)
        if self.count_failures:
            observe_delivery_failed(delivery.target, delivery.conversation_key)
        next_at = self._failed(delivery, reason, retry_after)
        self.wake_at(next_at)
        return next_at

    def _failed(self, delivery: Delivery, reason: str, retry_after: float | None) -> datetime:
        return self.outbox.failed(
            self.uow_factory(),
            delivery.id,
            reason[:500],
            retry_after=retry_after,
            backoff=self.backoff,
            backoff_max=self.backoff_max,
        )

    def _defer(self, delivery: Delivery, until: datetime) -> None:
        """Not sent: an earlier delivery of the same escalation has to land first."""
        uow = self.uow_factory()
        wait = max(0.0, (until - uow.clock.now()).total_seconds())
        self.outbox.failed(
            uow,
            delivery.id,
            "waiting for an earlier delivery",
            retry_after=wait,
            backoff=self.backoff,
            backoff_max=self.backoff_max,
        )

    # -- running in the background -----------------------------------------------------
    def wake(self) -> None:
        """Deliver now rather than at the next poll (something was just queued)."""
        self._wakeup.set()

    def wake_in(self, *delays: float) -> None:
        """Deliver now and again after each of `delays` seconds (something just queued may
        wait for a mark another process is about to write)."""
        self._wakeup.set()
        if self._task is not None:
            loop = asyncio.get_running_loop()
            for delay in delays:
                loop.call_later(delay, self._wakeup.set)

    def wake_at(self, when: datetime) -> None:
        """Deliver again when a delivery that failed is due, rather than at the next poll."""
        delay = (when - self.uow_factory().clock.now()).total_seconds()
        if self._task is not None and 0 < delay < self.poll_seconds:
            asyncio.get_running_loop().call_later(delay, self._wakeup.set)

    async def run(self) -> None:
        """Deliver until `stop()`: at every poll, and at once when woken."""
        while not self._stopping:
            self._wakeup.clear()  # a wake() during the round asks for one more round
            try:
                await self.run_once()
            except Exception as exc:  # the database may be away for a moment: keep going
                log.error("%s: delivery round failed: %s", self.name, type(exc).__name__)
            if self._stopping:
                break
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll_seconds):
                    await self._wakeup.wait()

    def start(self) -> asyncio.Task[None]:
        if self._task is None or self._task.done():
            self._stopping = False
            self._task = asyncio.create_task(self.run(), name=self.name)
        return self._task

    async def stop(self, grace_seconds: float = 5.0) -> None:
        """Finish the delivery in flight (bounded), then end; what is left stays queued."""
        self._stopping = True
        self._wakeup.set()
        task, self._task = self._task, None
        if task is None:
            return
        done, _ = await asyncio.wait({task}, timeout=grace_seconds)
        if not done:  # cut short: the row stays undelivered and is sent again, same key
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
