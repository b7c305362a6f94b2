"""An outbox mail as the member reads it: subject, plain text and HTML, in their language.

The layout of each kind is a pair of Jinja2 templates in bot/mail_templates
(`<kind>.txt.j2`, `<kind>.html.j2`, on `base.*.j2`); the words are the `mail.*` messages
of the bot's catalogues (bot/locale/<lang>/mail.po), so a new language is one more
catalogue file and the catalogue tests check it is complete. Dates and amounts are
formatted by Babel for the language ("50,00 €", "25 dicembre 2026"), the payment method
is worded, never shown as its code. The HTML part is autoescaped and loads nothing from
elsewhere (no images, fonts or scripts).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time
from babel.numbers import format_currency
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from bot.flows.i18n import FALLBACK, Catalogs, default_catalogs

TEMPLATES = Path(__file__).resolve().parent.parent / "mail_templates"


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str


class MailRenderer:
    def __init__(self, catalogs: Catalogs | None = None, templates: Path = TEMPLATES) -> None:
        self.catalogs = catalogs or default_catalogs()
        self.env = Environment(
            loader=FileSystemLoader(templates),
            autoescape=select_autoescape(enabled_extensions=("html.j2",)),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def render(self, kind: str, language: str, sender: str, data: dict[str, Any]) -> RenderedMail:
        """The mail of `kind` with its data (the outbox row's), in `language`."""
        language = language if language in self.catalogs.languages else FALLBACK

        def t(key: str, **params: Any) -> str:
            return self.catalogs.render(language, key, params)

        values = mail_values(data, language, t)
        subject = t(f"mail.{kind}.subject", **values)
        context = {**values, "kind": kind, "language": language, "sender": sender}
        context |= {"subject": subject, "t": t}
        text = self.env.get_template(f"{kind}.txt.j2").render(context)
        html = self.env.get_template(f"{kind}.html.j2").render(context)
        return RenderedMail(subject, text.strip() + "\n", html)


def mail_values(data: dict[str, Any], language: str, t: Any) -> dict[str, Any]:
    """The mail's data ready to print: ISO dates and times, amounts and payment methods
    formatted for `language`; everything else as it is."""
    locale = _locale(language)
    values = dict(data)
    if isinstance(data.get("expires_at"), str):
        moment = datetime.fromisoformat(data["expires_at"]).astimezone(UTC)
        values["expires_at"] = (
            f"{format_date(moment, 'long', locale=locale)}, "
            f"{format_time(moment, 'short', tzinfo=UTC, locale=locale)} UTC"
        )
    if isinstance(data.get("due_date"), str):
        values["due_date"] = format_date(date.fromisoformat(data["due_date"][:10]), "long", locale)
    if "amount" in data:
        values["amount"] = _money(data["amount"], str(data.get("currency") or "EUR"), locale)
    if "payment_method" in data:
        values["payment_method_code"] = str(data["payment_method"])
        values["payment_method"] = t(f"mail.payment_method.{data['payment_method']}")
    return values


def _money(amount: Any, currency: str, locale: Locale) -> str:
    try:
        return format_currency(Decimal(str(amount)), currency, locale=locale)
    except (InvalidOperation, ValueError):
        return f"{amount} {currency}"


@lru_cache(maxsize=16)
def _locale(language: str) -> Locale:
    try:
        return Locale.parse(language)
    except (UnknownLocaleError, ValueError):
        return Locale.parse(FALLBACK)
