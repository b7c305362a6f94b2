"""Erasure and retention: `/forget`, `member export`, `member erase`, `privacy purge`, and
no usable link or code left in sent mail. Each scenario is a real chat through the
dialogue engine (linked by an e-mailed code, handed to a person, relayed both ways) on
SQLite and PostgreSQL; afterwards every column of every table is searched."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import select

from bot.bootstrap import bootstrap, build_dialogue
from bot.domain import errors
from bot.domain.identity_embedded import EmbeddedIdentityStore
from bot.domain.models import (
    AuditEntry,
    BusinessAccount,
    Conversation,
    Delivery,
    Escalation,
    Invoice,
    LegacyAccount,
    Membership,
    OutboxEmail,
    PasswordCredential,
)
from bot.domain.services import accounts, handoff, link_codes, membership, outbox, privacy
from bot.domain.services.set_password import set_password_with_link
from bot.domain.types import (
    DeliveryTarget,
    MembershipStatus,
    PasswordLinkPurpose,
    PaymentMethod,
)
from bot.runtime import PeriodicPurge, Runtime
from bot.seed import load_demo_members
from bot.settings import load_settings
from tests.conftest import DATA_DIR
from tests.flows.harness import Chat
from tests.leftovers import leftovers

EMMA = "emma.clark@example.com"
CHAT_ID = "918273645"
KEY = f"telegram:{CHAT_ID}"
PROBLEM = "my EOS R8 shows Err 70 next to the zebra sticker"
FOLLOW_UP = "which firmware fixes it, quokka?"
STAFF_REPLY = "Please update the firmware to 1.4.0"
RESET = PasswordLinkPurpose.RESET
PASSWORD = "Lighthouse-Marmalade-731"


@pytest.fixture
def app(engine, clock):  # type: ignore[no-untyped-def]
    """The demo members on the test's database (SQLite or PostgreSQL), at a fixed clock."""
    url = engine.url.render_as_string(hide_password=False)
    bot_app = bootstrap(load_settings(database_url=url), clock=clock)
    load_demo_members(bot_app.uow(), DATA_DIR)
    yield bot_app
    bot_app.close()


@pytest.fixture
def dialogue(app, embedded):  # type: ignore[no-untyped-def]
    return build_dialogue(app, embedded)


def mailed(app, kind: str, email: str = EMMA) -> list[OutboxEmail]:  # type: ignore[no-untyped-def]
    with app.uow() as uow:
        query = select(OutboxEmail).where(OutboxEmail.kind == kind, OutboxEmail.recipient == email)
        return list(uow.session.scalars(query.order_by(OutboxEmail.id)))


async def linked_chat(dialogue, app, chat_id: str = CHAT_ID) -> tuple[Chat, str]:  # type: ignore[no-untyped-def]
    """Emma links a new Telegram chat with the code e-mailed to her: (the chat, the code)."""
    emma = Chat(dialogue, chat_id=chat_id, channel="telegram")
    await emma.say("how many points do I have?")
    await emma.say(EMMA)
    code = mailed(app, "link_code")[-1].template_data["code"]
    said = await emma.say(code)
    assert said.keys[0] == "link_account.linked"
    return emma, code


async def live_handoff(dialogue, app, *, resolved: bool = False) -> tuple[Chat, str, int]:  # type: ignore[no-untyped-def]
    """The linked chat asks for a person; the card and the ticket are posted, staff claim
    and reply, the member answers (relayed to the card's thread); optionally staff
    resolve and the member rates. (The chat, the code, the escalation id.)"""
    emma, code = await linked_chat(dialogue, app)
    await emma.say("I want to talk to a person")
    assert (await emma.say(PROBLEM)).keys[0] == "handoff.opened"
    with app.uow() as uow:
        [escalation_id] = uow.session.scalars(select(Escalation.id)).all()
    for due in handoff.take_due(app.uow(), ["slack_card", "helpdesk"]):
        result = {"channel": "C1", "ts": "1700.01"} if due.target == "slack_card" else {}
        handoff.delivered(app.uow(), due.id, result or {"ticket": "HD-7"})
    handoff.claim(app.uow(), escalation_id, "U1", "Chiara Neri")
    handoff.relay_to_member(app.uow(), escalation_id, "U1", "Chiara Neri", STAFF_REPLY, "ev-1")
    await emma.say(FOLLOW_UP)
    if resolved:
        handoff.resolve(app.uow(), escalation_id, "U1", "Chiara Neri")
        assert (await emma.say("5")).keys == ["handoff.thanks_for_rating"]
    return emma, code, escalation_id


