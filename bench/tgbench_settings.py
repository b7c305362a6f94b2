"""Settings factories for the independent harness `../shared/bench/tgbench.py`: each call
gives the complete bot a fresh demo database (tgbench's update ids restart every round, and
the inbox takes each update id once).

    PYTHONPATH=. .venv/bin/python ../shared/bench/tgbench.py --compare \\
        bot.handlers.telegram:build_application --settings-factory bench.tgbench_settings:sqlite
    ... --settings-factory bench.tgbench_settings:postgresql

Rate limiting is off, as for the echo bot it is compared with (the fake has no limits).
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from functools import cache
from pathlib import Path

from bot.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent


@cache
def _template() -> Path:
    """A demo database built once per process; each round gets a copy."""
    from bot.bootstrap import bootstrap
    from bot.domain import schema
    from bot.seed import load_demo_members, load_reference_data

    folder = Path(tempfile.mkdtemp(prefix="tgbench-", dir="/dev/shm"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = folder / "template.db"
    app = bootstrap(load_settings(database_url=f"sqlite:///{path}"))
    schema.upgrade(app.engine)
    load_reference_data(app.uow(), ROOT / "data")
    load_demo_members(app.uow(), ROOT / "data")
    app.close()
    return path


def sqlite() -> Settings:
    template = _template()
    copy = template.with_name(f"round-{len(list(template.parent.iterdir()))}.db")
    shutil.copy(template, copy)
    return load_settings(database_url=f"sqlite:///{copy}", telegram_rate_limit_per_second=0)


def postgresql() -> Settings:
    from bot.bootstrap import bootstrap
    from bot.domain import schema
    from bot.seed import load_demo_members, load_reference_data
    from tests.support import create_throwaway_database, drop_database

    url = create_throwaway_database()
    atexit.register(drop_database, url)
    app = bootstrap(load_settings(database_url=url))
    schema.upgrade(app.engine)
    load_reference_data(app.uow(), ROOT / "data")
    load_demo_members(app.uow(), ROOT / "data")
    app.close()
    return load_settings(database_url=url, telegram_rate_limit_per_second=0)
