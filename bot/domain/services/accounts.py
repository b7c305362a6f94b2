"""Business accounts and R1 password links: the bot sends links, never handles passwords."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain import errors, rules
from bot.domain.models import BusinessAccount, PasswordLinkToken
from bot.domain.repository import normalise_email
from bot.domain.types import PasswordLinkPurpose, PasswordState
from bot.domain.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class PasswordLinkSent:
    email: str
    purpose: PasswordLinkPurpose
    expires_at: datetime


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_business_account(
    uow: UnitOfWork, email: str, language: str, country: str, legacy_email: str | None = None
) -> int:
    """A new account gets the welcome mail with its first set-password link (R1)."""
    with uow:
        account = BusinessAccount(
            email=normalise_email(email),
            language=language,
            country=rules.normalise_country(country),
            password_state=PasswordState.NOT_SET,
            legacy_email=normalise_email(legacy_email) if legacy_email else None,
            created_at=uow.clock.now(),
        )
        uow.add(account)
        uow.flush()
        issue_password_link(uow, account, PasswordLinkPurpose.SET, mail_kind="welcome")
        uow.commit()
        return account.id


def send_password_link(
    uow: UnitOfWork, email: str, purpose: PasswordLinkPurpose
) -> PasswordLinkSent:
    """R1: e-mail a single-use, expiring link; a reset can be had at any time."""
    with uow:
        account = uow.repo.account(email, for_update=True)
        if purpose is PasswordLinkPurpose.SET and account.password_state is PasswordState.SET:
            raise errors.PasswordAlreadySet(account.email)
        sent = issue_password_link(uow, account, purpose, mail_kind=f"password_{purpose.value}")
        uow.commit()
        return sent


def consume_password_link(uow: UnitOfWork, token: str) -> str:
    """The password page redeems a link once; returns the account's e-mail."""
    with uow:
        link = uow.repo.password_token(hash_token(token), for_update=True)
        if link is None:
            raise errors.PasswordLinkInvalid("unknown")
        refusal = link_refusal(link, uow.clock.now(), uow.policy.password_link_max_attempts)
        if refusal is not None:
            raise errors.PasswordLinkInvalid(refusal)
        account = redeem_password_link(uow, link)
        uow.commit()
        return account.email


def link_refusal(link: PasswordLinkToken, now: datetime, max_attempts: int) -> str | None:
    """Why a stored link no longer works ("used", "too_many_attempts", "revoked",
    "expired"), or None while it does."""
    if link.used_at is not None:
        return "used"
    if (link.attempts or 0) >= max_attempts:
        return "too_many_attempts"
    if link.revoked_at is not None:
        return "revoked"
    if now >= link.expires_at:
        return "expired"
    return None


def redeem_password_link(uow: UnitOfWork, link: PasswordLinkToken) -> BusinessAccount:
    """Inside the caller's unit of work: the link is used up, the account's password set."""
    link.used_at = uow.clock.now()
    account = uow.repo.account_by_id(link.account_id)
    account.password_state = PasswordState.SET
    return account


def password_link_url(base_url: str, token: str) -> str:
    """`{web_base_url}/password/{token}` (a token is URL-safe base64: no escaping needed)."""
    return f"{base_url.rstrip('/')}/password/{token}"


def account_language(uow: UnitOfWork, email: str) -> str:
    with uow:
        return uow.repo.account(email).language


def password_is_set(uow: UnitOfWork, email: str) -> bool:
    with uow:
        return uow.repo.account(email).password_state is PasswordState.SET


def record_password_set(uow: UnitOfWork, email: str) -> None:
    """The website reports a password was set by other means; pending links stop working."""
    with uow:
        account = uow.repo.account(email, for_update=True)
        account.password_state = PasswordState.SET
        for link in uow.repo.live_password_tokens(account):
            link.revoked_at = uow.clock.now()
        uow.commit()


def issue_password_link(
    uow: UnitOfWork, account: BusinessAccount, purpose: PasswordLinkPurpose, mail_kind: str
) -> PasswordLinkSent:
    """R1 inside the caller's unit of work: a new single-use link mailed, older ones revoked."""
    now = uow.clock.now()
    for older in uow.repo.live_password_tokens(account):
        older.revoked_at = now  # only the newest link works
    token = secrets.token_urlsafe(32)
    expires_at = now + timedelta(minutes=uow.policy.password_link_ttl_minutes)
    uow.add(
        PasswordLinkToken(
            account_id=account.id,
            purpose=purpose,
            token_hash=hash_token(token),
            created_at=now,
            expires_at=expires_at,
        )
    )
    link = password_link_url(uow.policy.web_base_url, token)
    uow.send_mail(
        mail_kind, account.email, account.language, link=link, expires_at=expires_at.isoformat()
    )
    return PasswordLinkSent(account.email, purpose, expires_at)
