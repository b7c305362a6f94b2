"""Log lines as operators read them: one JSON object per line (`--log-format json`) or a
readable line, each line of a member's turn naming the conversation by a pseudonym, and
none holding what the member wrote, their e-mail address, or a secret setting.

The turns go through the real dialogue engine on the console channel, its NLU a Rasa
server that refuses every connection (so the turn writes lines of its own: the failed
attempts, the fallback warning), with an error that carries the request: its URL with
the Rasa token, its body with the member's words.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import httpx
import pytest
from typer.testing import CliRunner

from bot.bootstrap import App, build_dialogue
from bot.cli.main import app as cli
from bot.cli.redaction import configure_logging, secrets_of, start_logging
from bot.flows.i18n import default_catalogs
from bot.handlers.console import ConsoleChat
from bot.nlu.engines import RasaEngine
from bot.observability import logs
from bot.observability.logs import conversation_scope
from bot.settings import PROJECT_ROOT, SECRET_KEYS, Settings, load_settings
from tests.channels.loopback import free_port
from tests.observability.conftest import EMMA
from tests.web.test_web_command import started

SECRETS = {key: f"Sx{key.replace('_', '')}-7Hq_29:aZ" for key in sorted(SECRET_KEYS)}
SAID = "My grey heron Bartholomew nests in the camera bag, write to zed.quill@example.org"
WORDS = ("heron", "Bartholomew", "nests", "zed.quill", "example.org")


@pytest.fixture
def stderr(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    """The root logger writes here only (every level), as a serving command's stderr;
    everything configure_logging and start_logging change is put back afterwards."""
    root, stream = logging.getLogger(), io.StringIO()
    monkeypatch.setattr(root, "handlers", [logging.StreamHandler(stream)])
    monkeypatch.setattr(root, "level", logging.DEBUG)
    for name in ("httpx", "httpcore", "slack_sdk"):
        monkeypatch.setattr(logging.getLogger(name), "level", logging.getLogger(name).level)
    monkeypatch.setattr(logs, "_key", logs._key)  # the pseudonyms' key start_logging sets
    return stream


@pytest.fixture
def settings(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Every secret setting set to a value of its own."""
    for key, value in SECRETS.items():
        monkeypatch.setenv(f"CPS_{key.upper()}", value)
    return load_settings(database_url=database_url)


@pytest.fixture
async def chat(app: App, embedded, settings: Settings) -> AsyncIterator[ConsoleChat]:  # type: ignore[no-untyped-def]
    """Emma's console chat, understood by a Rasa server that cannot be reached."""

    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"refused {request.url} {request.content!r}", request=request)

    token = SECRETS["rasa_auth_token"]
    rasa = RasaEngine(settings.rasa_url, token, 1.0, embedded, httpx.MockTransport(refused))
    dialogue = build_dialogue(app, rasa)
    console = ConsoleChat(dialogue, default_catalogs(), "emma", lambda _line: None)
    dialogue.link(console.key, EMMA, "en")
    yield console
    await rasa.aclose()


async def lines_of_a_turn(chat: ConsoleChat, stream: io.StringIO, text: str) -> list[str]:
    """The lines written while the bot took this one message."""
    start = len(stream.getvalue())
    await chat.send(text)
    return stream.getvalue()[start:].splitlines()


async def test_json_lines_name_the_turns_conversation_and_hold_no_member_text_nor_secret(
    chat: ConsoleChat, settings: Settings, stderr: io.StringIO
) -> None:
    start_logging(settings, "json")
    logging.getLogger("tests.outside").info("before any turn")
    first = await lines_of_a_turn(chat, stderr, SAID)
    second = await lines_of_a_turn(chat, stderr, "how many points do I have?")

    entries = [json.loads(line) for line in stderr.getvalue().splitlines()]  # every line
    assert entries and all({"time", "level", "logger", "message"} <= set(e) for e in entries)
    for entry in entries:
        at = datetime.fromisoformat(entry["time"])
        assert at.utcoffset() == timedelta(0)
    assert "conversation" not in entries[0] and entries[0]["message"] == "before any turn"
    assert first and second  # the Rasa attempts and the fallback warning were written
    named = {json.loads(line).get("conversation") for line in first + second}
    assert len(named) == 1
    [conversation] = named
    assert conversation and chat.key not in conversation and "emma" not in conversation
    assert any("unavailable" in json.loads(line)["message"] for line in first)

    written = stderr.getvalue()
    assert [word for word in WORDS if word in written] == []
    assert [key for key, secret in SECRETS.items() if secret in written] == []


