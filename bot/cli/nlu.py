"""`cps-bot nlu`: parse text, evaluate an engine, serve Rasa, regenerate lookup tables."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import typer

from bot.cli.context import fail
from bot.nlu import lookups
from bot.nlu.cross_validation import cross_validate, embedded_train_and_predict
from bot.nlu.entities.products import ProductCatalogue
from bot.nlu.evaluation import (
    canonical_values,
    evaluate,
    format_report,
    read_set,
    save_confusion_matrix,
)
from bot.nlu.factory import NLU_PROJECT, build_parser
from bot.nlu.training_data import load_examples
from bot.settings import SettingsError, load_settings

app = typer.Typer(help="Understanding: parse, evaluate, serve Rasa.", no_args_is_help=True)
ENGINE = typer.Option(None, "--engine", help="embedded or rasa (default: the nlu_engine setting)")


def _settings():  # type: ignore[no-untyped-def]
    try:
        return load_settings()
    except SettingsError as exc:
        raise fail(str(exc), 2) from None


def _engine(value: str | None) -> str | None:
    if value not in (None, "embedded", "rasa"):
        raise fail(f"unknown engine {value!r}: use embedded or rasa", 2)
    return value


@app.command("parse")
def parse(
    text: str | None = typer.Argument(None, help="Text to parse; without it, one per stdin line."),
    engine: str | None = ENGINE,
    lang: str | None = typer.Option(None, "--lang", help="The member's language, if known."),
) -> None:
    """Print Rasa's parse JSON (intent, confidence, entities with offsets)."""
    parser = build_parser(_settings(), _engine(engine))

    async def run() -> None:
        try:
            if text is not None:
                typer.echo(
                    json.dumps(
                        (await parser.parse(text, lang)).as_json(), ensure_ascii=False, indent=2
                    )
                )
                return
            for line in sys.stdin:
                result = await parser.parse(line.rstrip("\n"), lang)
                typer.echo(json.dumps(result.as_json(), ensure_ascii=False))
        finally:
            await parser.aclose()

    asyncio.run(run())


@app.command("eval")
def eval_(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="JSONL: text, intent, lang"),
    engine: str | None = ENGINE,
    matrix: Path | None = typer.Option(None, "--matrix", help="Write a confusion-matrix PNG."),
    errors: bool = typer.Option(False, "--errors", help="List every misclassified example."),
    folds: int = typer.Option(
        5,
        "--folds",
        help="Cross-validate the embedded model on nlu/data in this many folds (0: not).",
    ),
) -> None:
    """Intent accuracy (overall and per language), macro-F1, most confused pairs, entity
    precision/recall, latency; then per-language k-fold cross-validation on the training data."""
    if folds == 1 or folds < 0:
        raise fail("--folds must be 0 (no cross-validation) or at least 2", 2)
    try:
        rows = read_set(file)
    except (ValueError, json.JSONDecodeError) as exc:
        raise fail(f"{file}: {exc}", 2) from None
    settings = _settings()
    parser = build_parser(settings, _engine(engine))

    async def run():  # type: ignore[no-untyped-def]
        try:
            catalogue = ProductCatalogue.from_yaml(settings.resolved_data_dir / "catalogue.yml")
            return await evaluate(parser, rows, canonical_values(catalogue))
        finally:
            await parser.aclose()

    report = asyncio.run(run())
    typer.echo(format_report(report, engine or settings.nlu_engine))
    for text, gold, predicted in report.errors if errors else []:
        typer.echo(f"  {gold} -> {predicted}: {text}")
    if matrix is not None:
        save_confusion_matrix(report, matrix)
        typer.echo(f"confusion matrix: {matrix}")
    if folds:
        result = cross_validate(load_examples(NLU_PROJECT), embedded_train_and_predict, folds)
        typer.echo(f"cross-validation (embedded model, {folds} folds of nlu/data): {result.line()}")
        for language, gold, predicted, count in result.confused[:5] if errors else []:
            typer.echo(f"  {language}: {gold} -> {predicted} x{count}")


@app.command("sync-lookups")
def sync_lookups(
    check: bool = typer.Option(False, "--check", help="Only say whether the file is current."),
) -> None:
    """Regenerate nlu/data/shared/lookups.yml from data/ (products, levels, payment, languages)."""
    settings = _settings()
    path = lookups.lookups_path(NLU_PROJECT)
    wanted = lookups.render(settings.resolved_data_dir)
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    if check:
        if current != wanted:
            raise fail(f"{path} is out of date: run `cps-bot nlu sync-lookups`")
        typer.echo(f"{path} is current")
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(wanted, encoding="utf-8")
    typer.echo(f"wrote {path}")


@app.command("serve")
def serve(
    port: int = typer.Option(5005, "--port", help="Loopback port for the Rasa server."),
) -> None:
    """Build Rasa's Python 3.10 venv (cached), train (cached by data hash), serve on 127.0.0.1."""
    import logging
    from urllib.parse import urlsplit

    from bot.nlu import rasa_runtime

    settings = _settings()
    if settings.rasa_auth_token is None:
        raise fail(
            "set CPS_RASA_AUTH_TOKEN: the Rasa API can replace its model, so it needs "
            "a token (the bot reads the same variable)",
            2,
        )
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    cache = settings.resolved_cache_dir
    token = settings.rasa_auth_token.get_secret_value()
    process = None
    try:
        model = rasa_runtime.train(cache, NLU_PROJECT)
        process = rasa_runtime.serve(cache, model, "127.0.0.1", port, auth_token=token)
        url = f"http://127.0.0.1:{port}"
        rasa_runtime.wait_until_ready(
            url, 180, token=token, proc=process, log_path=rasa_runtime.server_log_path(cache, port)
        )
    except rasa_runtime.RasaRuntimeError as exc:
        if process is not None:
            rasa_runtime.stop(process)  # never leave a half-started server behind
        raise fail(str(exc), 1) from None
    configured = urlsplit(settings.rasa_url).port
    typer.echo(f"Rasa NLU ready on {url} (model {model.name}); stop with Ctrl-C")
    if configured != port:
        typer.echo(f"note: the bot's rasa_url is {settings.rasa_url}; set CPS_RASA_URL={url}")
    try:
        process.wait()
    except KeyboardInterrupt:
        rasa_runtime.stop(process)
