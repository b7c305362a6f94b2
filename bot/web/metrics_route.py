"""`GET /metrics` for Prometheus: the process's counters and the database's figures.

Rendering reads the database, so it runs on a worker thread, off the event loop that
serves the password page. With `metrics_token` set (CPS_METRICS_TOKEN) a scrape must
send `Authorization: Bearer <token>`, compared in constant time; without it the route is
open, for a Prometheus on the internal network.
"""

from __future__ import annotations

import hmac

from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector
from pydantic import SecretStr
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from bot.observability.exposition import CONTENT_TYPE


class MetricsRoute:
    def __init__(self, registry: Collector, token: SecretStr | None) -> None:
        self.registry = registry
        secret = token.get_secret_value().strip() if token is not None else ""
        self._expected = f"Bearer {secret}".encode() if secret else None

    async def serve(self, request: Request) -> Response:
        if not self._allowed(request):
            return Response(status_code=401, headers={"WWW-Authenticate": "Bearer"})
        body = await run_in_threadpool(generate_latest, self.registry)
        return Response(body, media_type=CONTENT_TYPE)

    def _allowed(self, request: Request) -> bool:
        if self._expected is None:
            return True
        given = request.headers.get("Authorization", "").strip().encode()
        return hmac.compare_digest(given, self._expected)
