"""One-time codes that link a chat to a business account (the member proves the e-mail is theirs).

A code is 6 digits, e-mailed through the outbox, kept only as a SHA-256 hash, valid for
CODE_TTL_MINUTES, for MAX_ATTEMPTS tries, once. Asking for a code never tells whether the
e-mail belongs to an account: a code is simply only sent to real accounts.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from bot.domain.models import BusinessAccount, LinkCode
from bot.domain.unit_of_work import UnitOfWork

CODE_TTL_MINUTES = 10
MAX_ATTEMPTS = 3
MAX_CODES_PER_HOUR = 5  # nobody can flood a member's inbox by typing their e-mail


class CodeCheck(enum.StrEnum):
    LINKED = "linked"
    WRONG = "wrong"  # also: an e-mail with no account, or no code asked
    EXPIRED = "expired"
    EXHAUSTED = "exhausted"  # MAX_ATTEMPTS wrong tries: this code no longer works


@dataclass(frozen=True)
class CodeResult:
    check: CodeCheck
    email: str | None = None  # the account's e-mail, when linked
    language: str | None = None  # the account's language, when linked
    attempts_left: int = 0


def hash_code(account_id: int, code: str) -> str:
    return hashlib.sha256(f"{account_id}:{code}".encode()).hexdigest()


def request_link_code(uow: UnitOfWork, email: str, language: str) -> datetime:
    """E-mail a new code if `email` is an account's; the expiry is returned either way."""
    with uow:
        now = uow.clock.now()
        expires_at = now + timedelta(minutes=CODE_TTL_MINUTES)
        account = uow.repo.find_account(email, for_update=True)
        if account is None or _recent_codes(uow, account, now) >= MAX_CODES_PER_HOUR:
            return expires_at
        for older in _live_codes(uow, account, now):
            older.revoked_at = now  # only the newest code works
        code = f"{secrets.randbelow(10**6):06d}"
        uow.add(
            LinkCode(
                account_id=account.id,
                code_hash=hash_code(account.id, code),
                created_at=now,
                expires_at=expires_at,
                attempts=0,
            )
        )
        uow.send_mail(
            "link_code",
            account.email,
            language,
            code=code,
            minutes=CODE_TTL_MINUTES,
            expires_at=expires_at.isoformat(),
        )
        uow.commit()
        return expires_at


def verify_link_code(uow: UnitOfWork, email: str, code: str) -> CodeResult:
    """Check the newest code of the account; right once, then never again."""
    with uow:
        account = uow.repo.find_account(email, for_update=True)
        if account is None:
            return CodeResult(CodeCheck.WRONG)
        now = uow.clock.now()
        newest = uow.session.scalars(
            select(LinkCode)
            .where(
                LinkCode.account_id == account.id,
                LinkCode.used_at.is_(None),
                LinkCode.revoked_at.is_(None),
            )
            .order_by(LinkCode.id.desc())
            .limit(1)
            .with_for_update()
        ).first()
        if newest is None:
            return CodeResult(CodeCheck.WRONG)
        if now >= newest.expires_at:
            return CodeResult(CodeCheck.EXPIRED)
        if newest.attempts >= MAX_ATTEMPTS:
            return CodeResult(CodeCheck.EXHAUSTED)
        if hmac.compare_digest(newest.code_hash, hash_code(account.id, code.strip())):
            newest.used_at = now
            uow.commit()
            return CodeResult(CodeCheck.LINKED, account.email, account.language)
        newest.attempts += 1
        uow.commit()
        left = MAX_ATTEMPTS - newest.attempts
        return CodeResult(CodeCheck.WRONG if left else CodeCheck.EXHAUSTED, attempts_left=left)


def _live_codes(uow: UnitOfWork, account: BusinessAccount, now: datetime) -> list[LinkCode]:
    query = select(LinkCode).where(
        LinkCode.account_id == account.id,
        LinkCode.used_at.is_(None),
        LinkCode.revoked_at.is_(None),
        LinkCode.expires_at > now,
    )
    return list(uow.session.scalars(query))


def _recent_codes(uow: UnitOfWork, account: BusinessAccount, now: datetime) -> int:
    query = select(func.count(LinkCode.id)).where(
        LinkCode.account_id == account.id, LinkCode.created_at > now - timedelta(hours=1)
    )
    return int(uow.session.scalar(query) or 0)
