"""What the YAML scenarios cannot show: restarts, repeated events, forgetting, PostgreSQL."""

from __future__ import annotations

import asyncio
from collections import defaultdict

import pytest

from bot.bootstrap import bootstrap, build_dialogue
from bot.domain.services.conversations import load_conversation
from bot.domain.services.member_state import member_state
from bot.flows.messages import Turn
from bot.nlu.result import ParseResult
from bot.seed import load_demo_members
from bot.settings import load_settings
from tests.conftest import DATA_DIR
from tests.flows.harness import Chat


async def test_a_restart_in_the_middle_of_a_flow_loses_nothing(database_url, clock, embedded):
    first = bootstrap(load_settings(database_url=database_url), clock=clock)
    engine = build_dialogue(first, embedded)
    chat = Chat(engine, chat_id="giulia")
    engine.link(chat.key, "giulia.rossi@example.com")
    assert (await chat.say("come imposto la password?")).keys == ["password.offer_set"]
    first.close()  # the process stops here

    second = bootstrap(load_settings(database_url=database_url), clock=clock)
    restarted = Chat(build_dialogue(second, embedded), chat_id="giulia")
    said = await restarted.say("sì")
    assert said.keys == ["password.sent"]
    second.close()


async def test_a_repeated_event_is_answered_once(engine, app):
    engine.link("test:emma", "emma.clark@example.com")
    turn = Turn("test", "emma", text="reset my password", event_id="update-41")
    assert [r.key for r in await engine.handle(turn)] == ["password.offer_reset"]
    assert await engine.handle(turn) == []
    yes = Turn("test", "emma", text="yes", event_id="update-42")
    assert [r.key for r in await engine.handle(yes)] == ["password.sent"]
    assert await engine.handle(yes) == []


async def test_state_lives_in_the_database_and_can_be_forgotten(engine, app):
    engine.link("test:lukas", "lukas.weber@example.com")
    await engine.handle(Turn("test", "lukas", text="reset my password", event_id="1"))
    saved = load_conversation(app.uow(), "test:lukas")
    assert (saved.state["flow"], saved.state["step"]) == ("password", "confirm")
    assert saved.email == "lukas.weber@example.com"
    engine.forget("test:lukas")
    assert load_conversation(app.uow(), "test:lukas").state == {}


async def test_the_transcript_never_keeps_a_typed_password(engine, app):
    engine.link("test:emma", "emma.clark@example.com")
    replies = await engine.handle(Turn("test", "emma", text="Xk9$mq2LzQ", event_id="1"))
    assert replies[0].delete_user_message
    transcript = load_conversation(app.uow(), "test:emma").state["transcript"]
    assert "Xk9$mq2LzQ" not in str(transcript)


async def test_unknown_buttons_and_huge_messages_are_answered_kindly(engine):
    engine.link("test:sofia", "sofia.conti@example.com")
    odd = await engine.handle(Turn("test", "sofia", payload="level:'; DROP", event_id="1"))
    assert [r.key for r in odd][:1] == ["level_choice.unknown"]  # reopened, bad value refused
    junk = await engine.handle(Turn("test", "sofia", payload="zz:\x00", event_id="3"))
    assert junk and junk[0].key.startswith("common.")
    huge = await engine.handle(Turn("test", "sofia", text="ciao " * 800, event_id="2"))
    assert huge and huge[0].key.startswith("common.")


async def soon(event: asyncio.Event) -> None:
    """Waits for `event`; a broken engine fails the test instead of hanging it."""
    await asyncio.wait_for(event.wait(), 10)


class Recording:
    """The embedded parser, noting whose text it reads; `local` as a server's parser would say."""

    def __init__(self, inner, events: list[str], local: bool = True) -> None:  # type: ignore[no-untyped-def]
        self.inner, self.events, self.local = inner, events, local
        self.hold: dict[str, asyncio.Event] = {}
        self.started: defaultdict[str, asyncio.Event] = defaultdict(asyncio.Event)
        self.finished: defaultdict[str, asyncio.Event] = defaultdict(asyncio.Event)

    async def parse(self, text: str, language: str | None = None) -> ParseResult:
        self.events.append(f"read {text}")
        self.started[text].set()
        if text in self.hold:  # a server that takes its time over this text
            await self.hold[text].wait()
        self.finished[text].set()
        return await self.inner.parse(text, language)

    async def aclose(self) -> None:
        return None


