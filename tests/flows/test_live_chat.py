"""A person takes the chat: the bot pauses and relays, then asks for a 1-5 rating (R14)."""

from __future__ import annotations

from bot.domain.services import handoff
from bot.flows.i18n import default_catalogs
from bot.flows.notices import notice_replies
from bot.handlers.console import ConsoleChat


def _member_notices(app, key):
    """What the chat's delivery worker sends now (and marks delivered, as it would)."""
    due = handoff.take_due(app.uow(), ["member"], key_prefix=key)
    for delivery in due:
        handoff.delivered(app.uow(), delivery.id)
    return [d.payload for d in due]


def _thread_lines(app, escalation_id):
    handoff.card_posted(app.uow(), escalation_id, "C-STAFF", f"{escalation_id}.000")
    due = handoff.take_due(app.uow(), ["slack_thread"])
    return [d.payload["text"] for d in due if d.escalation_id == escalation_id]


async def test_claimed_chat_is_relayed_and_the_rating_is_stored(app, chat):
    emma = chat("emma.clark@example.com")
    said = await emma.say("I want to talk to a person")
    said = await emma.press("Skip")
    assert said.keys == ["handoff.opened"]
    [open_one] = handoff.queue(app.uow())
    assert open_one.conversation_key == emma.key and open_one.language == "en"
    assert open_one.context["points"] == 400  # the member's context travels with it

    # not claimed yet: the bot keeps helping
    said = await emma.say("how many points do I have?")
    assert said.keys[0].startswith("points.")

    handoff.claim(app.uow(), open_one.id, "U1", "Chiara Neri")
    said = await emma.say("my R8 shows an error E01")
    assert said.replies == []  # the bot is quiet: the person answers
    assert "my R8 shows an error E01" in _thread_lines(app, open_one.id)
    said = await emma.say("how many points do I have?")
    assert said.replies == []  # even a question the bot knows goes to the person

    assert handoff.relay_to_member(
        app.uow(), open_one.id, "U1", "Chiara Neri", "Try a reset", "1.1"
    )
    assert {
        "kind": "staff_message",
        "params": {"name": "Chiara", "text": "Try a reset"},
        "language": "en",
    } in (_member_notices(app, emma.key))

    handoff.resolve(app.uow(), open_one.id, "U1", "Chiara Neri")
    [rating] = notice_replies({"kind": "resolved", "params": {}})
    assert [b.payload for b in rating.buttons] == [f"rate:{n}" for n in range(1, 6)]
    said = await emma.tap("rate:4")
    assert said.keys == ["handoff.thanks_for_rating"] and "4 out of 5" in said.text
    assert handoff.get(app.uow(), open_one.id).rating == 4

    said = await emma.say("how many points do I have?")  # the bot is back
    assert said.keys[0].startswith("points.")


async def test_a_typed_mark_counts_and_anything_else_declines_the_rating(app, chat):
    giulia = chat("giulia.rossi@example.com", chat_id="giulia")
    await giulia.say("voglio parlare con una persona")
    await giulia.say("non riesco a collegare il vecchio account")
    [first] = handoff.queue(app.uow())
    handoff.claim(app.uow(), first.id, "U1", "Chiara Neri")
    handoff.resolve(app.uow(), first.id, "U1", "Chiara Neri")
    said = await giulia.say("5 stelle")
    assert "5 su 5" in said.text
    assert handoff.get(app.uow(), first.id).rating == 5

    sofia = chat("sofia.conti@example.com", chat_id="sofia")
    await sofia.say("voglio parlare con una persona")
    await sofia.press("Salta")
    [second] = handoff.queue(app.uow())
    handoff.claim(app.uow(), second.id, "U2", "Luca Verdi")
    handoff.resolve(app.uow(), second.id, "U2", "Luca Verdi")
    said = await sofia.say("quanti punti ho?")  # no mark: the bot just answers
    assert said.keys[0].startswith("points.")
    assert handoff.get(app.uow(), second.id).rating is None
    assert handoff.for_conversation(app.uow(), sofia.key) is None


async def test_a_password_typed_during_a_live_chat_is_not_relayed(app, chat):
    emma = chat("emma.clark@example.com")
    await emma.say("talk to a person")
    await emma.press("Skip")
    [escalation] = handoff.queue(app.uow())
    handoff.claim(app.uow(), escalation.id, "U1", "Chiara Neri")
    said = await emma.say("Tr0ub4dor&3xyz")
    assert said.keys == ["common.password_warning"]
    assert not any("Tr0ub4dor" in line for line in _thread_lines(app, escalation.id))


async def test_cancel_leaves_the_live_chat_and_the_bot_answers_again(app, chat):
    emma = chat("emma.clark@example.com")
    await emma.say("talk to a person")
    await emma.press("Skip")
    [escalation] = handoff.queue(app.uow())
    handoff.claim(app.uow(), escalation.id, "U1", "Chiara Neri")
    [claimed] = notice_replies({"kind": "claimed", "params": {"name": "Chiara"}})
    assert [b.payload for b in claimed.buttons] == ["cmd:cancel"]  # "Leave the live chat"

    said = await emma.tap("cmd:cancel")
    assert said.keys == ["handoff.left_live_chat"] and "with Chiara" in said.text
    assert any("left the live chat" in line for line in _thread_lines(app, escalation.id))
    said = await emma.say("how many points do I have?")
    assert said.keys[0].startswith("points.")  # the bot again, not the thread


async def test_the_console_shows_what_the_person_writes(app, engine):
    printed: list[str] = []
    console = ConsoleChat(engine, default_catalogs(), "emma", printed.append)
    engine.link(console.key, "emma.clark@example.com")
    await console.send("I want to talk to a person")
    await console.send("my R8 does not switch on")
    [escalation] = handoff.queue(app.uow())
    handoff.claim(app.uow(), escalation.id, "U1", "Chiara Neri")
    handoff.relay_to_member(app.uow(), escalation.id, "U1", "Chiara Neri", "Charge it first", "t1")
    await console.send("hello?")
    assert "bot> Chiara (CPS priority support): Charge it first" in printed
    assert printed.index("bot> Chiara (CPS priority support): Charge it first") > printed.index(
        next(line for line in printed if "Chiara from CPS priority support" in line)
    )
