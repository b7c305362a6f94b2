"""Shared fixtures: fresh databases on SQLite and PostgreSQL, a clock, a unit of work."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import sessionmaker

from bot.bootstrap import make_engine
from bot.domain import schema
from bot.domain.models import Base
from bot.domain.ports import Policy
from bot.domain.unit_of_work import UnitOfWork
from bot.seed import load_reference_data
from bot.settings import PROJECT_ROOT
from tests.support import (
    FixedClock,
    create_throwaway_database,
    drop_database,
    postgres_or_skip,
)

DATA_DIR = PROJECT_ROOT / "data"
REFERENCE_TABLES = {"products", "levels", "dealers", "alembic_version"}


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads a developer's CPS_* variables by accident."""
    import os

    for key in list(os.environ):
        if key.startswith("CPS_") and key not in {"CPS_TEST_POSTGRES_URL", "CPS_REQUIRE_POSTGRES"}:
            monkeypatch.delenv(key)


def _prepared(engine: Engine) -> Engine:
    schema.upgrade(engine)
    load_reference_data(UnitOfWork(sessionmaker(engine, expire_on_commit=False)), DATA_DIR)
    return engine


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "cps.db"
    engine = _prepared(make_engine(f"sqlite:///{path}"))
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    postgres_or_skip()
    url = create_throwaway_database()
    engine = _prepared(make_engine(url))
    engine.dispose()
    yield url
    drop_database(url)


@pytest.fixture
def sqlite_engine(sqlite_template: Path, tmp_path: Path) -> Iterator[Engine]:
    path = tmp_path / "cps.db"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


@pytest.fixture
def postgresql_engine(postgres_url: str) -> Iterator[Engine]:
    engine = make_engine(postgres_url)
    member_tables = [t.name for t in Base.metadata.sorted_tables if t.name not in REFERENCE_TABLES]
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(member_tables)} RESTART IDENTITY CASCADE"))
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest) -> Engine:
    """The same domain test runs once on SQLite and once on PostgreSQL."""
    return request.getfixturevalue(f"{request.param}_engine")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def policy() -> Policy:
    return Policy()


@pytest.fixture
def uow(engine: Engine, clock: FixedClock, policy: Policy) -> UnitOfWork:
    return UnitOfWork(sessionmaker(engine, expire_on_commit=False), policy=policy, clock=clock)


@pytest.fixture(scope="session")
def embedded(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The embedded NLU engine, trained once per test session into a private cache."""
    from bot.nlu.engines import EmbeddedEngine

    return EmbeddedEngine.load(PROJECT_ROOT / "nlu", DATA_DIR, tmp_path_factory.mktemp("nlu"))


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database with the schema, reference data and the demo members, built once."""
    from bot.bootstrap import bootstrap
    from bot.seed import load_demo_members
    from bot.settings import load_settings

    path = tmp_path_factory.mktemp("demo") / "cps.db"
    app = bootstrap(load_settings(database_url=f"sqlite:///{path}"), clock=FixedClock())
    schema.upgrade(app.engine)
    load_reference_data(app.uow(), DATA_DIR)
    load_demo_members(app.uow(), DATA_DIR)
    app.close()
    return path


@pytest.fixture
def database_url(demo_template: Path, tmp_path: Path) -> str:
    """A private copy of the demo database for one test."""
    path = tmp_path / "cps.db"
    shutil.copy(demo_template, path)
    return f"sqlite:///{path}"
