"""What `cps-bot run` starts, wired from settings: the members' Telegram bot and, beside
it, the staff's side of priority support.

This is the composition root of the live handoff: the one place that hands the domain's
handoff and staff services to the channel adapters (handlers never import them) and
connects the parts so nobody waits for a poll:

- the Telegram application (`build_application`), with its worker for messages to members;
- with `slack_mode` "http" or "socket": the Slack staff app, the worker posting cards,
  thread lines and reminders, and the periodic SLA check; in "http" mode its routes
  (`/slack/events`, and `/helpdesk/events`) go on the webhook app, or on an ASGI server of
  their own (`slack_listen_host:port`) while Telegram polls;
- with `helpdesk_url`: the worker POSTing escalations to the helpdesk, and its signed
  status webhook.

Everything here starts and stops with the Telegram application (its companions).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.routing import BaseRoute
from telegram.ext import Application, ApplicationBuilder

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
from bot.handlers.telegram import build_application
from bot.settings import Settings

log = logging.getLogger(__name__)
REMINDER_CHECK_SECONDS = 60.0


def build_bot(
    builder: ApplicationBuilder,
    settings: Settings,
) -> Application:
    """The Telegram application with the staff side attached as settings ask.

    `application.staff_routes` holds the HTTP routes to serve (Slack events in http mode,
    the helpdesk webhook); `application.support` the companion running the rest.
    """
    application = build_application(builder, settings)
    application.staff_routes = []
    application.support = None
    if settings.slack_mode == "off" and not settings.helpdesk_url:
        return application
    uow = application.channel.engine.services.uow
    support = Support(settings)
    routes: list[BaseRoute] = []
    if settings.slack_mode != "off":
        check_settings(settings)
        client = slack_client(settings)
        cards = SlackDelivery(client, settings, uow, handoff=handoff)
        slack_worker = support.worker(uow, SLACK_TARGETS, cards.send, "slack")
        slack = build_slack_app(
            settings,
            uow,
            handoff=handoff,
            staff=staff,
            client=client,
            on_member_message=lambda _key: application.notices and application.notices.wake(),
            on_slack_delivery=slack_worker.wake,
        )
        support.slack = slack
        support.reminders = lambda: remind_overdue(uow, settings, handoff=handoff)
        application.channel.engine.on_staff_news = slack_worker.wake
        if settings.slack_mode == "socket":
            support.socket = socket_mode_handler(slack, settings)
        else:
            routes += slack_routes(slack)
    if settings.helpdesk_url:
        token = settings.helpdesk_token
        tickets = HelpdeskClient(
            settings.helpdesk_url,
            token.get_secret_value() if token else "",
            settings.helpdesk_timeout_seconds,
        )
        support.worker(uow, ["helpdesk"], tickets.submit, "helpdesk")
        support.closers.append(tickets.aclose)
        inbound = settings.helpdesk_webhook_secret
        if inbound is None or not inbound.get_secret_value().strip():
            log.warning("CPS_HELPDESK_WEBHOOK_SECRET is not set: no helpdesk status webhook")
        else:
            wake_slack = support.workers[0].wake if support.slack else None
            routes += helpdesk_routes(
                uow,
                settings.helpdesk_webhook_secret,
                record=handoff.helpdesk_update,
                on_update=wake_slack,
            )
    application.staff_routes = routes
    application.support = support
    application.companions.append(support)
    return application


class Support:
    """The staff side's running parts: delivery workers, Socket Mode, the SLA check, and in
    polling mode the ASGI server for Slack's and the helpdesk's HTTP calls."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.workers: list[DeliveryWorker] = []
        self.slack: Any = None
        self.socket: Any = None
        self.reminders: Any = None
        self.server: Any = None  # set by `serve_routes` when Telegram polls
        self.closers: list[Any] = []
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
        if self.socket is not None:  # Slack down at start must not stop the members' bot
            self._tasks.append(asyncio.create_task(self._connect_socket(), name="slack-socket"))
        if self.reminders is not None:
            self._tasks.append(asyncio.create_task(self._check_sla(), name="sla-check"))
        if self.server is not None:
            self._tasks.append(asyncio.create_task(self.server.serve(), name="staff-http"))

    async def stop(self) -> None:
        if self.server is not None:
            self.server.should_exit = True
        for task in self._tasks:
            if task.get_name() in ("sla-check", "slack-socket"):
                task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        if self.socket is not None:
            await self.socket.close_async()
        for worker in self.workers:
            await worker.stop()
        for close in self.closers:
            await close()
        self.closers = []

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


def serve_routes(application: Application, settings: Settings) -> None:
    """Telegram polls, Slack (http mode) and the helpdesk call us: their routes get an ASGI
    server of their own, run beside the bot by the support companion."""
    routes = getattr(application, "staff_routes", [])
    support = getattr(application, "support", None)
    if not routes or support is None:
        return
    config = uvicorn.Config(
        Starlette(routes=routes),
        host=settings.slack_listen_host,
        port=settings.slack_listen_port,
        log_config=None,
        proxy_headers=True,
    )
    support.server = _CompanionServer(config)


class _CompanionServer(uvicorn.Server):
    """uvicorn beside run_polling: the bot owns SIGINT/SIGTERM and stops this server through
    `should_exit` (uvicorn's own handlers would re-raise the signal mid-shutdown)."""

    def capture_signals(self) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()
