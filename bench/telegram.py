"""The complete Telegram bot vs a bare python-telegram-bot echo bot, through one fake Bot API.

    .venv/bin/python bench/telegram.py [--rounds 3] [--chats 8] [--turns 40] [--no-postgres]

The fake Bot API of the tests (tests/channels/fake_telegram.py) runs in its own process
and plays members: each of --chats chats writes a message, waits for the bot's answer,
then writes the next one (--turns each). A turn's latency is from the update being
available to getUpdates to the answer's sendMessage reaching the fake. The bots run in
this process, polling, one at a time, alternating round by round:

- echo: a bare PTB bot answering each text with itself, chats concurrently
  (concurrent_updates), with the same getUpdates pool as the complete bot;
- sqlite / postgresql: the complete bot from `build_application` (embedded NLU, the
  dialogue engine, the database), members linked to an account, asking for their points,
  greeting, thanking and asking for help (one answer each), rate limiting off (the fake
  has no limits) and everything else as configured;
- sqlite, typing at once: the same with `telegram_typing_after_seconds=0`, so every turn
  first sends the typing action (config.yml's 0.25 sends it only for a turn that takes
  that long, as Telegram advises; a fast turn does not pay its round trip).

Twice: with the fake answering at once, and delaying every answer by 20 ms (a real Bot
API round trip). Prints turns/s, p50 and p99 turn latency, and the ratio to the echo bot:
the median over rounds of each round's rate divided by the echo bot's rate in that same
round, so a machine that slows down or speeds up during the run cancels out.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dtm
import multiprocessing
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# This file is called telegram.py: its folder must not shadow the telegram package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PTB_TIMEDELTA", "1")
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")

from bench.fake_members import TOKEN  # noqa: E402

TEXTS = ["how many points do I have?", "hello", "thanks", "help"]  # one answer each
MEMBER = "emma.clark@example.com"


# -- the members, played by the fake Bot API in its own process (bench/fake_members.py) ------
def serve_fake(delay: float, pipe: Any) -> None:
    from bench.fake_members import serve

    serve(delay, pipe, play)


async def play(fake: Any, waiting: Any, job: dict[str, Any]) -> dict[str, Any]:
    """Each chat writes, waits for the answer, writes again: `job["turns"]` times."""
    latencies: list[float] = []

    async def member(chat_id: int) -> None:
        for turn in range(job["turns"]):
            answered = waiting.expect(chat_id)
            started = time.perf_counter()
            fake.inject(fake.message_update(chat_id, TEXTS[turn % len(TEXTS)], language="en"))
            await asyncio.wait_for(answered, 30)
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(member(chat) for chat in job["chats"]))
    elapsed = time.perf_counter() - started
    fake.calls.clear()
    fake.messages.clear()
    return {"elapsed": elapsed, "latencies": latencies}


# -- the bots, in this process ---------------------------------------------------------------
def echo_bot(base_url: str) -> Any:
    from telegram import Update
    from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

    async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        await update.message.reply_text(update.message.text or "")

    application = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(f"{base_url}/bot")
        .get_updates_connection_pool_size(2)
        .concurrent_updates(64)
        .build()
    )
    application.add_handler(MessageHandler(filters.TEXT, echo))
    return application


def complete_bot(base_url: str, database_url: str, **overrides: Any) -> Any:
    from telegram.ext import ApplicationBuilder

    from bot.handlers.telegram import build_application
    from bot.settings import load_settings

    os.environ["CPS_TELEGRAM_TOKEN"] = TOKEN
    settings = load_settings(
        database_url=database_url,
        telegram_base_url=f"{base_url}/bot",
        telegram_rate_limit_per_second=0,
        **overrides,
    )
    return build_application(ApplicationBuilder().get_updates_connection_pool_size(2), settings)


async def measure(application: Any, base_url: str, chats: list[int], turns: int) -> Any:
    import httpx
    from telegram import Update

    await application.initialize()
    channel = getattr(application, "channel", None)
    for chat in chats if channel else ():
        channel.engine.link(f"telegram:{chat}", MEMBER)
    await application.updater.start_polling(
        poll_interval=0, timeout=dtm.timedelta(seconds=1), allowed_updates=[Update.MESSAGE]
    )
    await application.start()
    try:
        async with httpx.AsyncClient(base_url=base_url, timeout=None) as control:
            await control.post("/play", json={"chats": chats, "turns": 2})  # warm-up
            answer = await control.post("/play", json={"chats": chats, "turns": turns})
            return answer.json()
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()


def demo_database(kind: str, workdir: Path) -> str:
    from bot.bootstrap import bootstrap
    from bot.domain import schema
    from bot.seed import load_demo_members, load_reference_data
    from bot.settings import load_settings

    if kind == "sqlite":
        url = f"sqlite:///{workdir / 'cps.db'}"
    else:
        from tests.support import create_throwaway_database

        url = create_throwaway_database()
    app = bootstrap(load_settings(database_url=url))
    schema.upgrade(app.engine)
    load_reference_data(app.uow(), ROOT / "data")
    load_demo_members(app.uow(), ROOT / "data")
    app.close()
    return url


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def phase(delay: float, args: argparse.Namespace, databases: dict[str, str]) -> None:
    context = multiprocessing.get_context("spawn")
    here, there = context.Pipe()
    server = context.Process(target=serve_fake, args=(delay, there), daemon=True)
    server.start()
    base_url = here.recv()
    bots: dict[str, Any] = {"echo": lambda: echo_bot(base_url)}
    for kind, url in databases.items():
        bots[kind] = lambda url=url: complete_bot(base_url, url)
    if "sqlite" in databases:
        bots["sqlite, typing at once"] = lambda: complete_bot(
            base_url, databases["sqlite"], telegram_typing_after_seconds=0
        )
    results: dict[str, dict[str, list[float]]] = {n: {"rate": [], "lat": []} for n in bots}
    chats = list(range(1, args.chats + 1))
    for _round in range(args.rounds):
        for name, build in bots.items():  # alternating: echo, sqlite, ... echo, sqlite, ...
            result = await measure(build(), base_url, chats, args.turns)
            results[name]["rate"].append(len(result["latencies"]) / result["elapsed"])
            results[name]["lat"] += result["latencies"]
    here.send("stop")
    server.join(10)
    echo_rates = results["echo"]["rate"]
    print(f"\nfake answering {'at once' if not delay else f'after {delay * 1000:.0f} ms'}")
    print(f"{'bot':<24}{'turns/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'x echo':>10}")
    for name, found in results.items():
        rate = statistics.median(found["rate"])
        p50, p99 = (percentile(found["lat"], f) * 1000 for f in (0.5, 0.99))
        # each round against the echo bot of the same round: drift of the machine cancels
        ratio = statistics.median(r / e for r, e in zip(found["rate"], echo_rates, strict=True))
        print(f"{name:<24}{rate:>10.0f}{p50:>10.1f}{p99:>10.1f}{ratio:>10.2f}")


async def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    options.add_argument("--rounds", type=int, default=3)
    options.add_argument("--chats", type=int, default=8)
    options.add_argument("--turns", type=int, default=40, help="per chat and round")
    options.add_argument("--no-postgres", action="store_true")
    args = options.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="cps-bench-telegram-"))
    databases = {"sqlite": demo_database("sqlite", workdir)}
    if not args.no_postgres:
        try:
            databases["postgresql"] = demo_database("postgresql", workdir)
        except Exception as exc:  # no server here: say so, measure the rest
            print(f"PostgreSQL left out: {type(exc).__name__}: {exc}")
    print(f"{args.chats} chats x {args.turns} turns, {args.rounds} rounds, alternating")
    try:
        for delay in (0.0, 0.02):
            await phase(delay, args, databases)
    finally:
        if "postgresql" in databases:
            from tests.support import drop_database

            drop_database(databases["postgresql"])
        shutil.rmtree(workdir, ignore_errors=True)
    print("\ntargets: >= 0.5x echo at once; >= 0.8x the concurrent echo bot at 20 ms")


if __name__ == "__main__":
    asyncio.run(main())
