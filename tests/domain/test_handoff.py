"""Live handoff (R14): open, claim, relay, resolve, rate; the deliveries outbox behind it."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from bot.domain import errors
from bot.domain.models import AuditEntry
from bot.domain.models import Delivery as DeliveryRow
from bot.domain.services import handoff, products
from bot.domain.services.escalations import open_escalation as legacy_open
from bot.domain.services.member_state import member_state
from bot.domain.services.migration import import_legacy_account
from bot.domain.unit_of_work import UnitOfWork
from tests.domain.builders import complete, give_points, new_member
from tests.support import START

CHAT = "telegram:4242"
OLD = "anna.old@oldmail.example"
SAID = [{"who": "member", "text": "voglio parlare con una persona"}]


def queued(uow, target: str | None = None) -> list[tuple[str, str, dict]]:
    """(target, idempotency key, payload) of every delivery, in the order they were queued."""
    with uow:
        query = select(DeliveryRow).order_by(DeliveryRow.id)
        rows = uow.session.scalars(query).all()
        return [
            (r.target.value, r.idempotency_key, r.payload)
            for r in rows
            if target is None or r.target.value == target
        ]


def audit_log(uow) -> list[tuple[str, str, str]]:
    with uow:
        rows = uow.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        return [(r.actor, r.action, r.target) for r in rows]


def opened(uow, email: str | None = None, key: str | None = CHAT) -> int:
    return handoff.open_escalation(
        uow, email, "member_request", SAID, conversation_key=key, language="it"
    )


def claimed(uow, email: str | None = None) -> int:
    number = opened(uow, email)
    handoff.claim(uow, number, "U_ADA", "Ada Lovelace")
    return number


# --- opening -------------------------------------------------------------------------------


def test_a_new_escalation_snapshots_the_members_context_and_queues_card_and_ticket(uow):
    import_legacy_account(uow, OLD, "CPS-OLD-0100", [("eos-r5", complete())])
    email = new_member(uow, legacy=OLD)
    products.register_product(uow, email, "eos-r8", complete())
    products.register_product(
        uow, email, "rf-50-f1-2l", complete(serial_number="2210004455", dealer=None)
    )
    give_points(uow, email, 300)

    number = opened(uow, email)
    view = handoff.get(uow, number)

    assert (view.status, view.reason, view.email) == ("open", "member_request", email)
    assert (view.conversation_key, view.language, view.created_at) == (CHAT, "it", START)
    context = view.context
    assert context["account"] == {
        "email": email,
        "language": "it",
        "country": "IT",
        "password_set": False,
    }
    assert [(p["model"], p["missing"]) for p in context["products"]] == [
        ("EOS R8", []),
        ("RF 50mm F1.2L USM", ["dealer"]),
        ("Test item 300", []),
    ]
    assert context["points"] == 500
    assert context["invitation"] == "sent"
    assert context["membership"] is None
    assert context["legacy"] == {"email": OLD, "linked": True, "migrated": False}
    assert view.transcript == SAID
    assert queued(uow) == [
        ("slack_card", f"escalation-{number}-slack_card", {}),
        ("helpdesk", f"escalation-{number}-helpdesk", handoff.helpdesk_document(view)),
    ]


def test_the_helpdesk_document_is_plain_json_with_context_and_transcript(uow):
    email = new_member(uow)
    view = handoff.get(uow, opened(uow, email))
    document = handoff.helpdesk_document(view)
    assert document["escalation_id"] == view.id
    assert document["member"] == {"email": email, "language": "it", "conversation": CHAT}
    assert document["created_at"] == START.isoformat()
    assert document["context"]["account"]["email"] == email
    assert document["transcript"] == SAID


def test_an_unknown_member_gets_an_empty_context(uow):
    view = handoff.get(uow, opened(uow, None))
    assert (view.email, view.context) == (None, {})


def test_asking_again_adds_to_the_live_escalation_and_tells_its_thread(uow):
    email = new_member(uow)
    first = opened(uow, email)
    again = [{"who": "member", "text": "ancora io"}]
    assert legacy_open(uow, email, "misunderstood", again) == first
    assert handoff.get(uow, first).transcript == SAID + again
    handoff.card_posted(uow, first, "C1", "1.0")
    lines = handoff.take_due(uow, ["slack_thread"])
    assert [d.payload["text"] for d in lines] == ["(asked again) ancora io"]
    assert len(queued(uow)) == 3  # card, helpdesk ticket, that line: no second card


def test_a_chat_without_account_has_one_live_escalation_per_conversation(uow):
    first = opened(uow, None, "telegram:1")
    assert opened(uow, None, "telegram:1") == first
    assert opened(uow, None, "telegram:2") != first
    # no account and no chat: nothing to match, each request is its own
    assert legacy_open(uow, None, "other", SAID) != legacy_open(uow, None, "other", SAID)


def test_after_resolution_a_new_request_opens_a_new_escalation(uow):
    email = new_member(uow)
    first = opened(uow, email)
    handoff.resolve(uow, first, "U_ADA", "Ada Lovelace")
    assert opened(uow, email) != first


def test_an_unknown_reason_is_refused(uow):
    with pytest.raises(ValueError):
        handoff.open_escalation(uow, None, "bored", SAID)


def test_member_state_keeps_the_escalations_contract_shape(uow):
    email = new_member(uow)
    number = claimed(uow, email)
    assert member_state(uow, email)["escalations"] == [
        {"id": number, "status": "claimed", "reason": "member_request"}
    ]


# --- claim, resolve, rate ------------------------------------------------------------------


def test_claim_resolve_and_rate(uow, clock):
    email = new_member(uow)
    number = opened(uow, email)
    clock.advance(minutes=3)
    view = handoff.claim(uow, number, "U_ADA", "Ada Lovelace")
    assert (view.status, view.claimed_by, view.claimed_by_name) == (
        "claimed",
        "U_ADA",
        "Ada Lovelace",
    )
    assert view.claimed_at == START + timedelta(minutes=3)
    assert handoff.for_conversation(uow, CHAT).status == "claimed"

    clock.advance(minutes=10)
    view = handoff.resolve(uow, number, "U_ADA", "Ada Lovelace")
    assert (view.status, view.resolved_by) == ("resolved", "U_ADA")
    assert view.resolved_at == START + timedelta(minutes=13)
    assert handoff.for_conversation(uow, CHAT).id == number  # a rating is still to come

    handoff.rate(uow, number, 4)
    assert handoff.get(uow, number).rating == 4
    assert handoff.for_conversation(uow, CHAT) is None
    handoff.rate(uow, number, 1)  # the first answer stands
    assert handoff.get(uow, number).rating == 4

    assert queued(uow, "member") == [
        (
            "member",
            f"escalation-{number}-member-claimed",
            {"kind": "claimed", "params": {"name": "Ada"}, "language": "it"},
        ),
        (
            "member",
            f"escalation-{number}-member-resolved",
            {"kind": "resolved", "params": {}, "language": "it"},
        ),
    ]
    assert [key for _, key, _ in queued(uow, "slack_card_update")] == [
        f"escalation-{number}-slack_card_update-claimed",
        f"escalation-{number}-slack_card_update-resolved",
    ]


def test_a_declined_rating_stops_the_asking(uow):
    number = claimed(uow)
    handoff.resolve(uow, number, "U_ADA", "Ada Lovelace")
    handoff.decline_rating(uow, number)
    assert handoff.for_conversation(uow, CHAT) is None
    handoff.rate(uow, number, 5)
    assert handoff.get(uow, number).rating is None


@pytest.mark.parametrize("rating", [0, 6, -1, True, 2.5])
def test_a_rating_is_1_to_5(uow, rating):
    number = claimed(uow)
    handoff.resolve(uow, number, "U_ADA", "Ada")
    with pytest.raises(ValueError):
        handoff.rate(uow, number, rating)


def test_a_rating_waits_for_the_resolution(uow):
    number = claimed(uow)
    with pytest.raises(errors.NotResolved):
        handoff.rate(uow, number, 5)


def test_a_second_claimer_is_told_who_has_it(uow):
    number = claimed(uow)
    with pytest.raises(errors.AlreadyClaimed) as refused:
        handoff.claim(uow, number, "U_BOB", "Bob Smith")
    assert refused.value.by_name == "Ada Lovelace"
    again = handoff.claim(uow, number, "U_ADA", "Ada Lovelace")  # the same staff: no-op
    assert again.claimed_by == "U_ADA"
    assert len(queued(uow, "member")) == 1


def test_a_resolved_escalation_cannot_be_claimed_or_resolved_again(uow):
    number = claimed(uow)
    handoff.resolve(uow, number, "U_BOB", "Bob")
    with pytest.raises(errors.AlreadyResolved):
        handoff.claim(uow, number, "U_BOB", "Bob")
    with pytest.raises(errors.AlreadyResolved):
        handoff.resolve(uow, number, "U_ADA", "Ada")


def test_an_unknown_escalation_is_not_found(uow):
    with pytest.raises(errors.NotFound):
        handoff.get(uow, 999)
    with pytest.raises(errors.EscalationNotFound):
        handoff.claim(uow, 999, "U_ADA", "Ada")


def test_two_staff_claiming_at_once_exactly_one_wins(engine, clock, policy):
    sessions = sessionmaker(engine, expire_on_commit=False)
    number = opened(UnitOfWork(sessions, policy, clock))
    start = threading.Barrier(2)
    results: list[object] = []

    def claim(staff_id: str, name: str) -> None:
        start.wait()
        try:
            results.append(
                handoff.claim(UnitOfWork(sessions, policy, clock), number, staff_id, name)
            )
        except errors.AlreadyClaimed as exc:
            results.append(exc)

    threads = [
        threading.Thread(target=claim, args=("U_ADA", "Ada")),
        threading.Thread(target=claim, args=("U_BOB", "Bob")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    [winner] = [r for r in results if isinstance(r, handoff.EscalationView)]
    [loser] = [r for r in results if isinstance(r, errors.AlreadyClaimed)]
    assert loser.by_name == winner.claimed_by_name
    uow = UnitOfWork(sessions, policy, clock)
    assert handoff.get(uow, number).claimed_by == winner.claimed_by
    assert [action for _, action, _ in audit_log(uow)] == ["claim"]


# --- the live relay ------------------------------------------------------------------------


def test_member_messages_go_to_the_thread_once_the_card_is_there(uow):
    number = claimed(uow)
    handoff.relay_to_staff(uow, number, "ho ancora il problema")
    assert handoff.get(uow, number).transcript[-1]["text"] == "ho ancora il problema"
    assert handoff.take_due(uow, ["slack_thread"]) == []  # no card yet: nowhere to reply
    [card] = handoff.take_due(uow, ["slack_card"])
    handoff.delivered(uow, card.id, {"channel": "C_STAFF", "ts": "1700000000.000100"})
    [line] = handoff.take_due(uow, ["slack_thread"])
    assert line.payload == {"text": "ho ancora il problema", "author": "member"}
    assert line.escalation_id == number


def test_a_staff_reply_reaches_the_member_signed_with_the_first_name(uow):
    number = claimed(uow)
    outcome = handoff.relay_to_member(uow, number, "U_ADA", "Ada Lovelace", "Ciao!", "171.01")
    assert outcome == "sent"
    [message] = [p for _, _, p in queued(uow, "member") if p["kind"] == "staff_message"]
    assert message == {
        "kind": "staff_message",
        "params": {"name": "Ada", "text": "Ciao!"},
        "language": "it",
    }
    line = handoff.get(uow, number).transcript[-1]
    assert (line["who"], line["text"], line["name"], line["internal"]) == (
        "staff",
        "Ciao!",
        "Ada",
        False,
    )


def test_a_repeated_event_id_is_relayed_once(uow):
    number = claimed(uow)
    assert handoff.relay_to_member(uow, number, "U_ADA", "Ada", "Ciao!", "171.01") == "sent"
    assert handoff.relay_to_member(uow, number, "U_ADA", "Ada", "Ciao!", "171.01") == "duplicate"
    assert len([p for _, _, p in queued(uow, "member") if p["kind"] == "staff_message"]) == 1


def test_a_note_stays_internal_and_is_audited(uow):
    number = claimed(uow)
    outcome = handoff.relay_to_member(uow, number, "U_ADA", "Ada", "NOTE: check serial", "171.02")
    assert outcome == "note"
    line = handoff.get(uow, number).transcript[-1]
    assert (line["text"], line["internal"]) == ("NOTE: check serial", True)
    assert not [p for _, _, p in queued(uow, "member") if p["kind"] == "staff_message"]
    assert audit_log(uow)[-1] == ("U_ADA", "note", f"escalation:{number}")


def test_replies_reach_the_member_only_while_claimed(uow):
    number = opened(uow)
    assert handoff.relay_to_member(uow, number, "U_ADA", "Ada", "hello?", "171.03") == "not_live"
    handoff.resolve(uow, number, "U_ADA", "Ada")
    assert handoff.relay_to_member(uow, number, "U_ADA", "Ada", "bye", "171.04") == "not_live"
    assert not [p for _, _, p in queued(uow, "member") if p["kind"] == "staff_message"]


def test_staff_actions_are_audited(uow):
    number = claimed(uow)
    handoff.relay_to_member(uow, number, "U_ADA", "Ada", "Ciao!", "171.05")
    handoff.resolve(uow, number, "U_BOB", "Bob")
    target = f"escalation:{number}"
    assert audit_log(uow) == [
        ("U_ADA", "claim", target),
        ("U_ADA", "reply", target),
        ("U_BOB", "resolve", target),
    ]


# --- SLA reminders -------------------------------------------------------------------------


def test_an_unclaimed_escalation_past_the_sla_is_reminded_once(uow, clock):
    number = opened(uow)
    sla = timedelta(minutes=15)
    clock.advance(minutes=14)
    assert handoff.overdue_unclaimed(uow, sla) == []
    clock.advance(minutes=1)
    assert [v.id for v in handoff.overdue_unclaimed(uow, sla)] == [number]

    handoff.mark_reminded(uow, number)
    handoff.mark_reminded(uow, number)
    assert handoff.overdue_unclaimed(uow, sla) == []
    assert handoff.get(uow, number).reminded_at == clock.now()
    assert [(t, p) for t, _, p in queued(uow) if t in ("slack_reminder", "member")] == [
        ("slack_reminder", {}),
        ("member", {"kind": "still_waiting", "params": {}, "language": "it"}),
    ]


def test_claimed_escalations_are_never_overdue(uow, clock):
    claimed(uow)
    clock.advance(hours=3)
    assert handoff.overdue_unclaimed(uow, timedelta(minutes=15)) == []


def test_the_queue_lists_open_and_claimed_oldest_first(uow, clock):
    first = opened(uow, None, "telegram:1")
    clock.advance(minutes=1)
    second = claimed(uow, new_member(uow))
    clock.advance(minutes=1)
    done = opened(uow, None, "telegram:3")
    handoff.resolve(uow, done, "U_ADA", "Ada")
    assert [(v.id, v.status) for v in handoff.queue(uow)] == [
        (first, "open"),
        (second, "claimed"),
    ]


# --- the helpdesk --------------------------------------------------------------------------


def test_a_helpdesk_update_is_taken_once(uow):
    number = opened(uow)
    assert handoff.helpdesk_update(uow, "evt-1", number, "in_progress", "HD-77") is True
    assert handoff.helpdesk_update(uow, "evt-1", number, "in_progress", "HD-77") is False
    view = handoff.get(uow, number)
    assert (view.helpdesk_status, view.helpdesk_ticket) == ("in_progress", "HD-77")
    assert len(queued(uow, "slack_card_update")) == 1
    assert audit_log(uow) == [("helpdesk", "helpdesk_update", f"escalation:{number}")]


def test_a_delivered_ticket_number_is_kept(uow):
    number = opened(uow)
    [ticket] = handoff.take_due(uow, ["helpdesk"])
    assert ticket.idempotency_key == f"escalation-{number}-helpdesk"
    handoff.delivered(uow, ticket.id, {"ticket": "HD-9"})
    assert handoff.get(uow, number).helpdesk_ticket == "HD-9"


# --- the deliveries outbox -----------------------------------------------------------------


def test_a_posted_card_is_found_by_channel_and_ts(uow):
    number = opened(uow)
    [card] = handoff.take_due(uow, ["slack_card"])
    handoff.delivered(uow, card.id, {"channel": "C_STAFF", "ts": "1700000000.000100"})
    handoff.delivered(uow, card.id, {"channel": "C_OTHER", "ts": "1"})  # a repeat changes nothing
    assert handoff.find_by_card(uow, "C_STAFF", "1700000000.000100").id == number
    assert handoff.find_by_card(uow, "C_STAFF", "1") is None
    assert handoff.pending(uow, "slack_card") == 0
    assert handoff.pending(uow) == 1  # the helpdesk ticket


def test_card_posted_records_where_the_card_is(uow):
    number = opened(uow)
    handoff.card_posted(uow, number, "C_STAFF", "1700000000.000200")
    view = handoff.get(uow, number)
    assert (view.card_channel, view.card_ts) == ("C_STAFF", "1700000000.000200")


def test_failures_back_off_exponentially_up_to_the_maximum(uow, clock):
    opened(uow)
    [card] = handoff.take_due(uow, ["slack_card"])
    delays = []
    for _ in range(6):
        due = handoff.failed(uow, card.id, "HTTP 503", backoff=1.0, backoff_max=10.0)
        delays.append((due - clock.now()).total_seconds())
        clock.current = due
        [card] = handoff.take_due(uow, ["slack_card"])
    assert delays == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    assert card.attempts == 6


def test_retry_after_is_honoured_and_nothing_is_taken_before_it(uow, clock):
    opened(uow)
    [card] = handoff.take_due(uow, ["slack_card"])
    due = handoff.failed(uow, card.id, "HTTP 429", retry_after=30, backoff=1.0)
    assert due == clock.now() + timedelta(seconds=30)
    clock.advance(seconds=29)
    assert handoff.take_due(uow, ["slack_card"]) == []
    clock.advance(seconds=1)
    assert [d.id for d in handoff.take_due(uow, ["slack_card"])] == [card.id]


def test_an_error_is_kept_short(uow):
    opened(uow)
    [card] = handoff.take_due(uow, ["slack_card"])
    handoff.failed(uow, card.id, "x" * 5000)
    with uow:
        assert len(uow.session.get(DeliveryRow, card.id).last_error) == 200


def test_the_member_is_told_once_when_staff_cannot_be_reached(uow, clock):
    number = opened(uow)
    for _ in range(3):
        [card] = handoff.take_due(uow, ["slack_card"])
        clock.current = handoff.failed(uow, card.id, "connection refused")
    assert queued(uow, "member") == [
        (
            "member",
            f"escalation-{number}-member-staff_unreachable",
            {"kind": "staff_unreachable", "params": {}, "language": "it"},
        )
    ]


def test_a_taken_delivery_is_leased_until_it_is_reported(uow, clock):
    opened(uow)
    [card] = handoff.take_due(uow, ["slack_card"])
    assert handoff.take_due(uow, ["slack_card"]) == []  # another worker does not get it
    clock.advance(seconds=61)  # the first worker died: it is taken again
    assert [d.id for d in handoff.take_due(uow, ["slack_card"])] == [card.id]


def test_take_due_is_oldest_first_and_filters_by_chat_prefix(uow, clock):
    for chat in ("telegram:1", "console:2", "telegram:3"):
        handoff.claim(uow, opened(uow, None, chat), "U_ADA", "Ada")
        clock.advance(seconds=1)
    taken = handoff.take_due(uow, ["member"], key_prefix="telegram:")
    assert [(d.conversation_key, d.payload["kind"]) for d in taken] == [
        ("telegram:1", "claimed"),
        ("telegram:3", "claimed"),
    ]
    [console] = handoff.take_due(uow, ["member"])
    assert console.conversation_key == "console:2"
    assert handoff.take_due(uow, ["member"], limit=5) == []


def test_take_due_respects_the_limit(uow):
    for chat in ("telegram:1", "telegram:2", "telegram:3"):
        opened(uow, None, chat)
    assert len(handoff.take_due(uow, ["slack_card", "helpdesk"], limit=4)) == 4
    assert len(handoff.take_due(uow, ["slack_card", "helpdesk"], limit=4)) == 2


def test_two_workers_never_take_the_same_delivery(engine, clock, policy):
    sessions = sessionmaker(engine, expire_on_commit=False)
    for n in range(5):
        opened(UnitOfWork(sessions, policy, clock), None, f"telegram:{n}")
    start = threading.Barrier(2)
    taken: list[list[int]] = []

    def work() -> None:
        start.wait()
        due = handoff.take_due(UnitOfWork(sessions, policy, clock), ["slack_card", "helpdesk"])
        taken.append([d.id for d in due])

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    every = [i for ids in taken for i in ids]
    assert len(every) == len(set(every)) == 10


def test_a_missing_delivery_is_not_found(uow):
    with pytest.raises(errors.NotFound):
        handoff.delivered(uow, 999)


def test_asking_again_many_times_keeps_working_and_adds_only_new_lines(uow):
    email = new_member(uow)
    chat = [{"who": "member", "text": "help"}, {"who": "bot", "text": "handoff.ask_reason"}]
    first = legacy_open(uow, email, "member_request", list(chat))
    for n in range(15):  # each request carries the chat's recent lines, old ones included
        chat = [*chat, {"who": "member", "text": f"again {n}"}][-40:]
        assert legacy_open(uow, email, "member_request", list(chat)) == first
    kept = [line["text"] for line in handoff.get(uow, first).transcript]
    assert kept == ["help", "handoff.ask_reason", *(f"again {n}" for n in range(15))]
