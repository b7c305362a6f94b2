"""The web app's small parts: every text of its pages in every language it speaks, the
member's notice, the per-address window, the language a page is in, and an access log
without tokens."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from bot.domain.password_rules import password_problems
from bot.flows.i18n import Catalogs
from bot.flows.notices import notice_replies
from bot.web.access_log import MaskLinkTokens, mask_link_tokens
from bot.web.rate_limit import SlidingWindow
from bot.web.rendering import TEMPLATES, Renderer
from tests.web.conftest import MonotonicClock

CATALOGS = Catalogs()
WEB_LANGUAGES = Renderer(CATALOGS, "it").languages
PROBLEMS = {"identity_refused", "form_expired"} | {
    code
    for password in ("", "x" * 200, "password1234", "Milano2020", "giulia.rossi12345")
    for code in password_problems(password, "?", "giulia.rossi@example.com")
}
GONE = ("unknown", "used", "too_many_attempts", "revoked", "expired")
NOTICES = ("limited", "too_large", "bad_form")


def test_the_five_languages_have_the_web_catalogue():
    assert set(WEB_LANGUAGES) == {"it", "en", "de", "fr", "es"}


@pytest.mark.parametrize("language", WEB_LANGUAGES)
def test_every_text_of_the_pages_exists(language):
    used = set()
    for template in TEMPLATES.glob("*.html"):
        used |= set(re.findall(r't\("(web\.[a-z0-9_.]+)"', template.read_text(encoding="utf-8")))
    used |= {f"web.problem.{code}" for code in PROBLEMS}
    used |= {f"web.gone.{reason}" for reason in GONE}
    used |= {f"web.{kind}.{part}" for kind in NOTICES for part in ("title", "body")}
    used |= {f"web.strength.{score}" for score in range(5)}
    assert len(PROBLEMS) == 8
    assert sorted(k for k in used if k not in CATALOGS.texts[language]) == []


@pytest.mark.parametrize(
    ("language", "expected"),
    [("it", "La tua password CPS ora è impostata"), ("en", "Your CPS password is now set")],
)
def test_the_chat_is_told_the_password_is_set(language, expected):
    [reply] = notice_replies({"kind": "password_set", "params": {}, "language": language})
    assert CATALOGS.reply_text(language, reply).startswith(expected)


def test_the_window_slides_without_waiting():
    clock = MonotonicClock()
    window = SlidingWindow(2, 10, clock)
    assert window.allow("a") and window.allow("a") and not window.allow("a")
    assert window.allow("b")
    clock.now += 5
    assert not window.allow("a") and window.retry_after("a") == 5
    clock.now += 5
    assert window.allow("a") and window.retry_after("b") == 0


def test_the_window_remembers_a_bounded_number_of_addresses():
    window = SlidingWindow(1, 60, MonotonicClock(), max_keys=3)
    for address in ("a", "b", "c", "d"):
        assert window.allow(address)
    assert window.allow("a")  # the stalest was forgotten
    assert not window.allow("d")


def test_a_page_is_in_a_language_it_has():
    renderer = Renderer(CATALOGS, "it")
    assert renderer.language("en") == "en"
    assert renderer.language("de", "de-CH, fr;q=0.9, en;q=0.8") in ("de", "fr", "en")
    assert renderer.language(None, "xx, en-GB;q=0.5, it;q=0.7") == "it"
    assert renderer.language(None, "garbage;q=abc") == "it"
    assert Renderer(CATALOGS, "xx").language(None) == "en"


def test_the_access_log_never_shows_a_links_token(caplog):
    mask_link_tokens()
    mask_link_tokens()  # once is enough, however often it is asked
    access = logging.getLogger("uvicorn.access")
    assert sum(isinstance(f, MaskLinkTokens) for f in access.filters) == 1
    token = "JS1WPI7DaafYXgHTP-KmW_OPE3Miw2w4vZur9SIMGEM"
    with caplog.at_level(logging.INFO, logger="uvicorn.access"):
        access.info(
            '%s - "%s %s HTTP/%s" %d', "203.0.113.7:5000", "POST", f"/password/{token}", "1.1", 422
        )
    assert token not in caplog.text and "/password/[token]" in caplog.text


def test_the_static_files_are_the_pages_own():
    static = Path(TEMPLATES).parent / "static"
    assert sorted(p.name for p in static.iterdir()) == ["password.js", "web.css"]
