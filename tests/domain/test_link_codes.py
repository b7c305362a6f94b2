"""Linking a chat: a 6-digit code by e-mail, hashed, expiring, three tries, single use."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.domain.models import LinkCode, OutboxEmail
from bot.domain.services.link_codes import (
    CODE_TTL_MINUTES,
    MAX_CODES_PER_HOUR,
    CodeCheck,
    request_link_code,
    verify_link_code,
)
from tests.domain.builders import new_member


def _codes_mailed(uow) -> list[OutboxEmail]:
    with uow:
        query = select(OutboxEmail).where(OutboxEmail.kind == "link_code").order_by(OutboxEmail.id)
        return list(uow.session.scalars(query))


def _code(uow) -> str:
    return _codes_mailed(uow)[-1].template_data["code"]


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def test_the_right_code_links_once(uow, clock):
    new_member(uow, "Anna@Example.com")
    expires_at = request_link_code(uow, "anna@example.com", "en")
    [mail] = _codes_mailed(uow)
    assert mail.recipient == "anna@example.com"
    assert mail.sender == "donotreply@canoneurope.com"
    assert mail.language == "en"
    code = mail.template_data["code"]
    assert len(code) == 6 and code.isdigit()
    assert expires_at == clock.now() + timedelta(minutes=CODE_TTL_MINUTES)
    result = verify_link_code(uow, "ANNA@example.com", f" {code} ")
    assert result.check is CodeCheck.LINKED
    assert (result.email, result.language) == ("anna@example.com", "it")
    assert verify_link_code(uow, "anna@example.com", code).check is CodeCheck.WRONG


def test_only_a_hash_of_the_code_is_stored(uow):
    new_member(uow)
    request_link_code(uow, "anna@example.com", "it")
    code = _code(uow)
    with uow:
        [stored] = uow.session.scalars(select(LinkCode))
        assert code not in stored.code_hash and len(stored.code_hash) == 64


def test_a_wrong_code_is_refused_and_counted(uow):
    new_member(uow)
    request_link_code(uow, "anna@example.com", "it")
    result = verify_link_code(uow, "anna@example.com", _wrong(_code(uow)))
    assert (result.check, result.attempts_left) == (CodeCheck.WRONG, 2)
    assert result.email is None
    assert verify_link_code(uow, "anna@example.com", _code(uow)).check is CodeCheck.LINKED


def test_the_code_expires(uow, clock):
    new_member(uow)
    request_link_code(uow, "anna@example.com", "it")
    clock.advance(minutes=CODE_TTL_MINUTES - 1)
    code = _code(uow)
    assert verify_link_code(uow, "anna@example.com", _wrong(code)).check is CodeCheck.WRONG
    clock.advance(minutes=1)
    assert verify_link_code(uow, "anna@example.com", code).check is CodeCheck.EXPIRED


def test_three_wrong_tries_void_the_code(uow):
    new_member(uow)
    request_link_code(uow, "anna@example.com", "it")
    code = _code(uow)
    checks = [verify_link_code(uow, "anna@example.com", _wrong(code)).check for _ in range(3)]
    assert checks == [CodeCheck.WRONG, CodeCheck.WRONG, CodeCheck.EXHAUSTED]
    assert verify_link_code(uow, "anna@example.com", code).check is CodeCheck.EXHAUSTED
    request_link_code(uow, "anna@example.com", "it")  # a new code starts over
    assert verify_link_code(uow, "anna@example.com", _code(uow)).check is CodeCheck.LINKED


def test_only_the_newest_code_works(uow):
    new_member(uow)
    request_link_code(uow, "anna@example.com", "it")
    first = _code(uow)
    request_link_code(uow, "anna@example.com", "it")
    second = _code(uow)
    if first != second:
        assert verify_link_code(uow, "anna@example.com", first).check is CodeCheck.WRONG
    assert verify_link_code(uow, "anna@example.com", second).check is CodeCheck.LINKED


def test_an_unknown_email_gets_nothing_and_looks_the_same(uow, clock):
    new_member(uow)
    expires_at = request_link_code(uow, "nobody@example.com", "it")
    assert _codes_mailed(uow) == []
    assert expires_at > clock.now()
    assert verify_link_code(uow, "nobody@example.com", "123456").check is CodeCheck.WRONG


def test_codes_per_hour_are_capped(uow, clock):
    new_member(uow)
    for _ in range(MAX_CODES_PER_HOUR + 2):
        request_link_code(uow, "anna@example.com", "it")
    assert len(_codes_mailed(uow)) == MAX_CODES_PER_HOUR
    clock.advance(hours=1)
    request_link_code(uow, "anna@example.com", "it")
    assert len(_codes_mailed(uow)) == MAX_CODES_PER_HOUR + 1
