"""A bank transfer's invoice is told to the member's chats three days before it is due,
once, in each chat's language; a card is charged by itself and gets no reminder."""

from __future__ import annotations

from sqlalchemy import select

from bot.bootstrap import bootstrap, build_dialogue
from bot.domain.models import Delivery
from bot.domain.services import conversations, membership
from bot.domain.services.invoice_reminders import remind_invoices_due
from bot.domain.types import PaymentMethod
from bot.flows.i18n import default_catalogs
from bot.flows.notices import notice_replies
from bot.runtime import InvoiceReminders, Runtime
from bot.seed import load_demo_members
from bot.settings import load_settings
from tests.conftest import DATA_DIR
from tests.domain.builders import give_points, new_member


def member_told(uow) -> list[tuple[str, dict]]:
    with uow:
        rows = uow.session.scalars(select(Delivery).where(Delivery.target == "member")).all()
        return sorted((d.conversation_key, d.payload) for d in rows)


def test_a_bank_transfer_due_in_three_days_is_told_once_in_each_chat(uow, clock):
    email = new_member(uow)
    give_points(uow, email, 600)
    conversations.save_conversation(
        uow, conversations.ConversationState("telegram:9", email=email, language="fr")
    )
    enrolled = membership.enrol(uow, email, "silver", PaymentMethod.BANK_TRANSFER)
    card = new_member(uow, "carla@example.com")
    give_points(uow, card, 600)
    membership.enrol(uow, card, "silver", PaymentMethod.CARD)
    days_left = (enrolled.due_date - clock.now().date()).days
    assert days_left > 3 and remind_invoices_due(uow) == []  # not yet

    clock.advance(days=days_left - 3)
    assert remind_invoices_due(uow) == [enrolled.invoice_number]
    assert remind_invoices_due(uow) == []  # once, however often the check runs
    [(chat, payload)] = member_told(uow)
    assert chat == "telegram:9" and payload["kind"] == "invoice_due"
    assert payload["language"] == "fr"

    [reply] = notice_replies(payload)
    text = default_catalogs().reply_text("fr", reply)
    assert enrolled.invoice_number in text and "50,00\u00a0€" in text
    assert enrolled.due_date.strftime("%-d") in text and "virement" in text


def test_an_invoice_already_past_its_due_date_gets_no_reminder(uow, clock):
    email = new_member(uow)
    give_points(uow, email, 600)
    enrolled = membership.enrol(uow, email, "silver", PaymentMethod.BANK_TRANSFER)
    clock.advance(days=(enrolled.due_date - clock.now().date()).days + 1)
    assert remind_invoices_due(uow) == []


async def test_the_running_bot_checks_for_invoices_due(engine, clock, embedded):  # type: ignore[no-untyped-def]
    """Every process's runtime has the check; one round queues what is due."""
    url = engine.url.render_as_string(hide_password=False)
    app = bootstrap(load_settings(database_url=url), clock=clock)
    try:
        load_demo_members(app.uow(), DATA_DIR)
        dialogue = build_dialogue(app, embedded)
        dialogue.link("telegram:5", "lukas.weber@example.com")
        enrolled = membership.enrol(app.uow(), "lukas.weber@example.com", "gold",
                                    PaymentMethod.BANK_TRANSFER)  # fmt: skip
        clock.advance(days=(enrolled.due_date - clock.now().date()).days - 2)
        runtime = Runtime(app.settings, dialogue)
        [check] = [c for c in runtime.companions if isinstance(c, InvoiceReminders)]
        await check.round(first=True)
        [(chat, payload)] = member_told(app.uow())
        assert (chat, payload["kind"], payload["language"]) == ("telegram:5", "invoice_due", "de")
        text = default_catalogs().reply_text("de", notice_replies(payload)[0])
        assert "100,00\u00a0€" in text and "Überweisung" in text
    finally:
        app.close()
