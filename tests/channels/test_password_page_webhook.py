"""`cps-bot run --mode webhook` serves the password page beside Telegram's webhook: a
member asks the bot for a link in Telegram, sets the password on the page of the same
app, and the bot says so in the chat at once. The webhook's own routes keep working."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli.main import app as cli
from bot.domain.models import OutboxEmail
from tests.channels.conftest import WEBHOOK_URL, poster
from tests.channels.test_telegram import GIULIA, link

PASSWORD = "Veranda-Gufo-Lampione-58"


@pytest.fixture
def settings(settings):  # type: ignore[no-untyped-def]
    """The channels' settings with a delivery poll too slow to matter: only the page's
    wake-up delivers the notice within the wait."""
    return settings.model_copy(update={"delivery_poll_seconds": 60})


def mailed_link(client, email: str) -> str:  # type: ignore[no-untyped-def]
    with client.application.channel.engine.services.uow() as uow:
        query = select(OutboxEmail).where(OutboxEmail.recipient == email)
        mail = uow.session.scalars(query.order_by(OutboxEmail.id.desc())).first()
        return str(mail.template_data["link"])


async def test_the_password_page_is_served_beside_the_webhook_and_the_chat_is_told(
    webhook, fake, member, settings
):
    async with webhook() as client:
        link(client.application, GIULIA, "giulia.rossi@example.com")
        giulia = member(GIULIA, "it", deliver=poster(client))
        await giulia.say("come imposto la password?", "non è ancora impostata")
        await giulia.press("Sì", "donotreply@canoneurope.com")
        path = mailed_link(client, "giulia.rossi@example.com").removeprefix(settings.web_base_url)

        page = await client.get(path)
        csrf = re.search(r'name="csrf" value="([0-9a-f]{64})"', page.text).group(1)
        before = len(fake.sent(GIULIA))
        done = await client.post(
            path, data={"csrf": csrf, "password": PASSWORD, "confirmation": PASSWORD}
        )
        told = await fake.wait_for(lambda: fake.sent(GIULIA)[before:])
        health = await client.get("/healthz")
        css = await client.get("/static/web.css")

    assert page.status_code == 200 and '<html lang="it">' in page.text
    assert done.status_code == 200 and "La password è impostata" in done.text
    assert "La tua password CPS ora è impostata" in told[0]
    assert health.json() == {"running": True}  # the bot's health, not the web app's
    assert css.status_code == 200


def test_webhook_mode_with_keycloak_half_configured_stops_naming_the_setting(
    monkeypatch, database_url, nlu_cache
):
    monkeypatch.setenv("CPS_DATABASE_URL", database_url)
    monkeypatch.setenv("CPS_CACHE_DIR", str(nlu_cache))
    monkeypatch.setenv("CPS_TELEGRAM_WEBHOOK_URL", WEBHOOK_URL)
    monkeypatch.setenv("CPS_IDENTITY_BACKEND", "keycloak")
    monkeypatch.setenv("CPS_KEYCLOAK_URL", "https://id.example.com")
    result = CliRunner().invoke(cli, ["run", "--mode", "webhook"])
    assert result.exit_code == 2
    assert "'keycloak_realm' is missing" in result.stderr
