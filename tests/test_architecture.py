"""Dependencies point one way: handlers -> flows -> domain. Checked on the source, not trusted."""

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
        ("flows", ("sqlalchemy", "telegram", "slack_bolt", "slack_sdk", "bot.handlers", "bot.cli")),
        ("domain", ("bot.flows", "bot.handlers", "bot.nlu", "bot.cli", "telegram", "slack_bolt")),
        ("nlu", ("bot.flows", "bot.handlers", "bot.cli", "sqlalchemy", "telegram", "slack_bolt")),
        # Privacy rules are plain text functions every layer applies alike.
        (
            "privacy",
            ("bot.domain", "bot.flows", "bot.handlers", "bot.nlu", "bot.cli", "sqlalchemy"),
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


def test_handlers_hold_no_business_rule():
    """Channel adapters talk to the engine, never to domain services or rules directly."""
    offending = [
        (where, name)
        for where, name in imports("handlers")
        if name.startswith(("bot.domain.rules", "bot.domain.services"))
    ]
    assert offending == []
