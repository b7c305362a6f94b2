"""Webhook mode: the project's own ASGI app (Starlette), served by uvicorn.

- POST <path of telegram_webhook_url>: Telegram's update. The `X-Telegram-Bot-Api-Secret-Token`
  header must equal the secret (compared in constant time), else 403. The update is stored
  in the inbox, then answered 200 and put on the application's update queue; the work runs
  after the answer, and a restart finds what was stored and not yet handled. The secret is
  checked before the body is read; a body over 1 MiB is answered 413 unread (Content-Length,
  or as soon as the bytes pass it), one that is not an update 400.
- GET /healthz: 200 while the bot runs, 503 otherwise.
- The runtime's other routes, when the staff side is on: POST /slack/events (signed by
  Slack) and POST /helpdesk/events (signed by the helpdesk).
- The members' web app beside them (`bot.web`): GET/POST /password/{token} and its
  /static/ files, on the runtime's database; a chat told that its password is set is
  delivered at once. Its identity store is `identity_backend`'s (`check_settings` names
  a missing Keycloak setting).
- Start-up initialises and starts the application, then calls `setWebhook` with the secret;
  shutdown stops it. The webhook stays registered, so Telegram keeps updates while the bot
  restarts.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from telegram.ext import Application

from bot.bootstrap import build_identity_store, check_identity_settings
from bot.handlers.http_body import BodyTooLarge, read_body
from bot.handlers.telegram import ALLOWED_UPDATES
from bot.settings import Settings, SettingsError
from bot.web.app import web_routes

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
SECRET_FORMAT = re.compile(r"[A-Za-z0-9_-]{1,256}")
MAX_BODY = 1 << 20  # Telegram's updates are a few kB


class WebhookConfigError(ValueError):
    """The webhook cannot start; the message names the setting."""


def webhook_path(settings: Settings) -> str:
    return urlsplit(settings.telegram_webhook_url).path or "/"


def check_settings(settings: Settings) -> str:
    """The webhook secret, once the webhook settings (and those of the password page's
    identity store, served beside it) are known to be usable."""
    if not settings.telegram_webhook_url.startswith(("https://", "http://")):
        raise WebhookConfigError(
            "setting 'telegram_webhook_url' must be the public https URL Telegram posts to "
            "(config.yml or CPS_TELEGRAM_WEBHOOK_URL)"
        )
    try:
        check_identity_settings(settings)
    except SettingsError as exc:
        raise WebhookConfigError(str(exc)) from None
    return _secret(settings)


def build_webhook_app(application: Application, settings: Settings) -> Starlette:
    secret = check_settings(settings)
    intake = application.intake
    runtime = application.runtime
    identity = build_identity_store(settings)
    members_web = web_routes(
        settings,
        runtime.engine.services.uow,
        identity,
        on_notified=runtime.wake,
        catalogs=runtime.catalogs,
        health=False,  # /healthz below is the bot's
    )
    url = settings.telegram_webhook_url
    expected = secret.encode()

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await application.initialize()
        await application.start()
        try:
            await application.bot.set_webhook(
                url, secret_token=secret, allowed_updates=ALLOWED_UPDATES
            )
            log.info("webhook registered at %s", url)
            yield
        finally:
            await application.stop()
            await application.shutdown()
            identity.close()

    async def receive(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            log.warning("webhook call without the right secret from %s", request.client)
            return Response(status_code=403)
        try:
            body = await read_body(request, MAX_BODY)
        except BodyTooLarge:
            log.warning("webhook body over %d bytes: refused unread", MAX_BODY)
            return Response(status_code=413)
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):  # Telegram never sends one (nor one so deep)
            data = None
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            log.warning("webhook body is not an update")
            return Response(status_code=400)
        # Stored before the 200: a crash after it loses nothing. One that cannot be parsed
        # is set aside there (200 all the same: Telegram would only send it again).
        for update in await intake.store(application.bot, [data]):
            await application.update_queue.put(update)
        return Response(status_code=200)

    async def health(_request: Request) -> Response:
        running = application.running
        return JSONResponse({"running": running}, status_code=200 if running else 503)

    return Starlette(
        routes=[
            Route(webhook_path(settings), receive, methods=["POST"]),
            Route("/healthz", health, methods=["GET"]),
            *runtime.routes,  # Slack events, the helpdesk's webhook
            *members_web,  # the password page
        ],
        lifespan=lifespan,
    )


def _secret(settings: Settings) -> str:
    if settings.telegram_webhook_secret is None:
        raise WebhookConfigError(
            "CPS_TELEGRAM_WEBHOOK_SECRET is not set: webhook mode needs a secret "
            "(1-256 characters of A-Z, a-z, 0-9, _ and -)"
        )
    secret = settings.telegram_webhook_secret.get_secret_value()
    if not SECRET_FORMAT.fullmatch(secret):
        raise WebhookConfigError(
            "CPS_TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -"
        )
    return secret
