"""`cps-bot nlu parse`, `eval` and `sync-lookups` as scripts use them."""

from __future__ import annotations

import json
import re

from typer.testing import CliRunner

from bot.cli.main import app


def runner(tmp_path) -> CliRunner:
    return CliRunner(env={"CPS_CACHE_DIR": str(tmp_path / "cache")})


def test_parse_one_text_prints_rasas_shape(tmp_path):
    result = runner(tmp_path).invoke(app, ["nlu", "parse", "pago con bonifico", "--lang", "it"])
    assert result.exit_code == 0, result.output
    parsed = json.loads(result.output)
    assert parsed["intent"]["name"] == "payment"
    assert parsed["entities"][0] | {"extractor": None} == {
        "entity": "payment_method",
        "value": "bank_transfer",
        "start": 9,
        "end": 17,
        "extractor": None,
    }


def test_parse_stdin_gives_one_json_line_per_line(tmp_path):
    lines = "ciao\nquanti punti ho\n\n🙂\nI forgot my password\n"
    result = runner(tmp_path).invoke(app, ["nlu", "parse", "--lang", "it"], input=lines)
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.output.splitlines()]
    assert [o["intent"]["name"] for o in out] == [
        "greet",
        "check_points",
        "out_of_scope",
        "out_of_scope",
        "reset_password",
    ]


def test_unknown_engine_is_refused(tmp_path):
    result = runner(tmp_path).invoke(app, ["nlu", "parse", "ciao", "--engine", "gpt"])
    assert result.exit_code == 2 and "unknown engine" in result.output


def test_eval_prints_accuracy_f1_confusions_entities_and_latency(tmp_path):
    png = tmp_path / "matrix.png"
    labelled = tmp_path / "set.jsonl"
    labelled.write_text(
        '{"text": "quanti punti ho?", "lang": "it", "intent": "check_points"}\n'
        '{"text": "pay by bank transfer", "lang": "en", "intent": "payment", '
        '"entities": {"payment_method": "bank transfer"}}\n'
        '{"text": "register my R5", "lang": "en", "intent": "register_product", '
        '"entities": [{"entity": "product", "value": "EOS R5"}]}\n'
    )
    result = runner(tmp_path).invoke(
        app, ["nlu", "eval", str(labelled), "--matrix", str(png), "--folds", "0"]
    )
    assert result.exit_code == 0, result.output
    for label in (
        "intent accuracy: 1.000",
        "by language: en 1.000 (n=2), it 1.000 (n=1)",
        "macro-F1: 1.000",
        "p50",
        "p99",
        "entity precision: 1.000   recall: 1.000",
    ):
        assert label in result.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_eval_cross_validates_each_language_on_the_training_data(tmp_path):
    labelled = tmp_path / "set.jsonl"
    labelled.write_text('{"text": "quanti punti ho?", "lang": "it", "intent": "check_points"}\n')
    result = runner(tmp_path).invoke(app, ["nlu", "eval", str(labelled), "--folds", "3"])
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if x.startswith("cross-validation"))
    assert "3 folds" in line
    scores = dict(re.findall(r"(\w\w) (\d\.\d{3}) \(n=\d+\)", line))
    assert set(scores) == {"it", "en", "de", "fr", "es"}
    assert all(float(score) >= 0.8 for score in scores.values()), line


def test_eval_rejects_a_file_without_labels(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ciao"}\n')
    result = runner(tmp_path).invoke(app, ["nlu", "eval", str(bad)])
    assert result.exit_code == 2 and "intent" in result.output


def test_lookup_tables_are_in_step_with_the_catalogue(tmp_path):
    result = runner(tmp_path).invoke(app, ["nlu", "sync-lookups", "--check"])
    assert result.exit_code == 0, result.output
