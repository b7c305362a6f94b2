"""`cps-bot report` at the terminal: a quiet period reads as zeros and dashes, never a
crash; a day typed wrongly, or a period the wrong way round, is one clear line and exit 2;
a file it cannot write is one clear line too."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from bot.cli.main import app as cli


def report(monkeypatch, database_url: str, *args: str):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CPS_DATABASE_URL", database_url)
    return CliRunner().invoke(cli, ["report", *args])


def test_a_period_without_conversations_reads_as_zeros(monkeypatch, database_url):  # type: ignore[no-untyped-def]
    period = ["--since", "2026-01-01", "--until", "2026-01-03"]
    lines = report(monkeypatch, database_url, *period)
    assert lines.exit_code == 0, lines.output
    assert lines.output.splitlines()[:2] == [
        "2026-01-01 .. 2026-01-03 (3 days)",
        "all: 0 conversations, contained -, handed off -, not understood - of 0 turns, "
        "CSAT - (0 ratings), 0 open now",
    ]
    figures = json.loads(report(monkeypatch, database_url, *period, "--json").output)
    assert figures["overall"]["conversations"] == 0
    assert figures["overall"]["containment"]["rate"] is None
    assert figures["by_language"] == {} and figures["by_channel"] == {}
    assert [d["day"] for d in figures["over_time"]] == ["2026-01-01", "2026-01-02", "2026-01-03"]


def test_the_default_period_is_the_last_seven_days(monkeypatch, database_url):  # type: ignore[no-untyped-def]
    figures = json.loads(report(monkeypatch, database_url, "--json").output)
    assert figures["period"]["days"] == 7
    assert len(figures["over_time"]) == 7


def test_a_wrong_day_or_period_is_one_clear_line(monkeypatch, database_url):  # type: ignore[no-untyped-def]
    wrong = report(monkeypatch, database_url, "--since", "1/12/2026")
    assert wrong.exit_code == 2
    assert "--since wants a day as YYYY-MM-DD, not '1/12/2026'" in wrong.output
    backwards = report(monkeypatch, database_url, "--since", "2026-12-03", "--until", "2026-12-01")
    assert backwards.exit_code == 2 and "is after --until" in backwards.output


def test_an_html_file_it_cannot_write_is_one_clear_line(monkeypatch, database_url, tmp_path):  # type: ignore[no-untyped-def]
    nowhere = tmp_path / "missing" / "report.html"
    result = report(monkeypatch, database_url, "--html", str(nowhere))
    assert result.exit_code == 1 and "cannot write" in result.output
    written = tmp_path / "report.html"
    assert report(monkeypatch, database_url, "--html", str(written)).exit_code == 0
    assert written.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
