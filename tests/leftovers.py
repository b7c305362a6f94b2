"""Every table, every column: where a piece of text is still held (privacy tests)."""

from __future__ import annotations

import re

from sqlalchemy import Engine, select

from bot.domain.models import Base


def leftovers(engine: Engine, *needles: str) -> list[str]:
    """ "table: needle in row" for each row of every table whose stringified columns hold
    a needle (case-insensitive). A needle of digits only matches as a whole number, so a
    six-digit code is not "found" inside a longer serial number."""
    patterns = [
        (n, re.compile(rf"(?<!\d){re.escape(n)}(?!\d)" if n.isdigit() else re.escape(n), re.I))
        for n in needles
    ]
    found = []
    with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            for row in connection.execute(select(table)):
                text = " | ".join(str(value) for value in row)
                found += [
                    f"{table.name}: {needle!r} in {text[:300]}"
                    for needle, pattern in patterns
                    if pattern.search(text)
                ]
    return found
