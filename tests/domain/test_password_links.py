"""R1: links by e-mail from the configured sender, single use, expiring; never a password."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.domain import errors
from bot.domain.models import Base, OutboxEmail
from bot.domain.ports import Policy
from bot.domain.services import accounts
from bot.domain.types import PasswordLinkPurpose
from tests.domain.builders import new_member


def _outbox(uow) -> list[OutboxEmail]:
    with uow:
        return list(uow.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)))


def _token_of(mail: OutboxEmail) -> str:
    return mail.template_data["link"].rpartition("/password/")[2]


def test_new_account_gets_welcome_mail_from_canon_sender_with_a_link(uow):
    new_member(uow, "Anna@Example.com")
    [mail] = _outbox(uow)
    assert mail.kind == "welcome"
    assert mail.sender == "donotreply@canoneurope.com"
    assert mail.recipient == "anna@example.com"
    assert mail.template_data["link"].startswith(f"{Policy().web_base_url}/password/")


def test_link_works_once_and_marks_the_password_set(uow):
    new_member(uow)
    token = _token_of(_outbox(uow)[-1])
    assert accounts.consume_password_link(uow, token) == "anna@example.com"
    with pytest.raises(errors.PasswordLinkInvalid) as refused:
        accounts.consume_password_link(uow, token)
    assert refused.value.reason == "used"
    with pytest.raises(errors.PasswordAlreadySet):
        accounts.send_password_link(uow, "anna@example.com", PasswordLinkPurpose.SET)


def test_link_expires_after_its_lifetime(uow, clock):
    new_member(uow)
    accounts.send_password_link(uow, "anna@example.com", PasswordLinkPurpose.RESET)
    token = _token_of(_outbox(uow)[-1])
    clock.advance(minutes=60)
    with pytest.raises(errors.PasswordLinkInvalid) as refused:
        accounts.consume_password_link(uow, token)
    assert refused.value.reason == "expired"


def test_link_still_works_a_minute_before_expiry(uow, clock):
    new_member(uow)
    token = _token_of(_outbox(uow)[-1])
    clock.advance(minutes=59)
    assert accounts.consume_password_link(uow, token) == "anna@example.com"


def test_a_new_link_revokes_the_older_one(uow):
    new_member(uow)
    first = _token_of(_outbox(uow)[-1])
    sent = accounts.send_password_link(uow, "anna@example.com", PasswordLinkPurpose.RESET)
    second = _token_of(_outbox(uow)[-1])
    assert sent.purpose is PasswordLinkPurpose.RESET
    with pytest.raises(errors.PasswordLinkInvalid) as refused:
        accounts.consume_password_link(uow, first)
    assert refused.value.reason == "revoked"
    assert accounts.consume_password_link(uow, second) == "anna@example.com"


def test_reset_link_can_be_had_at_any_time(uow):
    new_member(uow)
    token = _token_of(_outbox(uow)[-1])
    accounts.consume_password_link(uow, token)
    accounts.send_password_link(uow, "anna@example.com", PasswordLinkPurpose.RESET)
    assert _outbox(uow)[-1].kind == "password_reset"


def test_unknown_token_is_refused(uow):
    new_member(uow)
    with pytest.raises(errors.PasswordLinkInvalid) as refused:
        accounts.consume_password_link(uow, "forged-token")
    assert refused.value.reason == "unknown"


def test_only_token_hashes_are_stored(uow):
    new_member(uow)
    token = _token_of(_outbox(uow)[-1])
    with uow:
        stored = uow.session.execute(select(Base.metadata.tables["password_link_tokens"])).one()
    assert token not in [str(v) for v in stored]
    assert accounts.hash_token(token) in [str(v) for v in stored]


def test_schema_has_no_place_for_a_password():
    """Only the state, and the embedded identity store's argon2id hash (issue 14)."""
    columns = [f"{t.name}.{c.name}" for t in Base.metadata.tables.values() for c in t.columns]
    assert sorted(c for c in columns if "password" in c.partition(".")[2]) == [
        "business_accounts.password_state",
        "password_credentials.password_hash",
    ]


def test_link_for_unknown_member_is_refused(uow):
    with pytest.raises(errors.AccountNotFound):
        accounts.send_password_link(uow, "ghost@example.com", PasswordLinkPurpose.RESET)
