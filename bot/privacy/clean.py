"""Text fit to store, cleaned at the door: what cannot be encoded never reaches a table.

A lone surrogate ("\\ud83d" of a broken emoji, legal in JSON, not in UTF-8) would make
every later write of the conversation fail; a NUL is refused by PostgreSQL. Both, and the
other control characters but tab and newline, become U+FFFD or go; the rest is NFC, so
"é" typed two ways is one dealer.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
SURROGATE = re.compile("[\ud800-\udfff]")  # in a str, a surrogate is always a lone one


def clean_text(text: str) -> str:
    if text.isascii() and not CONTROL.search(text):
        return text  # the usual message: nothing to do
    text = SURROGATE.sub("\ufffd", text)
    text = CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return unicodedata.normalize("NFC", text)


def clean_payload(value: Any) -> Any:
    """Every string of a JSON value (keys too), cleaned."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(str(k)): clean_payload(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_payload(v) for v in value]
    return value
