"""Test doubles for the domain's ports (fakes, not mocks) and database helpers."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
PG_ADMIN_URL = os.environ.get(
    "CPS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


class FixedClock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = START) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


class ScriptedNumbers:
    """Proposes the given membership numbers in order."""

    def __init__(self, *numbers: str) -> None:
        self.numbers = numbers

    def proposals(self) -> Iterator[str]:
        yield from self.numbers


def postgres_or_skip() -> None:
    """Fail in CI (CPS_REQUIRE_POSTGRES=1) where the server must exist; skip loudly elsewhere."""
    probe = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
    try:
        with probe.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:
        reason = f"PostgreSQL at {PG_ADMIN_URL} is not reachable ({type(exc).__name__}: {exc})"
        if os.environ.get("CPS_REQUIRE_POSTGRES") == "1":
            pytest.fail(reason)
        pytest.skip(f"!!! SKIPPING POSTGRESQL TESTS: {reason}")
    finally:
        probe.dispose()


def create_throwaway_database() -> str:
    name = f"cps_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    name = make_url(url).database
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