def test_json_lines_redact_messages_arguments_and_tracebacks(stderr: io.StringIO) -> None:
    secret = SECRETS["smtp_password"]
    configure_logging([secret], log_format="json")
    with conversation_scope("telegram:42") as conversation:
        try:
            raise RuntimeError(f"login failed with {secret} for anna.rossi@example.com")
        except RuntimeError:
            logging.getLogger("tests.mail").exception("login %s as %s", secret, "anna@example.com")

    [line] = stderr.getvalue().splitlines()  # the traceback too is in the one line
    entry = json.loads(line)
    assert entry["level"] == "ERROR" and entry["logger"] == "tests.mail"
    assert entry["message"] == "login [redacted] as a***@example.com"
    assert entry["conversation"] == conversation
    assert entry["exc_info"].startswith("Traceback (most recent call last):")
    assert "RuntimeError: login failed with [redacted] for a***@example.com" in entry["exc_info"]
    assert secret not in line and "anna.rossi@" not in line and "telegram:42" not in line


async def test_text_lines_of_a_turn_end_with_its_conversation(
    chat: ConsoleChat, settings: Settings, stderr: io.StringIO
) -> None:
    start_logging(settings, "text")
    logging.getLogger("tests.outside").warning("before any turn")
    turn = await lines_of_a_turn(chat, stderr, SAID)

    outside, *_ = stderr.getvalue().splitlines()
    assert outside.endswith("WARNING tests.outside: before any turn")
    assert turn
    conversations = {line.rpartition(" conversation=")[2] for line in turn}
    assert len(conversations) == 1 and all(" conversation=" in line for line in turn)
    assert chat.key not in conversations
    assert any("Rasa NLU at" in line and "unavailable" in line for line in turn)
    assert [word for word in WORDS if word in stderr.getvalue()] == []


def test_the_log_format_setting_is_the_default_and_the_option_overrides_it(
    database_url: str, stderr: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CPS_LOG_FORMAT", "json")
    settings = load_settings(database_url=database_url)
    start_logging(settings)
    logging.getLogger("tests.default").warning("as the setting says")
    start_logging(settings, "text")
    logging.getLogger("tests.option").warning("as the option says")
    as_json, as_text = stderr.getvalue().splitlines()
    assert json.loads(as_json)["message"] == "as the setting says"
    assert as_text.endswith("WARNING tests.option: as the option says")


@pytest.mark.parametrize("command", [["web"], ["worker"], ["run"]])
def test_an_unknown_log_format_stops_the_command_with_one_line(
    command: list[str], database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CPS_DATABASE_URL", database_url)
    monkeypatch.setenv("CPS_TELEGRAM_TOKEN", "123456:TEST-token_abcdefghijklmnopqrstuv")
    monkeypatch.setenv("PTB_TIMEDELTA", "1")  # what `run` and `worker` set for themselves
    result = CliRunner().invoke(cli, [*command, "--log-format", "xml"])
    assert result.exit_code == 2
    assert result.stderr == "error: --log-format must be text or json, not 'xml'\n"


async def test_cps_bot_web_writes_json_lines_uvicorns_included(database_url: str) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    web_secret = SECRETS["web_secret_key"]
    environment = {
        **os.environ,
        "CPS_DATABASE_URL": database_url,
        "CPS_WEB_BASE_URL": base,
        "CPS_WEB_LISTEN_PORT": str(port),
        "CPS_WEB_SECRET_KEY": web_secret,
        "NO_PROXY": "127.0.0.1",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from bot.cli.main import main; main()",
        "web",
        "--log-format",
        "json",
        env=environment,
        cwd=PROJECT_ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    seen: list[bytes] = []
    try:
        await asyncio.wait_for(started(process, seen), 30)
        async with httpx.AsyncClient(base_url=base) as client:
            metrics = await client.get("/metrics")
    finally:
        process.send_signal(signal.SIGINT)
        _, rest = await asyncio.wait_for(process.communicate(), 15)
    written = (b"".join(seen) + rest).decode()
    assert process.returncode == 0, written
    assert metrics.status_code == 200 and "cps_turns_total" in metrics.text
    entries = [json.loads(line) for line in written.splitlines()]
    said = {(entry["logger"], entry["message"]) for entry in entries}
    assert ("uvicorn.error", "Application startup complete.") in said
    assert any(
        logger == "uvicorn.access" and "GET /metrics HTTP/1.1" in message
        for logger, message in said
    )
    assert web_secret not in written


def test_the_metrics_token_is_redacted_like_every_secret(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CPS_METRICS_TOKEN", "scrape-Tok3n_81")
    assert "scrape-Tok3n_81" in secrets_of(load_settings(database_url=database_url))
