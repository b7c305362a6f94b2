"""What staff may do from Slack's `/cps`: look members up and act for them, always audited.

Each use case runs in one unit of work with its audit entry, so an action and its record
land together or not at all. `actor` is the staff member's Slack user id.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.domain import errors
from bot.domain.models import BusinessAccount, LegacyAccount, Membership
from bot.domain.repository import normalise_email
from bot.domain.services import mail_delivery, membership
from bot.domain.services.accounts import issue_password_link
from bot.domain.services.analytics import WEEK_DAYS, build_report
from bot.domain.services.audit import record_staff_action
from bot.domain.services.deliveries import notify_account_chats
from bot.domain.services.member_state import state_of
from bot.domain.services.migration import MigrationOutcome, migrate_into
from bot.domain.services.points import (
    account_points,
)
from bot.domain.types import MemberNotice, PasswordLinkPurpose, PasswordState
from bot.domain.unit_of_work import UnitOfWork


def find_member(uow: UnitOfWork, actor: str, query: str) -> dict[str, Any] | None:
    """By e-mail or current membership number: the `member show` document, or None."""
    query = query.strip()
    with uow:
        account = _find(uow, query)
        found = account.email if account else None
        record_staff_action(uow, actor, "lookup", query[:254], {"found": found})
        state = state_of(uow, account) if account else None
        uow.commit()
        return state


def points(uow: UnitOfWork, actor: str, email: str) -> int:
    with uow:
        account = uow.repo.account(email)
        total = account_points(uow, account)
        record_staff_action(uow, actor, "points", account.email, {"points": total})
        uow.commit()
        return total


def resend_invitation(uow: UnitOfWork, actor: str, email: str) -> None:
    """R7: an invitation already issued is sent again (audited by membership)."""
    membership.resend_invitation(uow, actor, email)


def resend_password_link(uow: UnitOfWork, actor: str, email: str) -> None:
    """R1: a first-time link while no password is set, a reset link afterwards."""
    with uow:
        account = uow.repo.account(email, for_update=True)
        purpose = (
            PasswordLinkPurpose.RESET
            if account.password_state is PasswordState.SET
            else PasswordLinkPurpose.SET
        )
        issue_password_link(uow, account, purpose, mail_kind=f"password_{purpose.value}")
        record_staff_action(
            uow, actor, "resend_password_link", account.email, {"purpose": purpose.value}
        )
        uow.commit()


def last_week(uow: UnitOfWork) -> dict[str, Any]:
    """The last 7 days' figures, today included (the App Home's headline): the report's
    `overall` section with its `period`."""
    today = uow.clock.now().date()
    figures = build_report(uow, today - timedelta(days=WEEK_DAYS - 1), today)
    return {"period": figures["period"], **figures["overall"]}


def failed_mails(uow: UnitOfWork) -> list[mail_delivery.FailedMail]:
    """Mail the members' servers refused for good, newest first (`/cps queue` lists it)."""
    return mail_delivery.failed_mails(uow)


def link_old_account(uow: UnitOfWork, actor: str, email: str, old_email: str) -> MigrationOutcome:
    """R4 staff override, after staff verified the member owns the old account: link, migrate.

    Refused when the old account does not exist, or belongs to (or went to) another member.
    """
    with uow:
        account = uow.repo.account(email, for_update=True)
        legacy = _legacy_locked(uow, old_email)
        if legacy.migrated_to_id == account.id:
            raise errors.AlreadyMigrated(legacy.email)
        if legacy.migrated_to_id is not None or _claimed_by_another(uow, account, legacy):
            raise errors.LegacyAccountTaken(legacy.email)
        previous = account.legacy_email
        account.legacy_email = legacy.email
        outcome = migrate_into(uow, account, legacy)
        details = {
            "legacy_email": legacy.email,
            "previous": previous,
            "migrated": len(outcome.migrated),
            "skipped": len(outcome.skipped),
        }
        record_staff_action(uow, actor, "link_old_account", account.email, details)
        if outcome.invitation_issued:  # R7 by staff: the member is not in a turn to hear it
            points = str(outcome.total_points)
            kind, once = MemberNotice.INVITED, f"account-{account.id}"
            notify_account_chats(uow, account.id, account.language, kind, once, points=points)
        uow.commit()
        return outcome


def _find(uow: UnitOfWork, query: str) -> BusinessAccount | None:
    if "@" in query:
        return uow.repo.find_account(query)
    number = select(Membership.account_id).where(Membership.number == query.upper())
    account_id = uow.session.scalar(number)
    return uow.repo.account_by_id(account_id) if account_id is not None else None


def _legacy_locked(uow: UnitOfWork, old_email: str) -> LegacyAccount:
    """Locked, so two staff linking one old account to two members cannot both succeed."""
    query = select(LegacyAccount).where(LegacyAccount.email == normalise_email(old_email))
    legacy = uow.repo.locked(query)
    if legacy is None:
        raise errors.LegacyAccountNotFound(old_email)
    return legacy


def _claimed_by_another(uow: UnitOfWork, account: BusinessAccount, legacy: LegacyAccount) -> bool:
    """Another member gave this old e-mail at sign-up: it is theirs to migrate (R3)."""
    query = select(BusinessAccount.id).where(
        BusinessAccount.legacy_email == legacy.email, BusinessAccount.id != account.id
    )
    return uow.session.scalars(query).first() is not None
