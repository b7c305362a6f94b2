"""Dependencies point one way: handlers -> flows -> domain. Checked on the source, not trusted.

The members' web app (bot/web) is a channel adapter beside handlers/: HTTP in, HTML out.
It is held to the handlers' rules (no domain service or rule: it reaches the domain
through `bot.flows.password_page`, as chats do through the engine) and shares only the
bounded-body helper of their HTTP doors.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parent.parent / "bot"


def imports(package: str) -> list[tuple[str, str]]:
    found = []
    for path in sorted((BOT / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found += [(str(path.relative_to(BOT)), alias.name) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                found.append((str(path.relative_to(BOT)), node.module))
    return found


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        (
            "flows",
            (
                "sqlalchemy",
                "telegram",
                "slack_bolt",
                "slack_sdk",
                "bot.handlers",
                "bot.cli",
                "bot.web",
            ),
        ),
        (
            "domain",
            (
                "bot.flows",
                "bot.handlers",
                "bot.nlu",
                "bot.cli",
                "bot.web",
                "telegram",
                "slack_bolt",
            ),
        ),
        (
            "web",
            ("sqlalchemy", "telegram", "slack_bolt", "slack_sdk", "bot.cli", "bot.nlu"),
        ),
        ("nlu", ("bot.flows", "bot.handlers", "bot.cli", "sqlalchemy", "telegram", "slack_bolt")),
        # Privacy rules are plain text functions every layer applies alike.
        (
            "privacy",
            ("bot.domain", "bot.flows", "bot.handlers", "bot.nlu", "bot.cli", "sqlalchemy"),
        ),
        # Metrics and log scopes are counted from every layer: they know none of them.
        (
            "observability",
            (
                "bot.domain",
                "bot.flows",
                "bot.handlers",
                "bot.cli",
                "bot.web",
                "bot.nlu",
                "sqlalchemy",
                "telegram",
                "slack_bolt",
                "slack_sdk",
            ),
        ),
    ],
)
def test_nothing_imports_upward(package, forbidden):
    offending = [
        (where, name)
        for where, name in imports(package)
        if any(name == f or name.startswith(f + ".") for f in forbidden)
    ]
    assert offending == []


@pytest.mark.parametrize("package", ["handlers", "web"])
def test_handlers_hold_no_business_rule(package):
    """Channel adapters talk to the engine (the web app to its page's flow), never to
    domain services, rules, models or the repository directly."""
    rules = ("bot.domain.rules", "bot.domain.password_rules", "bot.domain.services")
    storage = ("bot.domain.models", "bot.domain.repository")
    offending = [
        (where, name)
        for where, name in imports(package)
        if name.startswith(rules) or (package == "web" and name.startswith(storage))
    ]
    assert offending == []


def test_the_web_app_shares_only_the_bounded_body_with_the_chat_channels():
    peers = [
        (where, name)
        for where, name in imports("web")
        if name.startswith("bot.handlers") and name != "bot.handlers.http_body"
    ]
    assert peers == []
