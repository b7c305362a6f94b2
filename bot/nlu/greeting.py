"""A greeting that opens a request ("hey there! how many pts have i got?") is not the
request: the words after it are read again, and their intent wins when it is sure."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import replace

from bot.nlu.entities.text import fold
from bot.nlu.result import ParseResult

OPENING = re.compile(
    r"^\s*(?:(?:hey|hi|hello|hiya|good (?:morning|afternoon|evening)|ciao|salve|buongiorno|"
    r"buonasera|hallo|hi zusammen|guten (?:tag|morgen|abend)|moin|servus|gruss gott|"
    r"bonjour|bonsoir|salut|coucou|hola|buenos dias|buenas(?: tardes| noches)?|buenas)"
    r"(?:\s+(?:there|all|everyone|team|a tutti|zusammen|a tous|a todos))?[\s,!.:;-]+)+"
)
SURE = 0.5


def opening_greeting(text: str) -> int:
    """How many characters of `text` are a greeting before something else (0: none)."""
    found = OPENING.match(fold(text))  # fold keeps offsets for the scripts we serve
    if found is None or len(text[found.end() :].split()) < 3:  # "hello from emma": no request
        return 0
    return found.end()


async def past_the_greeting(
    parse: Callable[[str], Awaitable[ParseResult]], text: str, first: ParseResult
) -> ParseResult:
    """`first` unless it is a greeting that opens a sure request: then the request's
    reading, its entities placed in the whole text."""
    cut = opening_greeting(text) if first.intent == "greet" else 0
    if not cut:
        return first
    rest = await parse(text[cut:])
    if rest.intent in ("greet", "out_of_scope") or rest.confidence < SURE:
        return first
    shifted = tuple(replace(e, start=e.start + cut, end=e.end + cut) for e in rest.entities)
    return replace(rest, text=first.text, entities=shifted)
