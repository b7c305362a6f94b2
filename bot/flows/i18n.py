"""Bot texts from gettext catalogs (one .po per flow and language), rendered with Babel."""

from __future__ import annotations

import string
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal

from bot.flows.messages import Button, Key, Money, Reply

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
FALLBACK = "en"


class Catalogs:
    """msgid (a message key such as "points.summary") -> text, per language."""

    def __init__(self, directory: Path = LOCALE_DIR) -> None:
        self.texts: dict[str, dict[str, str]] = {}
        for po in sorted(directory.glob("*/*.po")):
            with po.open("rb") as handle:
                catalog = read_po(handle, locale=po.parent.name)
            texts = self.texts.setdefault(po.parent.name, {})
            for message in catalog:
                if message.id and message.string:
                    texts[str(message.id)] = str(message.string)

    @property
    def languages(self) -> list[str]:
        return sorted(self.texts)

    def text(self, language: str, key: str) -> str:
        for lang in (language, FALLBACK):
            found = self.texts.get(lang, {}).get(key)
            if found is not None:
                return found
        return key

    def render(self, language: str, key: str, params: dict[str, Any] | None = None) -> str:
        template = self.text(language, key)
        values = {k: self._value(language, v) for k, v in (params or {}).items()}
        return string.Formatter().vformat(template, (), _Defaulting(values))

    def _value(self, language: str, value: Any) -> Any:
        """Keys are translated, replies rendered, lists joined: one message, many lines."""
        if isinstance(value, Key):
            return self.text(language, value)
        if isinstance(value, Reply):
            return self.reply_text(language, value)
        if isinstance(value, list | tuple):
            parts = [str(self._value(language, item)) for item in value]
            joiner = "\n" if any(isinstance(item, Reply) for item in value) else ", "
            return joiner.join(parts)
        return _format(language, value)

    def reply_text(self, language: str, reply: Reply) -> str:
        return self.render(language, reply.key, reply.params)

    def button_label(self, language: str, button: Button) -> str:
        return self.render(language, button.key, button.params)


class _Defaulting(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _format(language: str, value: Any) -> Any:
    if isinstance(value, datetime):
        return format_datetime(value, "medium", tzinfo=value.tzinfo, locale=_locale(language))
    if isinstance(value, date):
        return format_date(value, "long", locale=_locale(language))
    if isinstance(value, Money):
        return format_currency(value.amount, value.currency, locale=_locale(language))
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return format_decimal(value, locale=_locale(language))
    return value


@lru_cache(maxsize=16)
def _locale(language: str) -> Locale:
    return Locale.parse(language)


@lru_cache(maxsize=1)
def default_catalogs() -> Catalogs:
    return Catalogs()
