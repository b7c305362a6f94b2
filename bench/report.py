"""How long `cps-bot report` takes as the events grow (SQLite), for a week of traffic.

    .venv/bin/python bench/report.py [--sizes 10000,100000,300000]

Writes N events (a third turns, one in five not understood, two thirds a flow started
and completed) spread over 7 days and ~N/30 chats, then times `build_report` over the
week. Prints the seconds and the microseconds per event, with the ratio to the smallest
size: a flat ratio means the report grows linearly with the events it reads.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from bot.bootstrap import bootstrap  # noqa: E402
from bot.domain import schema  # noqa: E402
from bot.domain.models import Event  # noqa: E402
from bot.domain.services.analytics import build_report  # noqa: E402
from bot.settings import load_settings  # noqa: E402

WEEK = datetime(2026, 11, 27, tzinfo=UTC)
LANGUAGES = ("it", "en", "de", "fr", "es")


def events(count: int) -> list[dict[str, object]]:
    rng = random.Random(count)
    chats = count // 30 + 1
    rows: list[dict[str, object]] = []
    for n in range(count // 3):
        shared = {
            "at": WEEK + timedelta(seconds=rng.randrange(7 * 86400)),
            "channel": "telegram",
            "language": rng.choice(LANGUAGES),
            "conversation_key": f"telegram:{n % chats}",
        }
        missed = rng.random() < 0.2
        outcome = "not_understood" if missed else "understood"
        rows.append({**shared, "kind": "turn", "name": outcome, "detail": None, "text": None})
        for detail in ("started", "completed"):
            rows.append(
                {**shared, "kind": "flow", "name": "points", "detail": detail, "text": None}
            )
    return rows


def seconds_for(count: int, workdir: Path) -> float:
    app = bootstrap(load_settings(database_url=f"sqlite:///{workdir / f'report-{count}.db'}"))
    try:
        schema.upgrade(app.engine)
        rows = events(count)
        with app.engine.begin() as connection:
            for start in range(0, len(rows), 5000):
                connection.execute(insert(Event), rows[start : start + 5000])
        started = time.perf_counter()
        build_report(app.uow(), date(2026, 11, 27), date(2026, 12, 3))
        return time.perf_counter() - started
    finally:
        app.close()


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--sizes", default="10000,100000,300000")
    sizes = [int(s) for s in options.parse_args().sizes.split(",")]
    with tempfile.TemporaryDirectory() as workdir:
        timed = [(size, seconds_for(size, Path(workdir))) for size in sizes]
    print(f"{'events':>10}{'seconds':>10}{'us/event':>10}{'per event / smallest':>22}")
    base = timed[0][1] / timed[0][0]
    for size, seconds in timed:
        per_event = seconds / size
        print(f"{size:>10}{seconds:>10.2f}{per_event * 1e6:>10.1f}{per_event / base:>21.2f}x")


if __name__ == "__main__":
    main()
