"""`cps-bot web`: the members' web app served by uvicorn on web_listen_host:web_listen_port,
in a process of its own, as an operator starts it; its log shows requests, never a token."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys

import httpx
from typer.testing import CliRunner

from bot.bootstrap import bootstrap
from bot.cli.main import app as cli
from bot.domain.services import accounts
from bot.domain.types import PasswordLinkPurpose
from bot.settings import PROJECT_ROOT, load_settings
from tests.channels.loopback import free_port
from tests.web.conftest import EMMA, GOOD_PASSWORD
from tests.web.test_browser import newest_link

READY = b"Application startup complete"


async def started(process: asyncio.subprocess.Process, seen: list[bytes]) -> None:
    """Reads the log until uvicorn says it serves (the lines read are kept in `seen`)."""
    assert process.stderr is not None
    while not seen or READY not in seen[-1]:
        line = await process.stderr.readline()
        assert line, b"".join(seen).decode()
        seen.append(line)


async def test_cps_bot_web_serves_the_page_and_logs_no_token(database_url):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    environment = {
        **os.environ,
        "CPS_DATABASE_URL": database_url,
        "CPS_WEB_BASE_URL": base,
        "CPS_WEB_LISTEN_PORT": str(port),
        "CPS_WEB_SECRET_KEY": "a-long-random-web-secret-0123456789",
        "NO_PROXY": "127.0.0.1",
    }
    app = bootstrap(load_settings(database_url=database_url, web_base_url=base))
    accounts.send_password_link(app.uow(), EMMA, PasswordLinkPurpose.RESET)
    link = newest_link(app, EMMA)
    app.close()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from bot.cli.main import main; main()",
        "web",
        env=environment,
        cwd=PROJECT_ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    seen: list[bytes] = []
    try:
        await asyncio.wait_for(started(process, seen), 30)
        async with httpx.AsyncClient(base_url=base) as client:
            health = await client.get("/healthz")
            page = await client.get(link)
            csrf = re.search(r'name="csrf" value="([0-9a-f]{64})"', page.text).group(1)
            form = {"csrf": csrf, "password": GOOD_PASSWORD, "confirmation": GOOD_PASSWORD}
            done = await client.post(link, data=form)
    finally:
        process.send_signal(signal.SIGINT)
        out, err = await asyncio.wait_for(process.communicate(), 15)
    logs = (b"".join(seen) + out + err).decode()
    assert process.returncode == 0, logs
    assert (health.status_code, page.status_code, done.status_code) == (200, 200, 200)
    assert f"127.0.0.1:{port}" in logs and '"POST /password/[token] HTTP/1.1" 200' in logs
    token = link.rpartition("/")[2]
    for secret in (token, GOOD_PASSWORD, "a-long-random-web-secret"):
        assert secret not in logs
    assert "CPS_WEB_SECRET_KEY is not set" not in logs


def test_cps_bot_web_stops_naming_a_missing_keycloak_setting(monkeypatch, database_url):
    monkeypatch.setenv("CPS_DATABASE_URL", database_url)
    monkeypatch.setenv("CPS_IDENTITY_BACKEND", "keycloak")
    result = CliRunner().invoke(cli, ["web"])
    assert result.exit_code == 2
    assert "'keycloak_url' is missing" in result.stderr
