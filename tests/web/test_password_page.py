"""The password page over HTTP (R1's last step): a link works once, in the member's
language, behind CSRF, the password policy, per-link and per-address limits, strict
headers and a bounded body; the password reaches the identity store only, as an
argon2id hash in the embedded one, and the member's chats are told."""

from __future__ import annotations

import json
import re

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select
from typer.testing import CliRunner

from bot.cli.main import app as cli
from bot.domain.models import Delivery, PasswordCredential, PasswordLinkToken
from bot.domain.ports import IdentityAccount, IdentityUnavailable
from bot.web.security_headers import CONTENT_SECURITY_POLICY
from tests.leftovers import leftovers
from tests.web.conftest import EMMA, GIULIA, GOOD_PASSWORD, SITE, open_form, submit

ITALIAN_GONE = "Questo link non funziona più"
ENGLISH_GONE = "This link no longer works"


def member_show(site, email: str, monkeypatch) -> dict:  # type: ignore[no-untyped-def]
    """The contract: `cps-bot member show EMAIL --json`."""
    monkeypatch.setenv("CPS_DATABASE_URL", site.settings.database_url)
    result = CliRunner().invoke(cli, ["member", "show", email, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def problems_of(html: str) -> list[str]:
    summary = re.search(r'<div id="problems".*?</div>', html, re.S)
    return re.findall(r"<li>(.*?)</li>", summary.group(0), re.S) if summary else []


def link_row(site, path: str) -> PasswordLinkToken:  # type: ignore[no-untyped-def]
    from bot.domain.services.accounts import hash_token

    with site.app.uow() as uow:
        link = uow.repo.password_token(hash_token(path.rpartition("/")[2]))
        assert link is not None
        return link


class FailingIdentityStore:
    """A fake identity store that is down."""

    def set_password(self, uow, account: IdentityAccount, password: str) -> None:  # type: ignore[no-untyped-def]
        raise IdentityUnavailable("down")

    def close(self) -> None:
        pass


# -- the form, in the member's language ------------------------------------------------
async def test_a_fresh_link_shows_the_form_in_the_members_language(site):
    async with site.client() as client:
        italian = await client.get(site.link(GIULIA))
        english = await client.get(site.link(EMMA))
    assert italian.status_code == english.status_code == 200
    assert '<html lang="it">' in italian.text and '<html lang="en">' in english.text
    assert '<label for="password">Nuova password</label>' in italian.text
    assert '<label for="confirmation">Scrivi di nuovo la nuova password</label>' in italian.text
    assert '<label for="password">New password</label>' in english.text
    assert 'id="password" name="password" type="password" autocomplete="new-password"' in (
        english.text
    )
    assert "g***@example.com" in italian.text


async def test_unknown_used_and_expired_links_are_gone_with_410_saying_how_to_get_one(site, clock):
    async with site.client() as client:
        unknown = await client.get("/password/" + "x" * 43, headers={"Accept-Language": "it"})
        malformed = await client.get("/password/%3Cscript%3E", headers={"Accept-Language": "en"})
        expiring = site.link(EMMA)
        clock.advance(minutes=60)
        expired = await client.get(expiring)
        clock.advance(minutes=-60)
        replaced = site.link(GIULIA)
        newest = site.link(GIULIA)
        revoked = await client.get(replaced)
        assert (await submit(client, newest, GOOD_PASSWORD)).status_code == 200
        used = await client.get(newest)
        used_post = await client.post(newest, data={"csrf": "0" * 64, "password": "x"})
    for answer in (unknown, malformed, expired, revoked, used, used_post):
        assert answer.status_code == 410, answer.text
    assert ITALIAN_GONE in unknown.text and "«reimposta la password»" in unknown.text
    assert ENGLISH_GONE in malformed.text and "<script>" not in malformed.text
    assert "It has expired" in expired.text and "“reset my password”" in expired.text
    assert "più recente" in revoked.text
    assert "È già stato usato" in used.text and ITALIAN_GONE in used_post.text


# -- CSRF ---------------------------------------------------------------------------------
async def test_a_form_without_its_signed_token_is_refused_and_counts_nothing(site):
    path = site.link(GIULIA)
    good = {"password": GOOD_PASSWORD, "confirmation": GOOD_PASSWORD}
    async with site.client() as client:
        csrf = await open_form(client, path)
        missing = await client.post(path, data=good)
        forged = await client.post(path, data={**good, "csrf": "f" * 64})
    async with site.client() as stranger:  # the page's value, without the page's cookie
        elsewhere = await stranger.post(path, data={**good, "csrf": csrf})
    for answer in (missing, forged, elsewhere):
        assert answer.status_code == 403
        assert problems_of(answer.text) == [
            "Il modulo era scaduto o non veniva da questa pagina: scrivi di nuovo la password."
        ]
        assert GOOD_PASSWORD not in answer.text
    assert link_row(site, path).attempts == 0 and link_row(site, path).used_at is None
    with site.app.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(PasswordCredential)) == 0


# -- the policy, worded in the member's language -------------------------------------------
ITALIAN_REFUSALS = [
    ("corta1!", "Troppo corta: usa almeno 8 caratteri"),
    ("password1234", "Troppo facile da indovinare"),
    ("ciaociaociao", "Troppo facile da indovinare"),
    ("Giulia.Rossi#Estate", "Contiene il tuo indirizzo e-mail"),
    ("Kx9#vq2", "Troppo corta"),
    ("Milano2020", "Più corta di 12 caratteri e non abbastanza difficile"),
]
ENGLISH_REFUSALS = [
    ("short", "Too short: use at least 8 characters"),
    ("qwertyuiop12", "Too easy to guess"),
    ("EmmaClark!Photos", "It contains your e-mail address"),
    ("x" * 129, "Too long: use at most 128 characters."),
]


@pytest.mark.parametrize(
    ("email", "password", "expected"),
    [(GIULIA, p, e) for p, e in ITALIAN_REFUSALS] + [(EMMA, p, e) for p, e in ENGLISH_REFUSALS],
)
async def test_a_password_the_policy_refuses_is_explained_in_the_members_language(
    site, email, password, expected
):
    path = site.link(email)
    async with site.client() as client:
        answer = await submit(client, path, password)
    assert answer.status_code == 422
    [problem] = problems_of(answer.text)
    assert problem.startswith(expected)
    assert 'role="alert"' in answer.text and 'aria-invalid="true"' in answer.text
    assert 'aria-describedby="password-hint strength-text problems"' in answer.text
    assert password not in answer.text.replace(problem, "")  # never echoed back
    assert link_row(site, path).attempts == 1 and link_row(site, path).used_at is None


async def test_two_different_passwords_are_refused_in_both_languages(site):
    async with site.client() as client:
        italian = await submit(client, site.link(GIULIA), GOOD_PASSWORD, GOOD_PASSWORD + "x")
        english = await submit(client, site.link(EMMA), GOOD_PASSWORD, "")
    assert problems_of(italian.text) == [
        "Le due password sono diverse: scrivi la stessa password in entrambi i campi."
    ]
    assert problems_of(english.text) == [
        "The two passwords are different: type the same password in both fields."
    ]


# -- success -------------------------------------------------------------------------------
async def test_a_good_password_is_set_once_kept_as_an_argon2id_hash_and_told_to_the_chats(
    site, monkeypatch
):
    site.link_chat("telegram:4242", GIULIA, "it")
    site.link_chat("console:giulia", GIULIA, "en")
    assert member_show(site, GIULIA, monkeypatch)["password_set"] is False
    path = site.link(GIULIA)
    async with site.client() as client:
        done = await submit(client, path, GOOD_PASSWORD)
        again = await client.get(path)
        replay = await client.post(path, data={"password": GOOD_PASSWORD})

    assert done.status_code == 200 and "La password è impostata" in done.text
    assert GOOD_PASSWORD not in done.text and "set-cookie" not in done.headers
    assert member_show(site, GIULIA, monkeypatch)["password_set"] is True
    assert again.status_code == replay.status_code == 410
    with site.app.uow() as uow:
        [credential] = uow.session.scalars(select(PasswordCredential)).all()
        assert credential.account_id == uow.repo.account(GIULIA).id
        notices = uow.session.scalars(select(Delivery).order_by(Delivery.id)).all()
    assert credential.password_hash.startswith("$argon2id$")
    assert PasswordHasher().verify(credential.password_hash, GOOD_PASSWORD)
    assert leftovers(site.app.engine, GOOD_PASSWORD) == []
    told = [(d.conversation_key, d.payload) for d in notices if d.target == "member"]
    assert told == [
        ("telegram:4242", {"kind": "password_set", "params": {}, "language": "it"}),
        ("console:giulia", {"kind": "password_set", "params": {}, "language": "en"}),
    ]
    assert site.notified == ["telegram:4242", "console:giulia"]


async def test_setting_it_again_with_a_new_link_replaces_the_hash(site):
    async with site.client() as client:
        assert (await submit(client, site.link(EMMA), GOOD_PASSWORD)).status_code == 200
        assert (await submit(client, site.link(EMMA), "Second-Quiet-Harbour-77")).status_code == 200
    with site.app.uow() as uow:
        [credential] = uow.session.scalars(select(PasswordCredential)).all()
    assert PasswordHasher().verify(credential.password_hash, "Second-Quiet-Harbour-77")


async def test_an_identity_store_that_is_down_changes_nothing_and_the_link_still_works(
    site_factory,
):
    site = site_factory(identity=FailingIdentityStore())
    path = site.link(EMMA)
    async with site.client() as client:
        answer = await submit(client, path, GOOD_PASSWORD)
        still = await client.get(path)
    assert answer.status_code == 503 and "could not be saved just now" in answer.text
    assert still.status_code == 200
    row = link_row(site, path)
    assert (row.attempts, row.used_at) == (0, None)


# -- limits --------------------------------------------------------------------------------
async def test_a_link_stops_working_after_five_refused_passwords(site):
    path = site.link(GIULIA)
    async with site.client() as client:
        answers = [await submit(client, path, "troppo") for _ in range(4)]
        fifth = await submit(client, path, "troppo")
        after = await client.get(path)
        csrf = "0" * 64
        good = await client.post(path, data={"csrf": csrf, "password": GOOD_PASSWORD})
    assert [a.status_code for a in answers] == [422] * 4
    assert "Tentativi rimasti con questo link: 1." in answers[-1].text
    assert "Tentativi rimasti" not in answers[0].text
    assert fifth.status_code == after.status_code == good.status_code == 410
    assert "rifiutate troppe password" in fifth.text and "rifiutate troppe password" in after.text
    assert link_row(site, path).attempts == 5
    with site.app.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(PasswordCredential)) == 0


