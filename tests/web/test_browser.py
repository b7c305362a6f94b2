"""The password page in a real headless Chromium, served by uvicorn on loopback as
`cps-bot web` serves it: the member's language and labels, keyboard only, a weak password
explained, a good one set, the link refused afterwards. Its CSP lets the page's own
script run and nothing else. A screenshot of the form goes to
var/screenshots/password_page.png."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bot.bootstrap import bootstrap, build_identity_store
from bot.cli.main import app as cli
from bot.domain.models import OutboxEmail
from bot.domain.services import accounts
from bot.domain.types import PasswordLinkPurpose
from bot.settings import PROJECT_ROOT, load_settings
from bot.web.app import build_web_app
from tests.support import FixedClock
from tests.web.browser import chromium_or_skip, listening_socket, served
from tests.web.conftest import GIULIA, GOOD_PASSWORD

pytestmark = pytest.mark.browser
SCREENSHOT = PROJECT_ROOT / "var" / "screenshots" / "password_page.png"


def password_set(database_url: str, monkeypatch: pytest.MonkeyPatch) -> bool:
    monkeypatch.setenv("CPS_DATABASE_URL", database_url)
    shown = CliRunner().invoke(cli, ["member", "show", GIULIA, "--json"])
    assert shown.exit_code == 0, shown.output
    return bool(json.loads(shown.output)["password_set"])


def test_a_member_sets_the_password_in_chromium_by_keyboard(database_url, monkeypatch):
    chromium = chromium_or_skip()
    from playwright.sync_api import sync_playwright

    sock = listening_socket()
    host, port = sock.getsockname()
    settings = load_settings(database_url=database_url, web_base_url=f"http://{host}:{port}")
    app = bootstrap(settings, clock=FixedClock())
    accounts.send_password_link(app.uow(), GIULIA, PasswordLinkPurpose.SET)
    link = newest_link(app, GIULIA)
    web = build_web_app(settings, app.uow, build_identity_store(settings))
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    assert not password_set(database_url, monkeypatch)

    with served(web, sock), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_context(locale="en-GB").new_page()  # the account's language wins
        blocked: list[str] = []
        page.on("console", lambda m: blocked.append(m.text) if "Content Security" in m.text else 0)

        opened = page.goto(link)
        assert opened is not None and opened.status == 200
        assert page.locator("html").get_attribute("lang") == "it"
        password = page.get_by_label("Nuova password", exact=True)
        confirmation = page.get_by_label("Scrivi di nuovo la nuova password")
        assert password.get_attribute("type") == confirmation.get_attribute("type") == "password"

        page.keyboard.press("Tab")  # the first stop is the new password
        assert page.evaluate("document.activeElement.id") == "password"
        page.keyboard.type("ciaociaociao")
        assert page.locator("#strength-text").inner_text() != ""  # the page's script runs
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == "confirmation"
        page.keyboard.type("ciaociaociao")
        with page.expect_response(lambda r: r.request.method == "POST") as weak:
            page.keyboard.press("Enter")
        page.wait_for_load_state()
        assert weak.value.status == 422
        alert = page.get_by_role("alert")
        assert "Troppo facile da indovinare" in alert.inner_text()
        assert page.evaluate("document.activeElement.id") == "problems"  # read out first
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline == "solid"  # focus is visible
        assert password.get_attribute("aria-invalid") == "true"
        assert password.input_value() == "" and "ciaociaociao" not in page.content()

        page.keyboard.press("Tab")  # from the list of problems to the field to fix
        assert page.evaluate("document.activeElement.id") == "password"
        page.keyboard.type(GOOD_PASSWORD)
        page.keyboard.press("Tab")
        page.keyboard.type(GOOD_PASSWORD)
        assert page.locator("#strength").evaluate("m => m.value") >= 3
        assert page.locator("#match-text").inner_text() == ""
        page.screenshot(path=str(SCREENSHOT), full_page=True)
        with page.expect_response(lambda r: r.request.method == "POST") as good:
            page.keyboard.press("Enter")
        page.wait_for_load_state()
        assert good.value.status == 200
        assert page.get_by_role("heading", level=1).inner_text() == "La password è impostata"

        assert password_set(database_url, monkeypatch)
        again = page.goto(link)
        assert again is not None and again.status == 410
        assert "Questo link non funziona più" in page.content()
        browser.close()
    app.close()
    assert blocked == []
    assert SCREENSHOT.stat().st_size > 10_000


def newest_link(app, email: str) -> str:  # type: ignore[no-untyped-def]
    """The link of the newest mail to `email`."""
    with app.uow() as uow:
        query = select(OutboxEmail).where(OutboxEmail.recipient == email)
        mail = uow.session.scalars(query.order_by(OutboxEmail.id.desc())).first()
        return str(mail.template_data["link"])
