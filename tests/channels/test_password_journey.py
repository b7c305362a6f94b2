"""R1 end to end, for real: a Telegram member asks to set a password, the link arrives at a
local SMTP server, it is opened in a headless Chromium, the form is filled and sent, the
chat is told, `password_set` is true, the link is refused the second time, and the
database holds an argon2id hash, never the password.

The complete bot polls the fake Bot API and sends mail through its mail worker to aiosmtpd
on loopback; the members' web app is served by uvicorn on loopback, as `cps-bot web` does.
"""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import create_engine, select
from typer.testing import CliRunner

from bot.bootstrap import build_identity_store
from bot.cli.main import app as cli
from bot.domain.models import PasswordCredential
from bot.web.app import build_web_app
from tests.channels.conftest import polling_bot
from tests.channels.smtp_server import smtp_server
from tests.channels.test_telegram import GIULIA, link
from tests.leftovers import leftovers
from tests.web.browser import chromium_or_skip, listening_socket, served

pytestmark = pytest.mark.browser
NEW_PASSWORD = "Obiettivo-Luminoso-2026"
TOLD = "La tua password CPS ora è impostata"


async def test_a_telegram_member_sets_the_password_by_the_mailed_link_in_chromium(
    settings, fake, member, database_url, monkeypatch
):
    chromium = chromium_or_skip()
    from playwright.async_api import async_playwright

    sock = listening_socket()
    host, port = sock.getsockname()
    giulia = member(GIULIA, "it")
    with smtp_server() as smtp:
        journey = settings.model_copy(
            update={
                "smtp_host": smtp.host,
                "smtp_port": smtp.port,
                "smtp_security": "none",
                "delivery_poll_seconds": 0.05,
                "web_base_url": f"http://{host}:{port}",
            }
        )
        async with polling_bot(journey) as application:
            uow = application.channel.engine.services.uow
            web = build_web_app(journey, uow, build_identity_store(journey))
            link(application, GIULIA, "giulia.rossi@example.com")
            await giulia.say("come imposto la password?", "non è ancora impostata")
            await giulia.press("Sì", "riceverai un'e-mail")
            # (the demo's welcome mails, queued at sign-up, leave too: this is the new one)
            mail = await smtp.wait_until(
                lambda got: next((m for m in got if journey.web_base_url in m.part("plain")), None)
            )
            [url] = re.findall(r"http://\S+/password/[\w-]+", mail.part("plain"))
            assert mail.rcpt_tos == ["giulia.rossi@example.com"]

            with served(web, sock):
                async with async_playwright() as playwright:
                    browser = await playwright.chromium.launch(
                        executable_path=chromium, args=["--no-sandbox"]
                    )
                    page = await browser.new_page()
                    opened = await page.goto(url)
                    assert opened is not None and opened.status == 200
                    await page.get_by_label("Nuova password", exact=True).fill(NEW_PASSWORD)
                    await page.get_by_label("Scrivi di nuovo la nuova password").fill(NEW_PASSWORD)
                    async with page.expect_response(lambda r: r.request.method == "POST") as sent:
                        await page.get_by_role("button", name="Imposta la password").click()
                    assert (await sent.value).status == 200
                    heading = page.get_by_role("heading", level=1)
                    assert await heading.inner_text() == "La password è impostata"
                    again = await page.goto(url)
                    assert again is not None and again.status == 410
                    await browser.close()

            # the chat is told (the Telegram worker delivers the page's notice)
            await fake.wait_for(lambda: any(TOLD in t for t in fake.sent(GIULIA)))
            assert NEW_PASSWORD not in "\n".join(fake.sent(GIULIA))
            with uow() as reading:
                [credential] = reading.session.scalars(select(PasswordCredential)).all()
            assert credential.password_hash.startswith("$argon2id$")
    engine = create_engine(database_url)
    assert leftovers(engine, NEW_PASSWORD) == []
    engine.dispose()
    monkeypatch.setenv("CPS_DATABASE_URL", database_url)
    shown = CliRunner().invoke(cli, ["member", "show", "giulia.rossi@example.com", "--json"])
    assert json.loads(shown.output)["password_set"] is True
