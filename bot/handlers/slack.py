"""The Slack staff app (slack-bolt, asyncio): `build_slack_app` is its one factory.

    app = build_slack_app(settings, uow_factory, handoff=handoff, staff=staff)
    routes = slack_routes(app)                     # HTTP mode: POST /slack/events (slack_door)
    handler = socket_mode_handler(app, settings)   # or Socket Mode: await handler.connect_async()

Every listener acks at once and works after the answer (`process_before_response=False`),
so Slack always has its ack within 3 s. `slack_listeners` holds the listeners (the card's
buttons in `slack_card_buttons`, thread replies in `slack_thread_replies`); `slack_card`,
`slack_queue` and `slack_member_details` draw the card, the App Home and the modal, on the
Block Kit primitives of `slack_blocks`; `slack_staff` knows who is staff and runs `/cps`;
`slack_delivery` posts what the domain queued for Slack.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable
from datetime import timedelta

from slack_bolt.adapter.socket_mode.websockets import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from starlette.routing import Route

from bot.domain.unit_of_work import UnitOfWork
from bot.flows.pipeline import Pipeline
from bot.handlers.slack_card import CLAIM, RESOLVE, VIEW
from bot.handlers.slack_door import SlackDoor
from bot.handlers.slack_inbox import SlackInbox
from bot.handlers.slack_listeners import StaffListeners
from bot.handlers.slack_staff import (
    Desk,
    Handoff,
    Staff,
    StaffDirectory,
)
from bot.settings import Settings

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
Hook = Callable[[str], object]


class SlackConfigError(ValueError):
    """The Slack app cannot start; the message names the setting."""


def build_slack_app(
    settings: Settings,
    uow_factory: Callable[[], UnitOfWork],
    *,
    handoff: Handoff,
    staff: Staff,
    pipeline: Pipeline | None = None,
    client: AsyncWebClient | None = None,
    on_member_message: Hook | None = None,
    on_slack_delivery: Callable[[], object] | None = None,
) -> AsyncApp:
    """The complete staff app: buttons, thread replies, `/cps`, App Home.

    `handoff` and `staff` are the domain's modules (bot/domain/services/handoff.py and
    staff.py): handlers never import domain services themselves. Without `client` it builds
    one from `slack_client(settings)` (bot token, `slack_base_url`, retries of 429 after
    Retry-After, of 5xx and of lost connections). Requests are verified with
    CPS_SLACK_SIGNING_SECRET by the app's door (`slack_door`: size, signature, shape, before
    bolt parses anything); without one no HTTP request is accepted (Socket Mode needs none).

    Each staff action is stored in the inbox before its ack and marked done after its
    listener (`slack_inbox`), through `pipeline` (by default one on `uow_factory`): one
    stored before (a replay, a retry) is acked and not acted on again. A failed `/cps`
    command is set aside, not run again by the sweep (it may have sent its mail already).

    `on_member_message(conversation_key)` is called when a staff action queued a message to
    a member (claim, reply, resolve) and `on_slack_delivery()` when it queued a card update,
    so the workers that deliver them wake at once instead of at their next poll.
    """
    client = client or slack_client(settings)
    secret = settings.slack_signing_secret
    # No secret: a random one, so no forged request can pass (and no env fallback).
    signing_secret = secret.get_secret_value() if secret else ""
    signing_secret = signing_secret if signing_secret.strip() else secrets.token_hex(32)
    app = AsyncApp(
        client=client,
        signing_secret=signing_secret,
        request_verification_enabled=False,  # the door verifies, before anything is parsed
        process_before_response=False,
        name="cps-staff",
    )
    SlackDoor.install(app, signing_secret)
    directory = StaffDirectory(client, settings.slack_staff_users, settings.slack_staff_groups)
    if not (settings.slack_staff_users or settings.slack_staff_groups):
        log.warning("slack_staff_users and slack_staff_groups are empty: nobody may act")
    desk = Desk(uow_factory, handoff, staff, settings.handoff_claim_sla_minutes)
    listeners = StaffListeners(
        desk, directory, settings.slack_staff_channel, on_member_message, on_slack_delivery
    )
    inbox = SlackInbox(pipeline or Pipeline(uow_factory, settings.inbox_max_attempts))
    app.middleware(inbox.middleware)  # the door checked the signature before bolt
    app.action(CLAIM)(inbox.settles(listeners.claim))
    app.action(RESOLVE)(inbox.settles(listeners.resolve))
    app.action(VIEW)(listeners.view_member)
    app.event("message")(inbox.settles(listeners.thread_reply))
    app.event("app_home_opened")(listeners.home)
    app.command("/cps")(inbox.settles(listeners.command, retry=False))  # mails, audits
    app.error(listeners.on_error)
    return app


def slack_client(settings: Settings) -> AsyncWebClient:
    """The bot token's Web API client, on `slack_base_url` when set (a local fake in tests)."""
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return AsyncWebClient(
        token=token,
        base_url=settings.slack_base_url or AsyncWebClient.BASE_URL,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=1),
            AsyncRateLimitErrorRetryHandler(max_retry_count=1),  # sleeps Retry-After first
            AsyncServerErrorRetryHandler(max_retry_count=1),
        ],
    )


