"""One unit of work per use case: commit on success, roll back on any error.

Inside a member's turn the use cases share the turn's one transaction: `nested()` gives
each of them a unit of work on the turn's session whose `with` block is a SAVEPOINT, its
`commit()` the savepoint's release and an error its rollback. So a use case keeps its
all-or-nothing meaning, and nothing of the turn is durable until the turn commits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any

from sqlalchemy import Connection, Engine, event
from sqlalchemy.orm import Session

from bot.domain.driver_sql import DriverConnection
from bot.domain.models import OutboxEmail
from bot.domain.ports import Clock, MembershipNumbers, Policy, RandomMembershipNumbers, SystemClock
from bot.domain.repository import Repository


class UnitOfWork:
    """Opens a session, exposes the repository; nothing persists unless `commit()` is called."""

    def __init__(
        self,
        session_factory: Callable[[], Session],
        policy: Policy | None = None,
        clock: Clock | None = None,
        numbers: MembershipNumbers | None = None,
        chat_engine: Engine | None = None,
    ) -> None:
        self._session_factory = session_factory
        self._chat_engine = chat_engine
        self.policy = policy or Policy()
        self.clock = clock or SystemClock()
        self.numbers = numbers or RandomMembershipNumbers(self.clock)
        self._session: Session | None = None

    def __enter__(self) -> UnitOfWork:
        self._session = self._session_factory()
        self.repo = Repository(self._session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._session is not None
        # close() rolls back whatever was not committed and detaches loaded objects intact.
        self._session.close()
        self._session = None

    @property
    def session(self) -> Session:
        """For the domain's own services only; flows call services and never see this."""
        assert self._session is not None, "unit of work used outside its `with` block"
        return self._session

    @contextmanager
    def core_connection(
        self, *, write: bool, durable: bool = False
    ) -> Iterator[Connection | DriverConnection]:
        """A bare Core connection for the hot paths of every turn (chat state, the points
        summary): prebuilt statements, no ORM, which would cost more than the queries.

        With a `chat_engine` (bootstrap gives PostgreSQL one: autocommit, no WAL-flush wait,
        for chat state only) each statement is its own transaction, so a one-statement read
        or save is one round trip, run on the driver's connection (`bot.domain.driver_sql`:
        the same SQL and type processing, without SQLAlchemy's per-execution work).
        Otherwise a transaction on the domain's engine, committed when the block ends;
        `write=False` makes it a plain (deferred) read on SQLite instead of queueing for the
        write lock. `durable=True` keeps to the domain's engine (a synchronous commit): for
        what must survive a database crash once acknowledged, such as the inbox.
        """
        if self._chat_engine is not None and not durable:
            pooled = self._chat_engine.raw_connection()
            try:
                yield DriverConnection(pooled, self._chat_engine)
            finally:
                pooled.close()
            return
        bind = getattr(self._session_factory, "kw", {}).get("bind")
        if not isinstance(bind, Engine):  # a factory without an engine: through a session
            with self._session_factory() as session, session.begin():
                yield session.connection()
            return
        options = {} if write else {"cps_read_only": True}
        with bind.connect().execution_options(**options) as connection, connection.begin():
            yield connection

    @property
    def dialect_name(self) -> str:
        bind = getattr(self._session_factory, "kw", {}).get("bind")
        return bind.dialect.name if isinstance(bind, Engine) else "sqlite"

    def write_durably(self, statement: Any, values: dict[str, Any] | None = None) -> list[Any]:
        """One statement committed at once on the domain's engine (a synchronous commit:
        it survives a database crash once this returns); its rows (RETURNING).

        On PostgreSQL the statement and its COMMIT travel in one round trip, on the
        driver's connection.
        """
        bind = getattr(self._session_factory, "kw", {}).get("bind")
        if isinstance(bind, Engine) and bind.dialect.name == "postgresql":
            pooled = bind.raw_connection()
            try:
                driver = DriverConnection(pooled, bind)
                [result] = driver.pipelined([statement], values, commit=True)
                return result.all()
            finally:
                pooled.close()
        with self.core_connection(write=True, durable=True) as connection:
            return list(connection.execute(statement, values or {}).all())

    def commit(self) -> None:
        self.session.commit()

    def add(self, entity: object) -> None:
        self.session.add(entity)

    def flush(self) -> None:
        self.session.flush()

    def for_turn(self) -> TurnUnitOfWork:
        """A unit of work for a member's turn: one connection, one transaction, an ORM
        session only if a use case of the turn needs one."""
        return TurnUnitOfWork(self)

    def nested(self) -> UnitOfWork:
        """A unit of work for one use case inside this one's open transaction (a turn)."""
        return SavepointUnitOfWork(self)

    def send_mail(self, kind: str, recipient: str, language: str, **data: Any) -> None:
        """Queue an e-mail in the outbox; delivery happens outside the transaction."""
        self.add(
            OutboxEmail(
                kind=kind,
                sender=self.policy.mail_sender,
                recipient=recipient,
                language=language,
                template_data=data,
                created_at=self.clock.now(),
            )
        )


