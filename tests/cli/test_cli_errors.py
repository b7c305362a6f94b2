"""The installed `cps-bot` script: help everywhere, one clear line on failure, no traceback."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = shutil.which("cps-bot", path=str(Path(sys.executable).parent))


def run(*args: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    assert SCRIPT, "the cps-bot console script is not installed in this environment"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CPS_")}
    environment |= {"CPS_DATABASE_URL": f"sqlite:///{tmp_path / 'cps.db'}", **env}
    return subprocess.run(
        [SCRIPT, *args], capture_output=True, text=True, env=environment, timeout=120, check=False
    )


def test_unknown_email_is_one_line_on_stderr_and_exit_1(tmp_path):
    assert run("db", "init", tmp_path=tmp_path).returncode == 0
    result = run("member", "show", "nobody@example.com", "--json", tmp_path=tmp_path)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == "error: no member with e-mail nobody@example.com\n"


def test_an_uninitialised_database_says_what_to_run(tmp_path):
    result = run("member", "list", tmp_path=tmp_path)
    assert result.returncode == 1
    assert "cps-bot db init" in result.stderr and "Traceback" not in result.stderr


def test_a_bad_setting_stops_start_up_naming_the_key(tmp_path):
    result = run("member", "list", tmp_path=tmp_path, CPS_BANK_TRANSFER_DUE_DAYS="-3")
    assert result.returncode == 2
    assert "bank_transfer_due_days" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("command", [[], ["db"], ["member"], ["db", "init"], ["member", "show"]])
def test_help_everywhere(command, tmp_path):
    result = run(*command, "--help", tmp_path=tmp_path)
    assert result.returncode == 0 and "Usage" in result.stdout
