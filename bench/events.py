"""What recording a turn's events costs (the report's `events` rows, written in the turn's
transaction), SQLite vs PostgreSQL.

    .venv/bin/python bench/events.py [--rounds 40] [--no-postgres]

Plays bench/turns.py's conversations through the engine with the embedded NLU, rounds
with the events written and rounds without (the writer switched off) alternating on one
database, so a noisy machine slows both alike. Prints per-turn p50 wall time and the
process's CPU time per turn, each side by side with its ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.turns import CONVERSATION  # noqa: E402
from bot.bootstrap import bootstrap, build_dialogue  # noqa: E402
from bot.domain import schema  # noqa: E402
from bot.domain.services import turns  # noqa: E402
from bot.flows.messages import Turn  # noqa: E402
from bot.nlu.engines import EmbeddedEngine  # noqa: E402
from bot.seed import load_demo_members, load_reference_data  # noqa: E402
from bot.settings import load_settings  # noqa: E402

RECORD = turns.OpenTurn.record


def recording(on: bool) -> None:
    turns.OpenTurn.record = RECORD if on else (lambda self, marks: None)  # type: ignore[method-assign]


async def one_round(engine, tag: str) -> tuple[list[float], float]:  # type: ignore[no-untyped-def]
    """Wall milliseconds of each turn, and the CPU seconds of the whole round."""
    walls = []
    cpu = time.process_time()
    for email, lines in CONVERSATION:
        key = f"{email}-{tag}"
        engine.link(f"bench:{key}", email)
        for number, line in enumerate(lines):
            started = time.perf_counter()
            await engine.handle(Turn("bench", key, text=line, event_id=f"{key}-{number}"))
            walls.append((time.perf_counter() - started) * 1000)
    return walls, time.process_time() - cpu


async def measure(url: str, rounds: int, nlu) -> dict[bool, tuple[float, float]]:  # type: ignore[no-untyped-def]
    app = bootstrap(load_settings(database_url=url))
    try:
        schema.upgrade(app.engine)
        load_reference_data(app.uow(), app.settings.resolved_data_dir)
        load_demo_members(app.uow(), app.settings.resolved_data_dir)
        engine = build_dialogue(app, nlu)
        walls: dict[bool, list[float]] = {True: [], False: []}
        cpu: dict[bool, float] = {True: 0.0, False: 0.0}
        for n in range(rounds + 2):
            for on in (True, False) if n % 2 else (False, True):
                recording(on)
                wall, spent = await one_round(engine, f"{n}-{on}")
                if n >= 2:  # the first rounds warm caches and connections
                    walls[on] += wall
                    cpu[on] += spent
        recording(True)
        return {on: (statistics.median(walls[on]), cpu[on] / len(walls[on]) * 1000) for on in walls}
    finally:
        app.close()


async def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--rounds", type=int, default=40)
    options.add_argument("--no-postgres", action="store_true")
    args = options.parse_args()
    settings = load_settings()
    nlu = EmbeddedEngine.load(ROOT / "nlu", settings.resolved_data_dir, settings.resolved_cache_dir)
    print(
        f"{'database':12}{'p50 ms without':>16}{'with':>8}{'ratio':>8}"
        f"{'cpu ms without':>17}{'with':>8}{'ratio':>8}"
    )
    with tempfile.TemporaryDirectory() as workdir:
        kinds = [("sqlite", f"sqlite:///{Path(workdir) / 'bench.db'}")]
        if not args.no_postgres:
            from tests.support import create_throwaway_database

            kinds.append(("postgresql", create_throwaway_database()))
        for kind, url in kinds:
            try:
                figures = await measure(url, args.rounds, nlu)
            finally:
                if kind == "postgresql":
                    from tests.support import drop_database

                    drop_database(url)
            (wall_off, cpu_off), (wall_on, cpu_on) = figures[False], figures[True]
            print(
                f"{kind:12}{wall_off:>16.2f}{wall_on:>8.2f}{wall_on / wall_off:>7.2f}x"
                f"{cpu_off:>17.2f}{cpu_on:>8.2f}{cpu_on / cpu_off:>7.2f}x"
            )


if __name__ == "__main__":
    asyncio.run(main())
