"""`/cps` staff actions: look-ups, re-sends and the R4 override, each audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.domain import errors
from bot.domain.models import AuditEntry, Delivery
from bot.domain.services import accounts, conversations, membership, migration, outbox, staff
from bot.domain.services.member_state import member_state
from bot.domain.types import PaymentMethod
from bot.flows.i18n import default_catalogs
from bot.flows.notices import notice_replies
from tests.domain.builders import complete, give_points, new_member

ADA = "U_ADA"
OLD = "marco.b@oldmail.example"


def audit_log(uow) -> list[tuple[str, str, str]]:
    with uow:
        rows = uow.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        return [(r.actor, r.action, r.target) for r in rows]


def mail_kinds(uow, email: str) -> list[str]:
    return [mail.kind for mail in outbox.take_pending(uow, email)]


def old_account(uow) -> None:
    """Like the demo's Marco: an old account with one complete and one incomplete item."""
    migration.import_legacy_account(
        uow,
        OLD,
        "CPS-OLD-0023",
        [("eos-5d-mark-iv", complete()), ("eos-r8", complete(dealer=None))],
    )


def test_find_a_member_by_email_or_membership_number(uow):
    email = new_member(uow, "Emma@Example.com")
    give_points(uow, email, 600)
    number = membership.enrol(uow, email, "silver", PaymentMethod.CARD).number

    by_email = staff.find_member(uow, ADA, " EMMA@example.com ")
    by_number = staff.find_member(uow, ADA, number.lower())
    assert by_email == by_number == member_state(uow, email)
    assert by_email["email"] == "emma@example.com"
    assert by_email["membership"]["number"] == number
    assert audit_log(uow)[-2:] == [
        (ADA, "lookup", "EMMA@example.com"),
        (ADA, "lookup", number.lower()),
    ]


def test_an_unknown_member_is_none_and_the_look_up_still_audited(uow):
    assert staff.find_member(uow, ADA, "nobody@example.com") is None
    assert staff.find_member(uow, ADA, "CPS-2026-000000") is None
    assert [action for _, action, _ in audit_log(uow)] == ["lookup", "lookup"]


def test_points_are_told_and_audited(uow):
    email = new_member(uow)
    give_points(uow, email, 450)
    assert staff.points(uow, ADA, email) == 450
    assert audit_log(uow) == [(ADA, "points", email)]
    with pytest.raises(errors.NotFound):
        staff.points(uow, ADA, "nobody@example.com")


def test_an_invitation_is_resent_only_once_issued(uow):
    email = new_member(uow)
    give_points(uow, email, 400)
    with pytest.raises(errors.NotInvited):
        staff.resend_invitation(uow, ADA, email)
    give_points(uow, email, 100)
    mail_kinds(uow, email)  # the welcome and first invitation
    staff.resend_invitation(uow, ADA, email)
    assert mail_kinds(uow, email) == ["invitation"]
    assert audit_log(uow) == [(ADA, "resend_invitation", email)]


def test_the_password_link_is_a_first_time_one_until_a_password_is_set(uow):
    email = new_member(uow)
    mail_kinds(uow, email)  # the welcome mail
    staff.resend_password_link(uow, ADA, email)
    assert mail_kinds(uow, email) == ["password_set"]
    accounts.record_password_set(uow, email)
    staff.resend_password_link(uow, ADA, email)
    assert mail_kinds(uow, email) == ["password_reset"]
    assert audit_log(uow) == [
        (ADA, "resend_password_link", email),
        (ADA, "resend_password_link", email),
    ]


def test_linking_an_old_account_migrates_its_products(uow):
    old_account(uow)
    email = new_member(uow)  # the old e-mail was not given at sign-up (R4)
    outcome = staff.link_old_account(uow, ADA, email, OLD.upper())
    assert [(p.model, p.points_assigned) for p in outcome.migrated] == [
        ("EOS 5D Mark IV", True),
        ("EOS R8", False),
    ]
    assert outcome.total_points == 400
    state = member_state(uow, email)
    assert state["legacy"] == {"email": OLD, "linked": True, "migrated": True}
    assert {p["source"] for p in state["products"]} == {"migrated"}
    assert audit_log(uow) == [(ADA, "link_old_account", email)]
    with pytest.raises(errors.AlreadyMigrated):
        staff.link_old_account(uow, ADA, email, OLD)


def test_an_unknown_old_account_is_refused_and_nothing_changes(uow):
    email = new_member(uow)
    with pytest.raises(errors.NotFound) as refused:
        staff.link_old_account(uow, ADA, email, "nobody@oldmail.example")
    assert isinstance(refused.value, errors.LegacyAccountNotFound)
    assert member_state(uow, email)["legacy"]["email"] is None
    assert audit_log(uow) == []


def test_an_old_account_given_by_another_member_is_refused(uow):
    old_account(uow)
    new_member(uow, "owner@example.com", legacy=OLD)
    email = new_member(uow)
    with pytest.raises(errors.LegacyAccountTaken):
        staff.link_old_account(uow, ADA, email, OLD)
    assert member_state(uow, email)["products"] == []
    assert audit_log(uow) == []


def test_an_old_account_migrated_to_another_member_is_refused(uow):
    old_account(uow)
    owner = new_member(uow, "owner@example.com")
    staff.link_old_account(uow, ADA, owner, OLD)
    email = new_member(uow)
    with pytest.raises(errors.LegacyAccountTaken) as refused:
        staff.link_old_account(uow, "U_BOB", email, OLD)
    assert refused.value.legacy_email == OLD
    assert member_state(uow, email)["products"] == []


def test_an_invitation_that_comes_with_staff_linking_is_told_in_the_members_chats(uow):
    """R7 reached by staff's migration: no turn of the member's says it, so each chat of
    theirs gets a message in its language, once; the catalogue words it."""
    old_account(uow)  # 400 points of complete products
    email = new_member(uow)
    give_points(uow, email, 100)
    for key, language in (("telegram:77", "de"), ("console:anna", None)):
        conversations.save_conversation(
            uow, conversations.ConversationState(key, email=email, language=language)
        )
    outcome = staff.link_old_account(uow, ADA, email, OLD)
    assert outcome.invitation_issued and outcome.total_points == 500
    with uow:
        told = uow.session.scalars(select(Delivery).where(Delivery.target == "member")).all()
        told = sorted((d.conversation_key, d.payload["kind"], d.payload["language"]) for d in told)
    assert told == [("console:anna", "invited", "it"), ("telegram:77", "invited", "de")]
    [reply] = notice_replies({"kind": "invited", "params": {"points": "500"}})
    text = default_catalogs().reply_text("de", reply)
    assert "500 Punkte" in text and "eingeladen" in text
    assert [b.payload for b in reply.buttons] == ["flow:level_choice"]