async def test_one_address_is_slowed_down_and_another_is_not(site_factory):
    site = site_factory(web_rate_limit_posts=3, web_rate_limit_window_seconds=60)
    path = site.link(EMMA)
    async with site.client("203.0.113.7") as busy, site.client("203.0.113.8") as other:
        csrf = await open_form(busy, path)
        tries = [await busy.post(path, data={"csrf": csrf, "password": "x"}) for _ in range(3)]
        limited = await busy.post(
            path, data={"csrf": csrf, "password": "x"}, headers={"Accept-Language": "en-GB,en"}
        )
        elsewhere = await submit(other, site.link(GIULIA), "y")
        site.limiter_clock.now += 60
        later = await busy.post(path, data={"csrf": csrf, "password": "x"})
    assert [t.status_code for t in tries] == [422] * 3
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "60"
    assert "Too many tries from here" in limited.text
    assert elsewhere.status_code == 422 and later.status_code == 422
    assert link_row(site, path).attempts == 4  # the limited try reached nothing


async def test_a_body_over_16_kib_is_refused_with_413_unread(site):
    path = site.link(EMMA)
    async with site.client() as client:
        csrf = await open_form(client, path)
        big = await client.post(path, data={"csrf": csrf, "password": "a" * 17_000})
        announced = await client.post(
            path,
            content=b"csrf=1",
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Content-Length": str(1 << 30),
            },
        )
        json_body = await client.post(path, json={"csrf": csrf, "password": GOOD_PASSWORD})
    assert big.status_code == announced.status_code == 413
    assert json_body.status_code == 415
    assert link_row(site, path).attempts == 0


