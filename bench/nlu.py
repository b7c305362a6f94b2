"""Both NLU engines on the same labelled set in one run, side by side.

    .venv/bin/python bench/nlu.py [--set FILE] [--rounds 5] [--no-rasa]

Prints, for the embedded engine and the Rasa server (started here through
bot.nlu.rasa_runtime unless --no-rasa, or the one at CPS_RASA_URL with --rasa-url):
intent accuracy (Italian+English and all), parse p50/p99, and the ratios. For the
embedded engine also: time to be ready from an empty cache (training) and from a warm
cache, and the memory it adds to the bot's process (measured in a fresh interpreter).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.nlu.engines import EmbeddedEngine, Parser, RasaEngine  # noqa: E402
from bot.nlu.evaluation import read_set  # noqa: E402
from bot.settings import load_settings  # noqa: E402

DEFAULT_SET = ROOT.parent / "shared" / "eval" / "nlu_dev.jsonl"
READINESS_PROBE = """
import sys, time
from pathlib import Path
def rss():
    for line in open('/proc/self/status'):
        if line.startswith('VmRSS'):
            return int(line.split()[1]) / 1024
sys.path.insert(0, {root!r})
import bot.bootstrap, bot.settings, bot.domain.models  # the bot without understanding
before = rss()
started = time.perf_counter()
from bot.nlu.engines import EmbeddedEngine
engine = EmbeddedEngine.load(Path({root!r}) / 'nlu', Path({root!r}) / 'data', Path({cache!r}))
engine.parse_now('quanti punti ho?', 'it')
engine_mb = rss() - before
engine.parse_now('quanti punti ho?')  # language unknown: loads the language identifier
print(time.perf_counter() - started, engine_mb, rss() - before)
"""


def readiness(cache: Path) -> tuple[float, float, float]:
    """Seconds to a first parse, MB the engine adds, MB with language identification too."""
    code = READINESS_PROBE.format(root=str(ROOT), cache=str(cache))
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    return float(out[0]), float(out[1]), float(out[2])


async def measure(parser: Parser, rows: list[dict], rounds: int) -> dict[str, float]:
    latencies, right, right_it_en, n_it_en = [], 0, 0, 0
    for round_ in range(rounds):
        for row in rows:
            started = time.perf_counter()
            result = await parser.parse(row["text"], row.get("lang"))
            latencies.append((time.perf_counter() - started) * 1000)
            if round_ == 0:
                ok = result.intent == row["intent"]
                right += ok
                if row.get("lang") in ("it", "en"):
                    n_it_en += 1
                    right_it_en += ok
    latencies.sort()
    return {
        "accuracy_it_en": right_it_en / max(n_it_en, 1),
        "accuracy_all": right / len(rows),
        "p50_ms": latencies[len(latencies) // 2],
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        "parses_per_s": len(latencies) / (sum(latencies) / 1000),
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--set", type=Path, default=DEFAULT_SET)
    args.add_argument("--rounds", type=int, default=5)
    args.add_argument("--no-rasa", action="store_true")
    args.add_argument("--rasa-url", help="use a running server (token: CPS_RASA_AUTH_TOKEN)")
    options = args.parse_args()
    rows = read_set(options.set)
    settings = load_settings()

    with tempfile.TemporaryDirectory() as empty:
        cold, _, _ = readiness(Path(empty))
        warm, engine_mb, with_language_mb = readiness(Path(empty))
    embedded = EmbeddedEngine.load(ROOT / "nlu", ROOT / "data", settings.resolved_cache_dir)
    results = {"embedded": await measure(embedded, rows, options.rounds)}
    print(f"set: {options.set} ({len(rows)} examples, {options.rounds} rounds)")
    print(
        f"embedded ready: {cold:.2f} s from an empty cache (trains), {warm:.2f} s from the "
        f"cache; adds {engine_mb:.0f} MB to the bot's process, {with_language_mb:.0f} MB once "
        "language identification is first needed"
    )

    process = None
    if not options.no_rasa:
        from bot.nlu import rasa_runtime

        cache = settings.resolved_cache_dir
        if options.rasa_url:
            url = options.rasa_url
            token = settings.rasa_auth_token.get_secret_value() if settings.rasa_auth_token else ""
        else:
            token, port = secrets.token_urlsafe(16), free_port()
            model = rasa_runtime.train(cache, ROOT / "nlu")
            started = time.perf_counter()
            process = rasa_runtime.serve(cache, model, "127.0.0.1", port, auth_token=token)
            url = f"http://127.0.0.1:{port}"
            rasa_runtime.wait_until_ready(
                url,
                180,
                token=token,
                proc=process,
                log_path=rasa_runtime.server_log_path(cache, port),
            )
            print(f"rasa ready: {time.perf_counter() - started:.1f} s to start the server")
        rasa = RasaEngine(url, token, 5.0, embedded)
        try:
            results["rasa"] = await measure(rasa, rows, options.rounds)
            if rasa.degraded:
                print("!!! Rasa was unreachable: its column shows the embedded fallback")
        finally:
            await rasa.aclose()
            if process is not None:
                rasa_runtime.stop(process)

    names = list(results)
    print(
        f"\n{'':18}"
        + "".join(f"{n:>12}" for n in names)
        + ("   rasa/embedded" if "rasa" in results else "")
    )
    for key in ("accuracy_it_en", "accuracy_all", "p50_ms", "p99_ms", "parses_per_s"):
        line = f"{key:18}" + "".join(f"{results[n][key]:12.3f}" for n in names)
        if "rasa" in results:
            line += f"{results['rasa'][key] / max(results['embedded'][key], 1e-9):16.2f}x"
        print(line)
    print(json.dumps(results))


if __name__ == "__main__":
    asyncio.run(main())
