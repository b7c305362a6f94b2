"""`cps-bot web`: the members' web app (the password page) with uvicorn, on
`web_listen_host:web_listen_port` (options override), for members at `web_base_url`.

Behind the reverse proxy that holds TLS, client addresses come from X-Forwarded-For
(trusted from 127.0.0.1 only, uvicorn's default). Log lines (uvicorn's too, text or JSON:
`--log-format`) are redacted like the bot's, and the access log shows "/password/[token]",
never a link's token. `GET /metrics` serves Prometheus (`bot.web.metrics_route`).
"""

from __future__ import annotations

import typer

from bot.cli.context import fail, open_app
from bot.cli.redaction import LOG_FORMAT_OPTION, start_logging
from bot.settings import SettingsError

app = typer.Typer(help="Serve the members' web app (the password page).")


@app.callback(invoke_without_command=True)
def web(
    host: str | None = typer.Option(None, "--host", help="Default: web_listen_host."),
    port: int | None = typer.Option(None, "--port", help="Default: web_listen_port."),
    log_format: str | None = LOG_FORMAT_OPTION,
) -> None:
    """Serves the password page until stopped (Ctrl-C)."""
    import uvicorn

    from bot.bootstrap import build_identity_store
    from bot.web.app import build_web_app

    with open_app() as bot_app:
        settings = bot_app.settings
        start_logging(settings, log_format)
        try:
            identity = build_identity_store(settings)
        except SettingsError as exc:
            raise fail(str(exc), 2) from None
        asgi = build_web_app(settings, bot_app.uow, identity)
        uvicorn.run(
            asgi,
            host=host or settings.web_listen_host,
            port=port or settings.web_listen_port,
            log_config=None,  # our logging: secrets redacted, tokens masked
            proxy_headers=True,
        )