class SavepointUnitOfWork(UnitOfWork):
    """A use case inside a turn: its block is a SAVEPOINT of the turn's transaction."""

    def __init__(self, parent: UnitOfWork) -> None:
        super().__init__(parent._session_factory, parent.policy, parent.clock, parent.numbers, None)
        self._parent = parent
        self._savepoint: Any = None

    def __enter__(self) -> UnitOfWork:
        session = self._parent.session
        self._savepoint = session.begin_nested()
        self._session = session
        self.repo = Repository(session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._savepoint is not None and self._savepoint.is_active:
            self._savepoint.rollback()  # the use case failed: undo its part only
        self._savepoint = None
        self._session = None

    @property
    def session(self) -> Session:
        if self._session is not None:
            return self._session
        return self._parent.session  # read outside a `with`: the turn's session

    def commit(self) -> None:
        assert self._savepoint is not None, "unit of work used outside its `with` block"
        self._savepoint.commit()  # RELEASE SAVEPOINT: durable when the turn commits
        self._savepoint = self._session.begin_nested() if self._session is not None else None

    @contextmanager
    def core_connection(
        self, *, write: bool, durable: bool = False
    ) -> Iterator[Connection | DriverConnection]:
        with self._parent.core_connection(write=write, durable=durable) as connection:
            yield connection  # the turn's transaction


class TurnUnitOfWork(UnitOfWork):
    """A turn's transaction on one connection of the domain's engine. Most turns (a
    greeting, the points) need no ORM session: it is opened on the same connection, in
    the same transaction, the first time a use case asks for it."""

    def __init__(self, parent: UnitOfWork) -> None:
        super().__init__(parent._session_factory, parent.policy, parent.clock, parent.numbers)
        bind = getattr(parent._session_factory, "kw", {}).get("bind")
        assert isinstance(bind, Engine), "a turn needs the domain's engine"
        self._engine = bind
        self.connection: Connection | None = None  # type: ignore[assignment]
        self._wrote = False

    def __enter__(self) -> TurnUnitOfWork:
        self.connection = self._engine.connect()
        self.connection.begin()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self.connection is not None
        if self._session is not None:
            self._session.close()
            self._session = None
        self.connection.close()  # rolls back whatever was not committed
        self.connection = None

    @property
    def session(self) -> Session:
        if self._session is None:
            assert self.connection is not None, "unit of work used outside its `with` block"
            self._session = Session(bind=self.connection, expire_on_commit=False)
            self.repo = Repository(self._session)
            event.listen(self.connection, "after_cursor_execute", self._saw_statement)
        return self._session

    @property
    def used_domain(self) -> bool:
        """Whether a use case of the turn changed domain data (a read is not a change)."""
        return self._wrote

    def _saw_statement(self, _conn: Any, _cursor: Any, _sql: str, _params: Any, context: Any,
                       _many: bool) -> None:  # fmt: skip
        if context.isinsert or context.isupdate or context.isdelete:
            self._wrote = True

    def flush(self) -> None:
        if self._session is not None:
            self._session.flush()

    def commit(self) -> None:
        assert self.connection is not None
        if self._session is not None:
            self._session.flush()
        self.connection.commit()

    @contextmanager
    def core_connection(
        self, *, write: bool, durable: bool = False
    ) -> Iterator[Connection | DriverConnection]:
        assert self.connection is not None
        self._wrote = self._wrote or write
        yield self.connection  # the turn's transaction
