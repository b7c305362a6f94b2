"""The SMTP worker's outbox: leased so two workers never send one mail, retried with backoff,
in order per recipient, secrets blanked once sent or refused, a refusal told to the member's
chats and listed for staff. On SQLite and PostgreSQL; time moves with the FixedClock."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.domain.models import Delivery, OutboxEmail
from bot.domain.services import link_codes, mail_delivery, outbox
from bot.domain.types import DeliveryTarget, MailStatus
from tests.domain.builders import linked_chat, new_member, outbox_rows


def test_a_taken_mail_is_leased_until_it_is_settled_or_the_lease_runs_out(uow, clock):
    new_member(uow)  # the welcome mail with the first password link
    [mail] = mail_delivery.take_due(uow)
    assert mail.kind == "welcome" and mail.data["link"].startswith("http")
    assert mail.message_id.startswith(f"<cps-mail-{mail.id}-")
    assert mail.message_id.endswith("@canoneurope.com>")
    assert mail_delivery.take_due(uow) == []  # another worker gets nothing meanwhile
    assert outbox.take_pending(uow) == []  # nor does the console
    clock.advance(seconds=mail_delivery.LEASE.total_seconds() - 1)
    assert mail_delivery.take_due(uow) == []
    clock.advance(seconds=1)  # the worker died after sending: sent again, the same message
    [again] = mail_delivery.take_due(uow)
    assert (again.id, again.message_id, again.data) == (mail.id, mail.message_id, mail.data)


def test_the_later_mails_of_a_batch_are_leased_for_longer(uow, clock):
    """The worker sends a batch one by one: the third mail waits for two exchanges first."""
    for name in ("anna", "bruno", "carla"):
        new_member(uow, f"{name}@example.com")
    lease = timedelta(minutes=2)
    assert len(mail_delivery.take_due(uow, lease=lease)) == 3
    leases = [row.leased_until for row in outbox_rows(uow)]
    assert leases == [clock.now() + lease, clock.now() + 2 * lease, clock.now() + 3 * lease]
    clock.advance(minutes=2)
    assert [m.recipient for m in mail_delivery.take_due(uow, lease=lease)] == ["anna@example.com"]


def test_a_sent_mail_keeps_no_code_and_is_not_sent_again(uow, clock):
    email = new_member(uow)
    link_codes.request_link_code(uow, email, "en")
    welcome, code = mail_delivery.take_due(uow)
    assert len(code.data["code"]) == 6
    mail_delivery.delivered(uow, welcome.id, {"message_id": welcome.message_id})
    mail_delivery.delivered(uow, code.id, {"message_id": code.message_id})
    mail_delivery.delivered(uow, code.id, {"message_id": code.message_id})  # twice: no-op
    rows = outbox_rows(uow)
    assert [r.status for r in rows] == [MailStatus.SENT, MailStatus.SENT]
    assert rows[0].template_data["link"] == outbox.SENT
    assert rows[1].template_data["code"] == outbox.SENT
    assert code.data["code"] not in str(rows[1].template_data)
    assert rows[1].sent_at == clock.now() and rows[1].message_id == code.message_id
    clock.advance(hours=1)
    assert mail_delivery.take_due(uow) == [] and mail_delivery.pending(uow) == 0


def test_a_temporary_failure_is_retried_with_exponential_backoff(uow, clock):
    new_member(uow)
    [mail] = mail_delivery.take_due(uow)
    first = mail_delivery.failed(uow, mail.id, "SMTP 451 4.7.1 greylisted", backoff=1)
    assert first == clock.now() + timedelta(seconds=1)
    assert mail_delivery.take_due(uow) == []
    clock.advance(seconds=1)
    [again] = mail_delivery.take_due(uow)
    assert again.attempts == 1 and again.message_id == mail.message_id
    second = mail_delivery.failed(uow, mail.id, "SMTPServerDisconnected", backoff=1)
    assert second == clock.now() + timedelta(seconds=2)
    later = mail_delivery.failed(uow, mail.id, "x", retry_after=30, backoff=1)
    assert later == clock.now() + timedelta(seconds=30)  # never sooner than asked
    [row] = outbox_rows(uow)
    assert (row.status, row.attempts, row.last_error) == (MailStatus.PENDING, 3, "x")
    assert row.template_data["link"] == mail.data["link"]  # kept until it is sent


def test_mail_to_one_recipient_leaves_in_order(uow, clock):
    email = new_member(uow)
    new_member(uow, "bruno@example.com")
    link_codes.request_link_code(uow, email, "it")
    welcome_anna, welcome_bruno, code_anna = mail_delivery.take_due(uow)
    assert (welcome_anna.recipient, code_anna.recipient) == (email, email)
    mail_delivery.failed(uow, welcome_anna.id, "SMTP 451 try later", backoff=10)
    mail_delivery.failed(uow, code_anna.id, "waiting for an earlier delivery", retry_after=10)
    mail_delivery.delivered(uow, welcome_bruno.id, {})
    clock.advance(seconds=10)
    assert [m.id for m in mail_delivery.take_due(uow)] == [welcome_anna.id, code_anna.id]


def test_a_refused_mail_fails_for_good_tells_the_members_chats_and_staff(uow, clock):
    email = new_member(uow)
    linked_chat(uow, email, "telegram:41", "en")
    linked_chat(uow, email, "telegram:42", None)  # no language of its own: the mail's
    link_codes.request_link_code(uow, email, "it")
    welcome, code = mail_delivery.take_due(uow)
    mail_delivery.delivered(uow, welcome.id, {})
    refusal = "SMTP 550 5.1.1 <anna@example.com>: Recipient address rejected"
    mail_delivery.delivered(uow, code.id, {"refused": refusal})

    row = outbox_rows(uow)[1]
    assert (row.status, row.failed_at, row.sent_at) == (MailStatus.FAILED, clock.now(), None)
    assert row.template_data["code"] == mail_delivery.REFUSED  # the code is not kept either
    assert row.last_error == "SMTP 550 5.1.1 <a***@example.com>: Recipient address rejected"
    clock.advance(days=1)
    assert mail_delivery.take_due(uow) == []  # never retried
    with uow:
        notices = uow.session.scalars(
            select(Delivery).where(Delivery.target == DeliveryTarget.MEMBER).order_by(Delivery.id)
        ).all()
        told = [(d.conversation_key, d.payload) for d in notices]
    params = {"mail": "link_code", "address": email}
    assert told == [
        ("telegram:41", {"kind": "mail_failed", "params": params, "language": "en"}),
        ("telegram:42", {"kind": "mail_failed", "params": params, "language": "it"}),
    ]
    [failed] = mail_delivery.failed_mails(uow)
    assert (failed.id, failed.kind, failed.recipient) == (code.id, "link_code", "a***@example.com")
    assert failed.reason == row.last_error


def test_a_mail_settled_by_another_worker_is_not_settled_again(uow, clock):
    new_member(uow)
    [mail] = mail_delivery.take_due(uow)
    clock.advance(minutes=10)
    [again] = mail_delivery.take_due(uow)  # the first worker was slow past its lease
    mail_delivery.delivered(uow, again.id, {})
    mail_delivery.delivered(uow, mail.id, {"refused": "SMTP 550 late"})
    [row] = outbox_rows(uow)
    assert row.status is MailStatus.SENT and row.last_error is None
    assert mail_delivery.failed_mails(uow) == []


def test_a_mail_erased_while_it_was_being_sent_is_settled_quietly(uow, clock):
    new_member(uow)
    [mail] = mail_delivery.take_due(uow)
    with uow:  # /forget or `member erase` deleted it meanwhile
        uow.session.delete(uow.session.get(OutboxEmail, mail.id))
        uow.commit()
    mail_delivery.delivered(uow, mail.id, {})
    assert mail_delivery.failed(uow, mail.id, "SMTP 451 later") == clock.now()
    assert outbox_rows(uow) == [] and mail_delivery.failed_mails(uow) == []
