"""Both NLU engines on the same labelled set in one run, side by side.

    .venv/bin/python bench/nlu.py [--set FILE] [--rounds 5] [--no-rasa]

    .venv/bin/python bench/nlu.py --folds 5 --rasa-folds 3   # with Rasa's cross-validation

Prints, for the embedded engine and the Rasa server (started here through
bot.nlu.rasa_runtime unless --no-rasa, or the one at CPS_RASA_URL with --rasa-url):
intent accuracy (all, and per language), parse p50/p99, and the ratios; then k-fold
cross-validation per language on the training data (nlu/data): the embedded model
retrained per fold (--folds, default 5), and Rasa trained and served per fold when
--rasa-folds is given (minutes per fold). For the
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
from collections import Counter
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.nlu.cross_validation import (  # noqa: E402
    CrossValidation,
    cross_validate,
    embedded_train_and_predict,
    without_examples,
)
from bot.nlu.engines import EmbeddedEngine, Parser, RasaEngine  # noqa: E402
from bot.nlu.evaluation import read_set  # noqa: E402
from bot.nlu.training_data import Example, load_examples  # noqa: E402
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
    latencies, totals, right = [], Counter(), Counter()
    for round_ in range(rounds):
        for row in rows:
            started = time.perf_counter()
            result = await parser.parse(row["text"], row.get("lang"))
            latencies.append((time.perf_counter() - started) * 1000)
            if round_ == 0:
                totals[row.get("lang", "?")] += 1
                right[row.get("lang", "?")] += result.intent == row["intent"]
    latencies.sort()
    return {
        "accuracy_all": sum(right.values()) / len(rows),
        **{f"accuracy_{lang}": right[lang] / totals[lang] for lang in sorted(totals)},
        "p50_ms": latencies[len(latencies) // 2],
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        "parses_per_s": len(latencies) / (sum(latencies) / 1000),
    }


def rasa_folds(cache: Path, k: int) -> CrossValidation:
    """Rasa trained on all folds but one and served, k times, on the embedded engine's folds."""
    from bot.nlu import rasa_runtime

    def train_and_predict(_training: list[Example], held: list[Example]) -> list[str]:
        with tempfile.TemporaryDirectory() as scratch:
            project = without_examples(ROOT / "nlu", held, Path(scratch) / "nlu")
            model = rasa_runtime.train(cache, project)
            token, port = secrets.token_urlsafe(16), free_port()
            process = rasa_runtime.serve(cache, model, "127.0.0.1", port, auth_token=token)
            url = f"http://127.0.0.1:{port}"
            try:
                log_path = rasa_runtime.server_log_path(cache, port)
                rasa_runtime.wait_until_ready(
                    url, 180, token=token, proc=process, log_path=log_path
                )
                with httpx.Client(trust_env=False, timeout=10) as client:
                    return [
                        client.post(
                            f"{url}/model/parse", params={"token": token}, json={"text": e.text}
                        ).json()["intent"]["name"]
                        for e in held
                    ]
            finally:
                rasa_runtime.stop(process)

    return cross_validate(load_examples(ROOT / "nlu"), train_and_predict, k)


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
    args.add_argument("--folds", type=int, default=5, help="embedded cross-validation folds")
    args.add_argument("--rasa-folds", type=int, default=0, help="Rasa cross-validation folds")
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

    examples = load_examples(ROOT / "nlu")
    if options.folds:
        folds = cross_validate(examples, embedded_train_and_predict, options.folds)
        results["embedded"] |= {f"cv_{lang}": acc for lang, (_, acc) in folds.by_language.items()}
    if options.rasa_folds and not options.no_rasa:
        folds = rasa_folds(settings.resolved_cache_dir, options.rasa_folds)
        results.setdefault("rasa", {}).update(
            {f"cv_{lang}": acc for lang, (_, acc) in folds.by_language.items()}
        )

    names = list(results)
    keys = [k for k in results["embedded"] if k.startswith("accuracy")]
    keys += [k for k in results["embedded"] if k.startswith("cv_")]
    keys += ["p50_ms", "p99_ms", "parses_per_s"]
    print(
        f"\n{'':18}"
        + "".join(f"{n:>12}" for n in names)
        + ("   rasa/embedded" if "rasa" in results else "")
    )
    print("(cv_xx: that language's examples, k-fold cross-validated on nlu/data)")
    for key in keys:
        if not all(key in results[n] for n in names):
            print(f"{key:18}" + f"{results['embedded'].get(key, float('nan')):12.3f}")
            continue
        line = f"{key:18}" + "".join(f"{results[n][key]:12.3f}" for n in names)
        if "rasa" in results:
            line += f"{results['rasa'][key] / max(results['embedded'][key], 1e-9):16.2f}x"
        print(line)
    print(json.dumps(results))


if __name__ == "__main__":
    asyncio.run(main())
