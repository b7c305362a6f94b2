"""What a turn records for the report (the events table), on SQLite and PostgreSQL: how a
flow ended (completed, declined at its confirmation, cancelled, left unfinished), an
answer given in a digression, a turn counted once however often its event comes, nothing
left by a turn that failed, a message not understood kept only redacted; and the figures
that stay when a chat is forgotten or its events pass retention."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from bot.bootstrap import App, bootstrap, build_dialogue
from bot.domain.models import Event
from bot.domain.services import privacy
from bot.domain.services.analytics import build_report
from bot.domain.services.privacy_chat import forget_chat
from bot.flows.messages import Turn
from bot.seed import load_demo_members
from bot.settings import load_settings
from tests.conftest import DATA_DIR
from tests.flows.harness import Chat
from tests.support import START, FixedClock

DAY = START.date()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def app(request: pytest.FixtureRequest, clock: FixedClock) -> Iterator[App]:
    if request.param == "sqlite":
        url = request.getfixturevalue("database_url")
        bot_app = bootstrap(load_settings(database_url=url), clock=clock)
    else:
        request.getfixturevalue("postgresql_engine")  # member tables emptied
        url = request.getfixturevalue("postgres_url")
        bot_app = bootstrap(load_settings(database_url=url), clock=clock)
        load_demo_members(bot_app.uow(), DATA_DIR)
    yield bot_app
    bot_app.close()


@pytest.fixture
def chat(app: App, embedded):  # type: ignore[no-untyped-def]
    engine = build_dialogue(app, embedded)

    def open_chat(email: str, chat_id: str) -> Chat:
        conversation = Chat(engine, chat_id=chat_id)
        engine.link(conversation.key, email, "en")
        return conversation

    return open_chat


def figures(app: App) -> dict:  # type: ignore[type-arg]
    return build_report(app.uow(), DAY, DAY)["overall"]


def events(app: App) -> list[Event]:
    with app.uow() as uow:
        return list(uow.session.scalars(select(Event).order_by(Event.id)))


async def test_each_way_a_flow_ends_is_counted(app, chat) -> None:  # type: ignore[no-untyped-def]
    pierre = chat("pierre.martin@example.com", "pierre")
    assert (await pierre.say("reset my password")).keys == ["password.offer_reset"]
    await pierre.press("no")  # declined at its confirmation
    await pierre.say("I want to register a product")
    await pierre.say("cancel")  # cancelled
    await pierre.say("I want to register a product")
    await pierre.tap("flow:points")  # left for another goal from the menu: points, done
    await pierre.say("I want to register a product")  # and left waiting: unfinished
    flows = figures(app)["flows"]
    assert flows["password"] == {
        "started": 1, "completed": 0, "declined": 1, "cancelled": 0, "unfinished": 0
    }  # fmt: skip
    assert flows["register_product"] == {
        "started": 3, "completed": 0, "declined": 0, "cancelled": 2, "unfinished": 1
    }  # fmt: skip
    assert flows["points"]["completed"] == 1
    assert figures(app)["containment"] == {
        "contained": 1,  # the points were a goal reached
        "rate": 1.0,
        "handed_off": 0,
        "handoff_rate": 0.0,
        "by_reason": dict.fromkeys(
            ("member_request", "no_migration", "misunderstood", "staff_unreachable", "other"), 0
        ),
        "unresolved": 0,
    }


async def test_an_answer_in_a_digression_counts_and_the_flow_goes_on(app, chat) -> None:  # type: ignore[no-untyped-def]
    emma = chat("emma.clark@example.com", "emma")
    await emma.say("I want to register a product")
    said = await emma.say("how many points do I have?")
    assert "common.back_to_flow" in said.keys  # the flow goes on
    flows = figures(app)["flows"]
    assert flows["points"]["started"] == flows["points"]["completed"] == 1
    assert flows["register_product"]["started"] == 1
    assert flows["register_product"]["unfinished"] == 1  # not ended by the digression


async def test_an_event_delivered_twice_counts_once(app, chat) -> None:  # type: ignore[no-untyped-def]
    emma = chat("emma.clark@example.com", "emma")
    turn = Turn("test", "emma", text="how many points do I have?", event_id="once")
    assert await emma.engine.handle(turn)
    assert await emma.engine.handle(turn) == []  # a retry of the same update
    assert figures(app)["turns"] == 1
    assert figures(app)["flows"]["points"]["started"] == 1


async def test_a_turn_that_fails_leaves_no_number(app, chat, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    emma = chat("emma.clark@example.com", "emma")
    points = emma.engine.flows.get("points")

    def broken(ctx):  # type: ignore[no-untyped-def]
        ctx.mark("milestone", "half_done")
        raise RuntimeError("the database went away mid-turn")

    monkeypatch.setattr(points, "start", broken)
    with pytest.raises(RuntimeError):
        await emma.say("how many points do I have?")
    assert events(app) == []


async def test_a_message_not_understood_is_kept_redacted(app, chat) -> None:  # type: ignore[no-untyped-def]
    emma = chat("emma.clark@example.com", "emma")
    await emma.say("blorp mario.rossi@example.com +39 333 123 4567 zzkq")
    [missed] = figures(app)["fallback"]["top"]
    assert "mario" not in missed["text"] and "333" not in missed["text"]
    assert missed["text"].startswith("blorp") and missed["text"].endswith("zzkq")


async def test_a_forgotten_chat_keeps_its_figures_without_its_words(app, chat, clock) -> None:  # type: ignore[no-untyped-def]
    emma = chat("emma.clark@example.com", "emma")
    await emma.say("blorp zzkq")
    await emma.say("how many points do I have?")
    before = figures(app)
    forget_chat(app.uow(), emma.key)
    after = figures(app)
    assert after["conversations"] == before["conversations"] == 1
    assert after["fallback"]["not_understood"] == 1 and after["fallback"]["top"] == []
    assert after["containment"] == before["containment"]
    assert after["funnel"][0]["members"] == 0  # no longer tied to the member
    kept = events(app)
    assert {e.conversation_key for e in kept} != {emma.key}
    assert len({e.conversation_key for e in kept}) == 1  # still one conversation
    assert all(e.text is None and e.account_id is None for e in kept)


async def test_past_retention_events_lose_their_text_and_chat(app, chat, clock) -> None:  # type: ignore[no-untyped-def]
    emma = chat("emma.clark@example.com", "emma")
    await emma.say("blorp zzkq")
    clock.advance(days=app.settings.retention_days + 1)
    assert privacy.purge_now(app.uow())["events"] == 1
    [old] = events(app)
    assert old.text is None and old.conversation_key != emma.key
    assert old.account_id is not None  # the member's journey still counts
    report = build_report(app.uow(), DAY, DAY)["overall"]
    assert report["fallback"]["not_understood"] == 1 and report["conversations"] == 1
    assert privacy.purge_now(app.uow())["events"] == 0  # once is enough


async def test_the_welcome_checklist_is_no_goal_reached(app, chat) -> None:  # type: ignore[no-untyped-def]
    giulia = chat("giulia.rossi@example.com", "giulia")
    assert "next_steps.welcome" in (await giulia.say("/start")).keys
    shown = figures(app)
    assert shown["flows"] == {} and shown["containment"]["unresolved"] == 1
    assert "next_steps.list" in (await giulia.say("what do I still need to do?")).keys
    asked = figures(app)
    assert asked["flows"]["next_steps"]["completed"] == 1  # asked for: an answer
    assert asked["containment"]["contained"] == 1
