"""The members' web app, built from settings and the ports it needs.

    asgi = build_web_app(settings, app.uow, build_identity_store(settings))   # cps-bot web
    routes = web_routes(settings, uow, identity, health=False)                # beside a webhook

Routes: GET/POST /password/{token} (the password page), GET /healthz, /static/ (the page's
one stylesheet and one script; no third-party asset), GET /metrics (Prometheus, beside a
webhook too: `metrics_route`). Every answer carries the security headers
(`security_headers`); uvicorn's access log shows no link token (`access_log`).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from bot.domain.ports import IdentityStore
from bot.flows.i18n import Catalogs, default_catalogs
from bot.flows.operations import OperationsReader
from bot.flows.password_page import PasswordPage
from bot.observability.exposition import metrics_registry
from bot.settings import Settings
from bot.web.access_log import mask_link_tokens
from bot.web.form_tokens import FormTokens
from bot.web.metrics_route import MetricsRoute
from bot.web.password_routes import PasswordRoutes
from bot.web.rate_limit import SlidingWindow
from bot.web.rendering import Renderer
from bot.web.security_headers import SecurityHeaders

STATIC = Path(__file__).resolve().parent / "static"


def web_routes(
    settings: Settings,
    uow: Callable[[], Any],
    identity: IdentityStore,
    *,
    on_notified: Callable[[str], None] | None = None,
    catalogs: Catalogs | None = None,
    clock: Callable[[], float] = time.monotonic,
    health: bool = True,
) -> list[BaseRoute]:
    """The web app's routes; `on_notified(conversation_key)` when a chat was sent a notice
    (the runtime wakes that channel's worker); `clock` paces the per-address limit."""
    mask_link_tokens()
    page = PasswordPage(uow, identity)
    renderer = Renderer(catalogs or default_catalogs(), settings.default_language)
    forms = FormTokens.from_secret(
        settings.web_secret_key, secure=settings.web_base_url.startswith("https://")
    )
    limiter = SlidingWindow(
        settings.web_rate_limit_posts, settings.web_rate_limit_window_seconds, clock
    )
    password = PasswordRoutes(page, renderer, forms, limiter, on_notified)
    operations = OperationsReader(uow, settings.handoff_claim_sla_minutes)
    metrics = MetricsRoute(metrics_registry(operations.snapshot), settings.metrics_token)
    secured = [Middleware(SecurityHeaders)]
    routes: list[BaseRoute] = [
        Route("/password/{token}", password.show, methods=["GET"], middleware=secured),
        Route("/password/{token}", password.submit, methods=["POST"], middleware=secured),
        Mount("/static", app=StaticFiles(directory=STATIC), middleware=secured),
        Route("/metrics", metrics.serve, methods=["GET"], middleware=secured),
    ]
    if health:
        routes.append(Route("/healthz", healthz, methods=["GET"], middleware=secured))
    return routes


def build_web_app(
    settings: Settings, uow: Callable[[], Any], identity: IdentityStore, **options: Any
) -> Starlette:
    """The web app on its own (`cps-bot web`); the identity store is closed at shutdown."""

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            identity.close()

    return Starlette(routes=web_routes(settings, uow, identity, **options), lifespan=lifespan)


async def healthz(_request: Request) -> Response:
    return JSONResponse({"ok": True})
