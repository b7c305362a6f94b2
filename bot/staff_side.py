"""The staff's side of priority support, beside the members' channels: the Slack staff app
(http or socket mode), the workers posting cards, thread lines and reminders, the
periodic SLA check, and the helpdesk (tickets out, a signed status webhook in).

This is where the domain's handoff and staff services are handed to the channel adapters
(handlers never import them). `add_staff(runtime)` adds what settings ask to the runtime:
HTTP routes (`/slack/events` in http mode, `/helpdesk/events`) and companions that start
and stop with the channels. In polling mode `serve_routes(runtime)` gives the routes an
ASGI server of their own (`slack_listen_host:port`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any

import uvicorn
from starlette.applications import Starlette

from bot.domain.services import handoff, staff
from bot.handlers.delivery import DeliveryWorker
from bot.handlers.helpdesk import HelpdeskClient, helpdesk_routes
from bot.handlers.slack import (
    build_slack_app,
    check_settings,
    remind_overdue,
    slack_client,
    slack_routes,
    socket_mode_handler,
)
from bot.handlers.slack_delivery import TARGETS as SLACK_TARGETS
from bot.handlers.slack_delivery import SlackDelivery
from bot.handlers.slack_inbox import SlackInboxSweeper
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)
REMINDER_CHECK_SECONDS = 60.0


def check_staff_settings(settings: Settings) -> None:
    """Raises SlackConfigError naming what `slack_mode` still needs."""
    if settings.slack_mode != "off":
        check_settings(settings)


def add_staff(runtime: Runtime) -> None:
    settings = runtime.settings
    check_staff_settings(settings)
    if settings.slack_mode == "off" and not settings.helpdesk_url:
        return
    uow = runtime.engine.services.uow
    side = StaffSide(settings)
    if settings.slack_mode != "off":
        client = slack_client(settings)
        cards = SlackDelivery(client, settings, uow, handoff=handoff)
        slack_worker = side.worker(uow, SLACK_TARGETS, cards.send, "slack")
        slack = build_slack_app(
            settings,
            uow,
            handoff=handoff,
            staff=staff,
            pipeline=runtime.engine.pipeline,
            client=client,
            on_member_message=runtime.wake,
            on_slack_delivery=slack_worker.wake,
        )
        side.inbox = SlackInboxSweeper(slack, runtime.engine.pipeline, settings.inbox_retry_seconds)
        side.reminders = lambda: remind_overdue(uow, settings, handoff=handoff)
        runtime.engine.on_staff_news = slack_worker.wake
        if settings.slack_mode == "socket":
            side.socket = socket_mode_handler(slack, settings)
        else:
            runtime.routes += slack_routes(slack)
    if settings.helpdesk_url:
        token = settings.helpdesk_token
        tickets = HelpdeskClient(
            settings.helpdesk_url,
            token.get_secret_value() if token else "",
            settings.helpdesk_timeout_seconds,
        )
        side.worker(uow, ["helpdesk"], tickets.submit, "helpdesk")
        runtime.on_close(tickets.aclose)
        inbound = settings.helpdesk_webhook_secret
        if inbound is None or not inbound.get_secret_value().strip():
            log.warning("CPS_HELPDESK_WEBHOOK_SECRET is not set: no helpdesk status webhook")
        else:
            wake_slack = side.workers[0].wake if settings.slack_mode != "off" else None
            runtime.routes += helpdesk_routes(
                uow,
                settings.helpdesk_webhook_secret,
                record=handoff.helpdesk_update,
                on_update=wake_slack,
            )
    runtime.add(side)


class StaffSide:
    """The staff side's running parts: delivery workers, the Slack inbox sweep, Socket
    Mode and the SLA check."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.workers: list[DeliveryWorker] = []
        self.inbox: SlackInboxSweeper | None = None
        self.socket: Any = None
        self.reminders: Any = None
        self._tasks: list[asyncio.Task[Any]] = []

    def worker(self, uow: Any, targets: Any, send: Any, name: str) -> DeliveryWorker:
        worker = DeliveryWorker.from_settings(
            self.settings, uow, targets, send, outbox=handoff, name=name
        )
        self.workers.append(worker)
        return worker

    async def start(self) -> None:
        for worker in self.workers:
            worker.start()
        if self.inbox is not None:
            self.inbox.start()
        if self.socket is not None:  # Slack down at start must not stop the members' bot
            self._tasks.append(asyncio.create_task(self._connect_socket(), name="slack-socket"))
        if self.reminders is not None:
            self._tasks.append(asyncio.create_task(self._check_sla(), name="sla-check"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        if self.inbox is not None:
            await self.inbox.stop()
        if self.socket is not None:
            await self.socket.close_async()
        for worker in self.workers:
            await worker.stop()

    async def _connect_socket(self) -> None:
        """Socket Mode's first connection, retried with backoff while Slack is unreachable
        (the client reconnects by itself once connected)."""
        delay = self.settings.delivery_backoff_seconds
        while True:
            try:
                await self.socket.connect_async()
                log.info("connected to Slack in Socket Mode")
                return
            except Exception as exc:  # no connection, or Slack refused: try again later
                log.warning("Slack Socket Mode not connected (%s); again in %.0f s",
                            type(exc).__name__, delay)  # fmt: skip
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.settings.delivery_backoff_max_seconds)

    async def _check_sla(self) -> None:
        while True:
            try:
                await self.reminders()
            except Exception:  # the check runs again next minute; the bot goes on
                log.exception("the SLA check failed")
            await asyncio.sleep(REMINDER_CHECK_SECONDS)


def serve_routes(runtime: Runtime) -> None:
    """Telegram polls, Slack (http mode) and the helpdesk call us: their routes get an ASGI
    server of their own, run beside the bot."""
    if not runtime.routes:
        return
    config = uvicorn.Config(
        Starlette(routes=runtime.routes),
        host=runtime.settings.slack_listen_host,
        port=runtime.settings.slack_listen_port,
        log_config=None,
        proxy_headers=True,
    )
    runtime.add(RoutesServer(config))


class RoutesServer(uvicorn.Server):
    """uvicorn beside run_polling: the bot owns SIGINT/SIGTERM and stops this server through
    `should_exit` (uvicorn's own handlers would re-raise the signal mid-shutdown)."""

    _task: asyncio.Task[None] | None = None

    def capture_signals(self) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()

    def start(self) -> None:
        self._task = asyncio.create_task(self.serve(), name="staff-http")

    async def stop(self) -> None:
        self.should_exit = True
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
