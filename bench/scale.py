"""Webhook workers side by side on one PostgreSQL: 1, 2 and 4 `cps-bot run --mode webhook`
processes, each on its own port, sharing every chat's turns.

    .venv/bin/python bench/scale.py [--workers 1,2,4] [--chats 32] [--turns 20] [--delay-ms 20]

The fake Bot API of the tests runs in its own process, delaying every answer (20 ms: a
real Bot API round trip), and plays members: each chat writes, waits for the answer, then
writes again; its messages go to the workers in turn (message n to worker n mod N, as a
load balancer without affinity would send them), posted as Telegram posts webhooks. Every
worker may thus get any chat's next message while another still handles the one before.

Prints per worker count: turns/s, p50 and p99 latency, the ratio to one worker, and what
went wrong: messages never answered (lost) and answers sent twice (duplicated), counted
from the fake's log of sendMessage calls against the messages each chat wrote.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")

from bench.fake_members import TOKEN  # noqa: E402

SECRET = "bench_webhook-secret"
TEXTS = ["how many points do I have?", "hello", "thanks", "help"]  # one answer each
MEMBER = "emma.clark@example.com"


def serve_fake(delay: float, pipe: Any) -> None:
    from bench.fake_members import serve

    serve(delay, pipe, play)


async def play(fake: Any, waiting: Any, job: dict[str, Any]) -> dict[str, Any]:
    """Each chat writes (to the workers in turn), waits for the answer, writes again."""
    import httpx

    latencies: list[float] = []
    hooks = job["hooks"]
    sent_before = {c: len(fake.sent(c)) for c in job["chats"]}

    async def member(client: httpx.AsyncClient, chat_id: int) -> None:
        for turn in range(job["turns"]):
            answered = waiting.expect(chat_id)
            update = fake.message_update(chat_id, TEXTS[turn % len(TEXTS)], language="en")
            started = time.perf_counter()
            try:
                answer = await client.post(
                    hooks[(chat_id + turn) % len(hooks)],
                    json=update,
                    headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
                )
            except httpx.HTTPError:
                answer = None
            if answer is None or answer.status_code != 200:  # refused: counted as lost
                waiting.forget(chat_id)
                continue
            try:
                await asyncio.wait_for(answered, 30)
            except TimeoutError:
                waiting.forget(chat_id)
                continue  # counted as lost below
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=30) as client:
        await asyncio.gather(*(member(client, chat) for chat in job["chats"]))
    elapsed = time.perf_counter() - started
    await asyncio.sleep(job["settle"])  # late duplicates, if any, have time to show
    counts = {c: len(fake.sent(c)) - sent_before[c] for c in job["chats"]}
    lost = sum(max(0, job["turns"] - n) for n in counts.values())
    duplicated = sum(max(0, n - job["turns"]) for n in counts.values())
    return {"elapsed": elapsed, "latencies": latencies, "lost": lost, "duplicated": duplicated}


def demo_database() -> str:
    from bot.bootstrap import bootstrap
    from bot.domain import schema
    from bot.seed import load_demo_members, load_reference_data
    from bot.settings import load_settings
    from tests.support import create_throwaway_database

    url = create_throwaway_database()
    app = bootstrap(load_settings(database_url=url))
    schema.upgrade(app.engine)
    load_reference_data(app.uow(), ROOT / "data")
    load_demo_members(app.uow(), ROOT / "data")
    app.close()
    return url


def link(database_url: str, chats: list[int]) -> None:
    from bot.bootstrap import bootstrap, build_dialogue
    from bot.settings import load_settings

    app = bootstrap(load_settings(database_url=database_url))
    engine = build_dialogue(app, None)
    for chat in chats:
        engine.link(f"telegram:{chat}", MEMBER)
    app.close()


async def start_workers(count: int, fake_url: str, database_url: str) -> list[Any]:
    import httpx

    from tests.channels.loopback import free_port

    workers, hooks = [], []
    for _ in range(count):
        port = free_port()
        hook = f"http://127.0.0.1:{port}/hook"
        environment = {
            **os.environ,
            "CPS_DATABASE_URL": database_url,
            "CPS_TELEGRAM_TOKEN": TOKEN,
            "CPS_TELEGRAM_WEBHOOK_SECRET": SECRET,
            "CPS_TELEGRAM_BASE_URL": f"{fake_url}/bot",
            "CPS_TELEGRAM_WEBHOOK_URL": hook,
            "CPS_TELEGRAM_LISTEN_PORT": str(port),
            "CPS_TELEGRAM_RATE_LIMIT_PER_SECOND": "0",
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            "from bot.cli.main import main; main()",
            "run",
            "--mode",
            "webhook",
            env=environment,
            cwd=ROOT,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        workers.append(process)
        hooks.append(hook)
    async with httpx.AsyncClient() as client:
        for hook in hooks:
            health = hook.removesuffix("/hook") + "/healthz"
            for _ in range(600):  # bounded: up to a minute for each to start
                try:
                    if (await client.get(health)).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError(f"worker at {hook} did not start")
    return [workers, hooks]


async def main() -> None:
    import httpx

    options = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    options.add_argument("--workers", default="1,2,4")
    options.add_argument("--chats", type=int, default=32)
    options.add_argument("--turns", type=int, default=20, help="per chat")
    options.add_argument("--delay-ms", type=float, default=20)
    args = options.parse_args()
    from tests.support import drop_database

    context = multiprocessing.get_context("spawn")
    here, there = context.Pipe()
    server = context.Process(target=serve_fake, args=(args.delay_ms / 1000, there), daemon=True)
    server.start()
    fake_url = here.recv()
    database_url = demo_database()
    rows = []
    try:
        for number, count in enumerate(int(n) for n in args.workers.split(",")):
            chats = [10_000 * (number + 1) + c for c in range(args.chats)]
            link(database_url, chats)
            workers, hooks = await start_workers(count, fake_url, database_url)
            try:
                async with httpx.AsyncClient(base_url=fake_url, timeout=None) as control:
                    warm = {"chats": chats, "turns": 1, "hooks": hooks, "settle": 0.5}
                    await control.post("/play", json=warm)
                    job = {"chats": chats, "turns": args.turns, "hooks": hooks, "settle": 2}
                    result = (await control.post("/play", json=job)).json()
            finally:
                for process in workers:
                    process.terminate()
                for process in workers:
                    await process.wait()
            latencies = sorted(result["latencies"])
            rate = len(latencies) / result["elapsed"]
            p50 = statistics.median(latencies) * 1000 if latencies else float("nan")
            p99 = latencies[int(0.99 * (len(latencies) - 1))] * 1000 if latencies else float("nan")
            rows.append((count, rate, p50, p99, result["lost"], result["duplicated"]))
    finally:
        here.send("stop")
        server.join(10)
        drop_database(database_url)
    base = rows[0][1]
    print(f"\n{args.chats} chats x {args.turns} turns, fake answering after {args.delay_ms:.0f} ms")
    print(
        f"{'workers':<9}{'turns/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'x one':>8}{'lost':>6}{'dup':>6}"
    )
    for count, rate, p50, p99, lost, duplicated in rows:
        line = f"{count:<9}{rate:>9.0f}{p50:>9.1f}{p99:>9.1f}{rate / base:>8.2f}"
        print(f"{line}{lost:>6}{duplicated:>6}")
    print("target: >= 1.3x for two workers on 2 cores; lost and duplicated 0")


if __name__ == "__main__":
    asyncio.run(main())