async def test_when_many_chats_write_at_once_answers_leave_in_arrival_order(app, embedded):
    """Each member's answer is ready before the next member's message is worked on, so the
    first does not wait for everybody's turn (as it would if the turns took turns)."""
    events: list[str] = []
    engine = build_dialogue(app, Recording(embedded, events))
    members = ["emma", "lukas", "pierre", "sofia"]

    async def member(name: str) -> None:
        await engine.handle(Turn("test", name, text=f"hello from {name}", event_id=name))
        events.append(f"answer {name}")

    await asyncio.gather(*(member(name) for name in members))
    assert events == [e for name in members for e in (f"read hello from {name}", f"answer {name}")]


async def test_a_slow_nlu_server_does_not_hold_up_other_chats(app, embedded):
    events: list[str] = []
    server = Recording(embedded, events, local=False)
    server.hold["how many points do I have?"] = asyncio.Event()
    engine = build_dialogue(app, server)
    engine.link("test:emma", "emma.clark@example.com")
    engine.link("test:lukas", "lukas.weber@example.com")
    slow = asyncio.ensure_future(
        engine.handle(Turn("test", "emma", text="how many points do I have?", event_id="1"))
    )
    lukas = await asyncio.wait_for(
        engine.handle(Turn("test", "lukas", text="reset my password", event_id="2")), 10
    )
    assert [r.key for r in lukas] == ["password.offer_reset"] and not slow.done()
    server.hold["how many points do I have?"].set()
    assert any("points" in r.key for r in await slow)


async def test_a_turn_cancelled_while_queueing_for_the_loop_leaves_the_others_in_order(
    app, embedded
):
    """Emma's NLU server answers while Lukas's turn holds the loop; Emma's turn is then
    cancelled (a shutdown). Pierre must still wait for Lukas, not slip in beside him."""
    emma_text, lukas_text = "how many points do I have?", "reset my password"
    parser = Recording(embedded, [], local=False)
    parser.hold = {emma_text: asyncio.Event(), lukas_text: asyncio.Event()}
    engine = build_dialogue(app, parser)
    emma = asyncio.ensure_future(engine.handle(Turn("test", "emma", text=emma_text, event_id="1")))
    await soon(parser.started[emma_text])  # Emma's server is working: the loop is free
    parser.local = True  # Lukas's parser reads in-process, keeping the loop for his turn
    lukas = asyncio.ensure_future(
        engine.handle(Turn("test", "lukas", text=lukas_text, event_id="2"))
    )
    await soon(parser.started[lukas_text])
    parser.hold[emma_text].set()
    await soon(parser.finished[emma_text])  # Emma now queues behind Lukas
    emma.cancel()
    pierre = asyncio.ensure_future(
        engine.handle(Turn("test", "pierre", payload="cmd:help", event_id="3"))
    )
    for _ in range(50):  # many turns of the loop: enough for Pierre's turn, were he let in
        await asyncio.sleep(0)
    assert not pierre.done()
    parser.hold[lukas_text].set()
    assert await lukas and await pierre
    with pytest.raises(asyncio.CancelledError):
        await emma


@pytest.mark.postgres
async def test_the_same_flow_on_postgresql(postgresql_engine, postgres_url, clock, embedded):
    app = bootstrap(load_settings(database_url=postgres_url), clock=clock)
    load_demo_members(app.uow(), DATA_DIR)
    chat = Chat(build_dialogue(app, embedded), chat_id="pierre")
    chat.engine.link(chat.key, "pierre.martin@example.com", "en")
    assert "1,200 points" in (await chat.say("how many points do I have?")).text
    assert (await chat.say("reset my password")).keys == ["password.offer_reset"]
    app.close()
    again = bootstrap(load_settings(database_url=postgres_url), clock=clock)
    restarted = Chat(build_dialogue(again, embedded), chat_id="pierre")
    assert (await restarted.say("yes")).keys == ["password.sent"]
    assert member_state(again.uow(), "pierre.martin@example.com")["points"] == 1200
    again.close()
