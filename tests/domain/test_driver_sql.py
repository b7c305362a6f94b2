"""PostgreSQL's hot paths on the driver's own connection give what SQLAlchemy gives."""

from __future__ import annotations

from contextlib import ExitStack
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import sessionmaker

from bot.bootstrap import make_chat_engine
from bot.domain.models import BusinessAccount, Conversation
from bot.domain.services import points, products
from bot.domain.services.conversations import load_conversation, save_conversation
from bot.domain.types import InvitationStatus, PasswordState
from bot.domain.unit_of_work import UnitOfWork
from tests.domain.builders import catalogue_item, complete, give_points, new_member

pytestmark = pytest.mark.postgres


@pytest.fixture
def both(postgresql_engine, clock, policy):
    """The same database through SQLAlchemy's connection, and through the chat-state pool."""
    url = postgresql_engine.url.render_as_string(hide_password=False)
    chat_engine = make_chat_engine(url)
    sessions = sessionmaker(postgresql_engine, expire_on_commit=False)
    plain = UnitOfWork(sessions, policy=policy, clock=clock)
    driver = UnitOfWork(sessions, policy=policy, clock=clock, chat_engine=chat_engine)
    yield plain, driver
    chat_engine.dispose()


def test_the_points_summary_is_the_same_either_way(both):
    plain, driver = both
    email = new_member(plain)
    give_points(plain, email, 499)
    products.register_product(plain, email, catalogue_item(plain, 1), complete())
    products.register_product(plain, email, "eos-r8", complete(dealer=None))
    summary = points.points_summary(driver, email)
    assert summary == points.points_summary(plain, email)
    assert summary.invitation is InvitationStatus.SENT
    assert len(summary.products) == 3


def test_chat_state_saved_on_the_driver_reads_back_through_sqlalchemy(both, clock):
    plain, driver = both
    new_member(plain, "anna@example.com")
    conversation = load_conversation(driver, "test:1", "e1")
    conversation.email, conversation.state = "anna@example.com", {"flow": "points", "n": [1, 2]}
    assert save_conversation(driver, conversation, "e1")
    assert load_conversation(plain, "test:1", "e2").state == {"flow": "points", "n": [1, 2]}
    with plain:
        saved = plain.session.scalars(select(Conversation)).one()
    assert saved.updated_at == clock.now().astimezone(UTC)  # stored as naive UTC, read aware
    assert saved.updated_at.tzinfo is UTC and isinstance(saved.updated_at, datetime)


def test_after_the_server_restarts_one_turn_fails_then_the_pool_starts_afresh(both):
    plain, driver = both
    assert load_conversation(driver, "test:anna", "e1") is not None
    with ExitStack() as busy:  # four chats at once left four connections in the pool
        for _ in range(4):
            busy.enter_context(driver.core_connection(write=False))
    with plain.core_connection(write=True) as admin:  # as if the server had restarted
        admin.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    with pytest.raises(DBAPIError) as failed:
        load_conversation(driver, "test:anna", "e1")
    assert failed.value.connection_invalidated
    assert "test:anna" not in str(failed.value)  # parameters are members' data: not logged
    for event in ("e1", "e2", "e3", "e4", "e5"):  # the next turns all work
        assert load_conversation(driver, "test:anna", event) is not None


def test_rows_come_back_typed_and_named_as_sqlalchemy_gives_them(both, clock):
    plain, driver = both
    new_member(plain, "anna@example.com")
    conversation = load_conversation(plain, "test:1", "e1")
    conversation.email, conversation.state = "anna@example.com", {"flow": "points"}
    assert save_conversation(plain, conversation, "e1")
    statement = (
        select(
            Conversation.updated_at,
            Conversation.state,
            Conversation.version,
            BusinessAccount.password_state,
        )
        .join(BusinessAccount, BusinessAccount.id == Conversation.account_id)
        .where(Conversation.key == "test:1")  # a value written in the statement
        .limit(5)
    )
    with plain.core_connection(write=False) as connection:
        expected = connection.execute(statement).one()
    with driver.core_connection(write=False) as connection:
        row = connection.execute(statement).one()
    assert tuple(row) == tuple(expected)
    assert row.updated_at.tzinfo is UTC and row.state == {"flow": "points"}
    assert type(row.password_state) is PasswordState  # an enum, as the column type says


def test_times_are_stored_as_utc_whatever_the_sessions_time_zone(postgresql_engine, clock):
    url = postgresql_engine.url.render_as_string(hide_password=False)
    new_york = create_engine(
        url, isolation_level="AUTOCOMMIT", connect_args={"options": "-c TimeZone=America/New_York"}
    )
    sessions = sessionmaker(postgresql_engine, expire_on_commit=False)
    driver = UnitOfWork(sessions, clock=clock, chat_engine=new_york)
    conversation = load_conversation(driver, "test:1", "e1")
    assert save_conversation(driver, conversation, "e1")
    with postgresql_engine.connect() as connection:
        stored = connection.execute(text("SELECT updated_at FROM conversations")).scalar_one()
    new_york.dispose()
    assert stored == clock.now().astimezone(UTC).replace(tzinfo=None)


def test_in_lists_are_refused_rather_than_sent_wrong(both):
    _plain, driver = both
    with driver.core_connection(write=False) as connection, pytest.raises(ValueError):
        connection.execute(select(Conversation.key).where(Conversation.key.in_(["a", "b"])))