def the_chat(code: str) -> tuple[str, ...]:
    """What ties a chat to the person or holds what was said in it."""
    return (CHAT_ID, PROBLEM, "zebra", FOLLOW_UP, "quokka", STAFF_REPLY, code)


def audit(app, action: str) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    with app.uow() as uow:
        return list(uow.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def escalation(app, escalation_id: int) -> Escalation:  # type: ignore[no-untyped-def]
    with app.uow() as uow:
        return uow.session.get(Escalation, escalation_id)


# -- /forget ------------------------------------------------------------------------------
async def test_forget_leaves_nothing_of_the_chat_in_any_table(dialogue, app):  # type: ignore[no-untyped-def]
    _, code, escalation_id = await live_handoff(dialogue, app)
    assert len(leftovers(app.engine, *the_chat(code))) > 5  # it was all there

    dialogue.forget(KEY)

    assert leftovers(app.engine, *the_chat(code)) == []
    kept = escalation(app, escalation_id)
    assert (kept.status.value, kept.resolved_by, kept.reason) == (
        "resolved",
        privacy.FORGOTTEN_BY,
        "member_request",
    )
    assert (kept.account_id, kept.conversation_key, kept.transcript, kept.context) == (
        None,
        None,
        [],
        None,
    )
    [entry] = audit(app, privacy.CHAT_FORGOTTEN)
    assert (entry.actor, entry.target) == ("member", "telegram")
    assert entry.details["conversations"] == 1 and entry.details["escalations"] == 1
    with app.uow() as uow:  # the card is redrawn without the member; the account stays
        redraw = uow.session.scalars(
            select(Delivery).where(Delivery.target == DeliveryTarget.SLACK_CARD_UPDATE)
        ).all()
        assert "escalation-1-slack_card_update-forgotten" in [d.idempotency_key for d in redraw]
        assert uow.repo.find_account(EMMA) is not None


async def test_a_resolved_escalation_keeps_its_facts_but_not_the_chat(dialogue, app):  # type: ignore[no-untyped-def]
    _, code, escalation_id = await live_handoff(dialogue, app, resolved=True)
    before = escalation(app, escalation_id)

    privacy.forget_chat(app.uow(), KEY)

    assert leftovers(app.engine, *the_chat(code)) == []
    after = escalation(app, escalation_id)
    facts = ("status", "reason", "created_at", "claimed_at", "resolved_at", "resolved_by")
    assert [getattr(after, f) for f in facts] == [getattr(before, f) for f in facts]
    assert (after.rating, after.claimed_by_name, after.helpdesk_ticket) == (
        5,
        "Chiara Neri",
        "HD-7",
    )
    assert after.account_id is None and after.transcript == []


async def test_a_live_link_code_stops_working_when_the_chat_is_forgotten(dialogue, app):  # type: ignore[no-untyped-def]
    guest = Chat(dialogue, chat_id=CHAT_ID, channel="telegram")
    await guest.say("how many points do I have?")
    await guest.say(EMMA)
    code = mailed(app, "link_code")[-1].template_data["code"]

    privacy.forget_chat(app.uow(), KEY)

    assert mailed(app, "link_code") == []
    assert (
        link_codes.verify_link_code(app.uow(), EMMA, code).check is not link_codes.CodeCheck.LINKED
    )


# -- export and erase ---------------------------------------------------------------------
async def test_export_holds_the_products_the_escalation_and_no_secret(dialogue, app):  # type: ignore[no-untyped-def]
    _, code, escalation_id = await live_handoff(dialogue, app)
    accounts.send_password_link(app.uow(), EMMA, RESET)

    document = json.loads(json.dumps(privacy.export_member(app.uow(), EMMA)))

    assert document["account"]["email"] == EMMA
    assert [p["model"] for p in document["state"]["products"]] == ["EOS R8", "RF 50mm F1.2L USM"]
    assert {r["product"] for r in document["registrations"]} == {"EOS R8", "RF 50mm F1.2L USM"}
    [exported] = document["escalations"]
    assert exported["id"] == escalation_id and exported["conversation_key"] == KEY
    assert any(PROBLEM in line["text"] for line in exported["transcript"])
    assert [c["key"] for c in document["conversations"]] == [KEY]
    assert {m["kind"] for m in document["outbox_emails"]} >= {"link_code", "password_reset"}
    text = json.dumps(document)
    token = mailed(app, "password_reset")[-1].template_data["link"].rpartition("/password/")[2]
    assert token not in text and "code_hash" not in text and "token_hash" not in text
    assert code not in json.dumps(document["outbox_emails"])  # (the member typed it in chat)
    assert "claim" in [e["action"] for e in document["audit_log"]]


async def test_erase_leaves_nothing_of_the_member_or_their_chat(dialogue, app):  # type: ignore[no-untyped-def]
    _, code, _ = await live_handoff(dialogue, app)
    accounts.send_password_link(app.uow(), EMMA, RESET)
    token = mailed(app, "password_reset")[-1].template_data["link"].rpartition("/password/")[2]
    # set on the password page: a hash in the embedded identity store, a notice to the chat
    set_password_with_link(app.uow(), EmbeddedIdentityStore(), token, PASSWORD, PASSWORD)
    accounts.send_password_link(app.uow(), EMMA, RESET)
    assert leftovers(app.engine, EMMA)

    erasure = privacy.erase_member(app.uow(), EMMA, "os:tester")

    assert leftovers(app.engine, EMMA, "emma.clark", *the_chat(code)) == []
    assert erasure.kept == {} and erasure.erased["registrations"] == 2
    assert erasure.erased["password_credentials"] == 1
    with app.uow() as uow:
        assert uow.session.scalars(select(PasswordCredential)).all() == []
    [entry] = audit(app, privacy.MEMBER_ERASED)
    assert (entry.actor, entry.target) == ("os:tester", erasure.reference)
    assert entry.details["erased"]["business_accounts"] == 1
    with app.uow() as uow:
        assert uow.repo.find_account(EMMA) is None
        assert uow.repo.find_account("sofia.conti@example.com") is not None  # nobody else


async def test_erase_keeps_invoices_on_an_anonymised_account(app):  # type: ignore[no-untyped-def]
    sofia = "sofia.conti@example.com"
    enrolled = membership.enrol(app.uow(), sofia, "platinum", PaymentMethod.CARD)

    erasure = privacy.erase_member(app.uow(), sofia, "os:tester")

    assert leftovers(app.engine, sofia, "sofia.conti") == []
    assert erasure.kept == {"business_accounts": 1, "memberships": 1, "invoices": 1}
    with app.uow() as uow:
        [invoice] = uow.session.scalars(select(Invoice)).all()
        assert invoice.number == enrolled.invoice_number
        kept = uow.session.scalars(select(Membership)).one()
        assert (kept.number, kept.status) == (enrolled.number, MembershipStatus.CANCELLED)
        account = uow.session.get(BusinessAccount, kept.account_id)
        assert account.email == f"{erasure.reference}@erased.invalid"
        assert account.legacy_email is None and account.registrations == []


async def test_erase_removes_the_old_account_given_at_sign_up(app):  # type: ignore[no-untyped-def]
    privacy.erase_member(app.uow(), "giulia.rossi@example.com", "os:tester")

    assert leftovers(app.engine, "giulia.rossi", "CPS-OLD-0017") == []
    with app.uow() as uow:  # the other old accounts stay
        assert uow.session.scalars(select(LegacyAccount.email)).all() != []


def test_erasing_an_unknown_member_is_refused(app):  # type: ignore[no-untyped-def]
    with pytest.raises(errors.AccountNotFound):
        privacy.erase_member(app.uow(), "nobody@example.com", "os:tester")


# -- retention ----------------------------------------------------------------------------
async def test_purge_removes_what_is_past_retention_and_keeps_the_rest(dialogue, app, clock):  # type: ignore[no-untyped-def]
    _, old_code, old_id = await live_handoff(dialogue, app, resolved=True)
    for notice in handoff.take_due(app.uow(), ["member"]):  # the Telegram worker's part
        handoff.delivered(app.uow(), notice.id, {"message_ids": [1]})
    outbox.take_pending(app.uow())  # sent a year and more ago
    clock.advance(days=400)
    recent, _ = await linked_chat(dialogue, app, chat_id="5550001")
    await recent.say("how many points do I have?")
    outbox.take_pending(app.uow())  # the new code, sent now
    accounts.send_password_link(app.uow(), EMMA, RESET)  # not sent yet

    counts = privacy.purge(app.uow(), clock.now(), 365, 30)

    assert counts["conversations"] == 1 and counts["escalations"] == 1
    assert counts["outbox_emails"] >= 1 and counts["deliveries"] >= 5
    assert counts["inbox_events"] >= 5 and counts["processed_events"] >= 1
    assert leftovers(app.engine, CHAT_ID, PROBLEM, FOLLOW_UP, old_code) == []
    kept = escalation(app, old_id)
    assert (kept.rating, kept.reason, kept.transcript) == (5, "member_request", [])
    with app.uow() as uow:
        assert uow.session.scalars(select(Conversation.key)).all() == ["telegram:5550001"]
        mail = uow.session.scalars(select(OutboxEmail)).all()
        assert {m.kind for m in mail if m.recipient == EMMA} == {"link_code", "password_reset"}
    assert set(privacy.purge(app.uow(), clock.now(), 365, 30).values()) == {0}  # done once


async def test_sent_mail_is_purged_after_its_own_retention(app, clock):  # type: ignore[no-untyped-def]
    accounts.send_password_link(app.uow(), EMMA, RESET)
    outbox.take_pending(app.uow(), EMMA)
    clock.advance(days=29)
    assert privacy.purge(app.uow(), clock.now(), 365, 30)["outbox_emails"] == 0
    clock.advance(days=2)
    assert privacy.purge(app.uow(), clock.now(), 365, 30)["outbox_emails"] >= 1
    assert mailed(app, "password_reset") == []


async def test_the_running_bot_purges(dialogue, app, clock):  # type: ignore[no-untyped-def]
    await linked_chat(dialogue, app)
    clock.advance(days=366)
    runtime = Runtime(app.settings, dialogue)
    [purge] = [c for c in runtime.companions if isinstance(c, PeriodicPurge)]
    await runtime.start()
    try:
        for _ in range(200):
            if leftovers(app.engine, CHAT_ID) == []:
                break
            await asyncio.sleep(0.02)
    finally:
        await runtime.stop()
    assert leftovers(app.engine, CHAT_ID) == [] and purge.seconds == 3600


# -- secrets at rest in the outbox --------------------------------------------------------
async def test_a_mail_taken_for_delivery_keeps_no_code_or_link_in_the_database(app):  # type: ignore[no-untyped-def]
    link_codes.request_link_code(app.uow(), EMMA, "en")
    accounts.send_password_link(app.uow(), EMMA, RESET)

    taken = {m.kind: m for m in outbox.take_pending(app.uow(), EMMA)}

    code, link = taken["link_code"].data["code"], taken["password_reset"].data["link"]
    assert code.isdigit() and link.startswith(app.settings.web_base_url) and "/password/" in link
    [code_mail], [link_mail] = mailed(app, "link_code"), mailed(app, "password_reset")
    assert code_mail.template_data["code"] == outbox.SENT
    assert link_mail.template_data["link"] == outbox.SENT
    assert code_mail.template_data["minutes"] == 10  # what is not a secret stays
    assert code_mail.sent_at is not None
    assert leftovers(app.engine, code, link, link.rpartition("/password/")[2]) == []


def test_every_mail_kind_has_its_secrets_listed_and_an_unknown_kind_fails_safe():
    data = {"link": "https://x/?token=abc", "code": "123456", "name": "Emma"}
    assert outbox.scrub_secrets("welcome", data) == {**data, "link": outbox.SENT}
    assert outbox.scrub_secrets("link_code", data)["code"] == outbox.SENT
    assert outbox.scrub_secrets("invoice", data) == data
    assert outbox.scrub_secrets("a_new_kind", data) == {
        "link": outbox.SENT,
        "code": outbox.SENT,
        "name": "Emma",
    }
