"""R1's last step: the member opens the e-mailed link and sets the password on the page.

`open_password_link` says whose link it is, or why it no longer works (`PasswordLinkGone`,
with the account's language when the link was ours). `set_password_with_link` is the
form's one use case, in one unit of work: the link is locked and checked, the password
checked (`password_rules`), handed to the identity store (`IdentityStore`), the link used
up, the account's password marked set, and every chat of the member told so, all
committed together. A refused password counts against the link: after
`password_link_max_attempts` refusals it stops working. The password itself is never
stored, returned or logged here: only the identity store sees it.

The link's row stays locked while the store works (an argon2id hash, about a quarter of a
second; a Keycloak call), so two tabs posting at once set it once. On SQLite that lock is
the database's write lock: chat turns wait that long, once per member, and do not fail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.domain import errors
from bot.domain.models import BusinessAccount, PasswordLinkToken
from bot.domain.password_rules import password_problems
from bot.domain.ports import IdentityAccount, IdentityRefused, IdentityStore
from bot.domain.services.accounts import hash_token, link_refusal, redeem_password_link
from bot.domain.services.deliveries import notify_account_chats
from bot.domain.types import MemberNotice
from bot.domain.unit_of_work import UnitOfWork

TOKEN_FORMAT = re.compile(r"[A-Za-z0-9_-]{16,128}")  # secrets.token_urlsafe(32) is 43


@dataclass(frozen=True)
class PasswordLinkView:
    """A link that works: for whom, in which language, and how many tries it has left."""

    email: str
    language: str
    attempts_left: int


@dataclass(frozen=True)
class PasswordSet:
    email: str
    language: str
    notified_chats: list[str]  # conversation keys told that the password is set


@dataclass(eq=False)
class PasswordLinkGone(errors.PasswordLinkInvalid):
    """The link does not work (`reason`: unknown, used, too_many_attempts, revoked,
    expired); `language` is the account's when the link was one of ours."""

    language: str | None = None


@dataclass(eq=False)
class PasswordRefused(errors.DomainError):
    """The password cannot be used; `problems` are `password_rules` codes (or
    "identity_refused"). The link took one try more."""

    problems: list[str]
    attempts_left: int
    language: str
    email: str
    code = "password_refused"


def open_password_link(uow: UnitOfWork, token: str) -> PasswordLinkView:
    with uow:
        link, account = _working_link(uow, token, for_update=False)
        left = uow.policy.password_link_max_attempts - (link.attempts or 0)
        return PasswordLinkView(account.email, account.language, left)


def set_password_with_link(
    uow: UnitOfWork, identity: IdentityStore, token: str, password: str, confirmation: str
) -> PasswordSet:
    """Raises PasswordLinkGone, PasswordRefused, or IdentityUnavailable (nothing changed)."""
    with uow:
        link, account = _working_link(uow, token, for_update=True)
        problems = password_problems(password, confirmation, account.email)
        if not problems:
            try:
                identity.set_password(uow, IdentityAccount(account.id, account.email), password)
            except IdentityRefused:
                problems = ["identity_refused"]
        if problems:
            raise _refused(uow, link, account, problems)
        redeem_password_link(uow, link)
        chats = notify_account_chats(
            uow, account.id, account.language, MemberNotice.PASSWORD_SET, f"link-{link.id}"
        )
        uow.commit()
        return PasswordSet(account.email, account.language, chats)


def _working_link(
    uow: UnitOfWork, token: str, *, for_update: bool
) -> tuple[PasswordLinkToken, BusinessAccount]:
    if not TOKEN_FORMAT.fullmatch(token):
        raise PasswordLinkGone("unknown")
    link = uow.repo.password_token(hash_token(token), for_update=for_update)
    if link is None:
        raise PasswordLinkGone("unknown")
    account = uow.repo.account_by_id(link.account_id)
    refusal = link_refusal(link, uow.clock.now(), uow.policy.password_link_max_attempts)
    if refusal is not None:
        raise PasswordLinkGone(refusal, account.language)
    return link, account


def _refused(
    uow: UnitOfWork, link: PasswordLinkToken, account: BusinessAccount, problems: list[str]
) -> PasswordRefused:
    """One try more on the link, committed; the last allowed one revokes it."""
    link.attempts = (link.attempts or 0) + 1
    left = max(uow.policy.password_link_max_attempts - link.attempts, 0)
    if left == 0:
        link.revoked_at = uow.clock.now()
    uow.commit()
    return PasswordRefused(problems, left, account.language, account.email)