# -- headers, assets -------------------------------------------------------------------------
async def test_every_answer_carries_strict_security_headers(site):
    path = site.link(EMMA)
    async with site.client() as client:
        answers = [
            await client.get(path),
            await submit(client, path, "short"),
            await client.get("/password/unknown-token-unknown-token"),
            await client.get("/static/web.css"),
            await client.get("/static/password.js"),
            await client.get("/healthz"),
        ]
    for answer in answers:
        headers = answer.headers
        assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"
        assert headers["Cache-Control"] == "no-store"
        assert headers["X-Frame-Options"] == "DENY"
    for directive in (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ):
        assert directive in CONTENT_SECURITY_POLICY
    cookie = answers[0].headers["set-cookie"]
    assert cookie.startswith("__Host-cps-form=")
    assert all(flag in cookie for flag in ("HttpOnly", "Secure", "Path=/", "SameSite=strict"))


async def test_the_page_uses_only_its_own_stylesheet_and_script(site):
    async with site.client() as client:
        page = await client.get(site.link(EMMA))
        css = await client.get("/static/web.css")
        script = await client.get("/static/password.js")
        health = await client.get("/healthz")
    assert re.findall(r'(?:src|href)="([^"]*)"', page.text) == [
        "../static/web.css",
        "../static/password.js",
    ]
    assert "<script>" not in page.text and "style=" not in page.text  # nothing inline (CSP)
    assert css.headers["content-type"].startswith("text/css")
    assert "javascript" in script.headers["content-type"]
    assert "http" not in css.text and "http" not in script.text
    assert health.json() == {"ok": True}
    assert SITE not in css.text
