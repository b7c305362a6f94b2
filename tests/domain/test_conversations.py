"""Chat state: saved with a version check, each event id taken once, the member linked."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import sessionmaker

from bot.bootstrap import make_chat_engine
from bot.domain.services.conversations import (
    forget_conversation,
    load_conversation,
    save_conversation,
)
from bot.domain.unit_of_work import UnitOfWork
from tests.domain.builders import new_member


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgresql", marks=pytest.mark.postgres),
        pytest.param("postgresql, chat-state pool", marks=pytest.mark.postgres),
    ]
)
def uow(request, clock, policy):
    """Chat state on SQLite, on PostgreSQL through the domain's engine, and through
    bootstrap's own PostgreSQL pool (autocommit, one statement per load and save)."""
    database, _, pool = request.param.partition(", ")
    engine = request.getfixturevalue(f"{database}_engine")
    chat_engine = None
    if pool:
        chat_engine = make_chat_engine(engine.url.render_as_string(hide_password=False))
    sessions = sessionmaker(engine, expire_on_commit=False)
    yield UnitOfWork(sessions, policy=policy, clock=clock, chat_engine=chat_engine)
    if chat_engine is not None:
        chat_engine.dispose()


def test_a_new_chat_starts_empty_and_is_saved_with_its_member(uow):
    new_member(uow, "anna@example.com")
    fresh = load_conversation(uow, "test:1", "e1")
    assert fresh is not None and fresh.version == 0 and fresh.state == {}
    fresh.email, fresh.language, fresh.state = "anna@example.com", "it", {"flow": "points"}
    assert save_conversation(uow, fresh, "e1")

    again = load_conversation(uow, "test:1", "e2")
    assert again is not None
    assert (again.email, again.language, again.state) == (
        "anna@example.com",
        "it",
        {"flow": "points"},
    )
    assert again.version == 1 and again.account_id is not None


def test_an_event_handled_once_is_not_handled_again(uow):
    conversation = load_conversation(uow, "test:1", "e1")
    assert conversation is not None and save_conversation(uow, conversation, "e1")
    assert load_conversation(uow, "test:1", "e1") is None  # a retried delivery
    replayed = load_conversation(uow, "test:1", "e2")
    assert replayed is not None
    assert not save_conversation(uow, replayed, "e1")  # the same event saved by another worker
    assert load_conversation(uow, "test:1", "e2").version == 1  # nothing of it was kept


def test_a_save_based_on_a_stale_version_is_refused_and_changes_nothing(uow):
    first = load_conversation(uow, "test:1", "e1")
    assert save_conversation(uow, first, "e1")
    mine = load_conversation(uow, "test:1", "e2")
    theirs = load_conversation(uow, "test:1", "e3")
    theirs.state = {"flow": "theirs"}
    assert save_conversation(uow, theirs, "e3")
    mine.state = {"flow": "mine"}
    assert not save_conversation(uow, mine, "e2")
    assert load_conversation(uow, "test:1", "e2").state == {"flow": "theirs"}  # e2 not taken


def test_two_first_saves_of_one_chat_keep_one(uow):
    one, two = load_conversation(uow, "test:1", "a"), load_conversation(uow, "test:1", "b")
    one.state, two.state = {"n": 1}, {"n": 2}
    assert save_conversation(uow, one, "a")
    assert not save_conversation(uow, two, "b")
    assert load_conversation(uow, "test:1").state == {"n": 1}


def test_unlinking_a_chat_forgets_its_member_and_forget_erases_everything(uow):
    new_member(uow, "anna@example.com")
    conversation = load_conversation(uow, "test:1", "e1")
    conversation.email = "anna@example.com"
    assert save_conversation(uow, conversation, "e1")
    linked = load_conversation(uow, "test:1")
    linked.email = None
    assert save_conversation(uow, linked)
    unlinked = load_conversation(uow, "test:1")
    assert unlinked.email is None and unlinked.account_id is None

    forget_conversation(uow, "test:1")
    assert load_conversation(uow, "test:1", "e1").version == 0  # its event ids went too


def test_a_turn_that_only_read_domain_data_is_not_a_change_one_that_wrote_is(uow):
    """A turn that changed nothing of the domain commits without waiting for the disk on
    PostgreSQL (its event, stored durably, is handled again after a server crash); one
    that changed something waits."""
    from bot.domain.services.member_state import member_state
    from bot.domain.services.turns import open_turn

    new_member(uow, "anna@example.com")
    with open_turn(uow, "telegram:1", "telegram", "1") as turn:
        member_state(turn.use_case_uow(), "anna@example.com")
        assert not turn.uow.used_domain
        turn.commit()
    with open_turn(uow, "telegram:1", "telegram", "2") as turn:
        new_member(turn.use_case_uow(), "bruno@example.com")
        assert turn.uow.used_domain
        turn.commit()