def check_settings(settings: Settings) -> None:
    """Raises SlackConfigError naming what `slack_mode` still needs."""
    needed = {
        "slack_bot_token": "CPS_SLACK_BOT_TOKEN is not set: export the bot token (xoxb-...)",
        "slack_signing_secret": (
            "CPS_SLACK_SIGNING_SECRET is not set: HTTP mode verifies every request with it"
        ),
        "slack_app_token": (
            "CPS_SLACK_APP_TOKEN is not set: Socket Mode connects with the app token (xapp-...)"
        ),
    }
    wanted = ["slack_bot_token"]
    wanted.append("slack_signing_secret" if settings.slack_mode == "http" else "slack_app_token")
    for key in wanted:
        value = getattr(settings, key)
        if value is None or not value.get_secret_value().strip():
            raise SlackConfigError(f"{needed[key]} (slack_mode {settings.slack_mode})")
    if not settings.slack_staff_channel:
        raise SlackConfigError("setting 'slack_staff_channel' is empty: the channel id for cards")


def slack_routes(app: AsyncApp) -> list[Route]:
    """POST /slack/events for the project's Starlette app, through the app's door: 413 too
    large, 401 bad or stale signature, 400 not a Slack body, then bolt (`slack_door`)."""
    return [Route(EVENTS_PATH, SlackDoor.of(app).handle, methods=["POST"])]


def socket_mode_handler(app: AsyncApp, settings: Settings) -> AsyncSocketModeHandler:
    """Socket Mode on the app token; apps.connections.open goes through the app's client, so
    `slack_base_url` applies to it as well."""
    token = settings.slack_app_token.get_secret_value() if settings.slack_app_token else ""
    if not token.strip():
        raise SlackConfigError("CPS_SLACK_APP_TOKEN is not set: Socket Mode needs it (xapp-...)")
    return AsyncSocketModeHandler(app, app_token=token, web_client=app.client)


async def remind_overdue(
    uow_factory: Callable[[], UnitOfWork], settings: Settings, *, handoff: Handoff
) -> list[int]:
    """The periodic SLA check: escalations open past `handoff_claim_sla_minutes` get their
    one reminder (a Slack delivery, and a message to the member); their ids."""
    older_than = timedelta(minutes=settings.handoff_claim_sla_minutes)
    late = await asyncio.to_thread(handoff.overdue_unclaimed, uow_factory(), older_than)
    for view in late:
        await asyncio.to_thread(handoff.mark_reminded, uow_factory(), view.id)
    if late:
        log.info("reminded %d escalation(s) past the claim SLA", len(late))
    return [view.id for view in late]
