"""Per-turn cost of the dialogue engine, SQLite vs PostgreSQL, 10 to 100,000 members.

    .venv/bin/python bench/turns.py [--rounds 30] [--sizes 10,1000,100000] [--no-postgres]

Plays the same conversations (points, password link, a digression, help, cancel, a
greeting) through the engine with the embedded NLU, for demo members, while the
database also holds N other members with a conversation each. Prints p50/p99 per turn
and the ratio to the smallest size: flat ratios mean no query scans all members or all
conversations.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from bot.bootstrap import bootstrap, build_dialogue  # noqa: E402
from bot.domain import schema  # noqa: E402
from bot.domain.models import BusinessAccount, Conversation  # noqa: E402
from bot.flows.messages import Turn  # noqa: E402
from bot.nlu.engines import EmbeddedEngine  # noqa: E402
from bot.seed import load_demo_members, load_reference_data  # noqa: E402
from bot.settings import load_settings  # noqa: E402

CONVERSATION = [
    (
        "emma.clark@example.com",
        ["how many points do I have?", "reset my password", "yes", "thanks"],
    ),
    (
        "giulia.rossi@example.com",
        ["ciao", "come imposto la password?", "quanti punti ho?", "aiuto", "annulla"],
    ),
    ("pierre.martin@example.com", ["quanti punti ho?", "devo reimpostare la password", "no"]),
]


def add_members(app, count: int) -> None:  # type: ignore[no-untyped-def]
    """`count` more members, each with a conversation, inserted in bulk."""
    now = datetime.now(UTC)
    with app.engine.begin() as connection:
        for start in range(0, count, 10_000):
            batch = range(start, min(count, start + 10_000))
            ids = (
                connection.execute(
                    insert(BusinessAccount).returning(BusinessAccount.id),
                    [
                        {
                            "email": f"member{i}@bench.example",
                            "language": "it",
                            "country": "IT",
                            "password_state": "set",
                            "created_at": now,
                        }
                        for i in batch
                    ],
                )
                .scalars()
                .all()
            )
            connection.execute(
                insert(Conversation),
                [
                    {
                        "key": f"bench-other:{i}",
                        "account_id": account,
                        "language": "it",
                        "state": {"flow": None},
                        "version": 1,
                        "updated_at": now,
                    }
                    for i, account in zip(batch, ids, strict=True)
                ],
            )


async def play(engine, rounds: int) -> list[float]:  # type: ignore[no-untyped-def]
    latencies = []
    for round_ in range(rounds):
        for email, lines in CONVERSATION:
            key = f"{email}-{round_}"
            engine.link(f"bench:{key}", email)
            for number, line in enumerate(lines):
                turn = Turn("bench", key, text=line, event_id=f"{key}-{number}")
                started = time.perf_counter()
                await engine.handle(turn)
                latencies.append((time.perf_counter() - started) * 1000)
    return sorted(latencies)


def database(kind: str, size: int, workdir: Path) -> tuple[str, object]:
    if kind == "sqlite":
        return f"sqlite:///{workdir / f'bench-{size}.db'}", None
    from tests.support import create_throwaway_database

    return create_throwaway_database(), "drop"


async def measure(kind: str, size: int, rounds: int, nlu, workdir: Path) -> list[float]:  # type: ignore[no-untyped-def]
    url, cleanup = database(kind, size, workdir)
    app = bootstrap(load_settings(database_url=url))
    try:
        schema.upgrade(app.engine)
        load_reference_data(app.uow(), app.settings.resolved_data_dir)
        load_demo_members(app.uow(), app.settings.resolved_data_dir)
        add_members(app, size)
        engine = build_dialogue(app, nlu)
        await play(engine, 2)  # warm caches and connections
        return await play(engine, rounds)
    finally:
        app.close()
        if cleanup:
            from tests.support import drop_database

            drop_database(url)


async def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--rounds", type=int, default=30)
    options.add_argument("--sizes", default="10,1000,100000")
    options.add_argument("--no-postgres", action="store_true")
    args = options.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    kinds = ["sqlite"] + ([] if args.no_postgres else ["postgresql"])
    settings = load_settings()
    nlu = EmbeddedEngine.load(ROOT / "nlu", settings.resolved_data_dir, settings.resolved_cache_dir)
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        for kind in kinds:
            for size in sizes:
                latencies = await measure(kind, size, args.rounds, nlu, Path(workdir))
                p50 = latencies[len(latencies) // 2]
                p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
                rows.append((kind, size, p50, p99, len(latencies)))
    print(
        f"{'database':12}{'members':>10}{'turns':>8}{'p50 ms':>10}{'p99 ms':>10}"
        f"{'p50 / smallest':>16}"
    )
    for kind, size, p50, p99, turns in rows:
        base = next(r[2] for r in rows if r[0] == kind)
        print(f"{kind:12}{size:>10}{turns:>8}{p50:>10.2f}{p99:>10.2f}{p50 / base:>15.2f}x")


if __name__ == "__main__":
    asyncio.run(main())
