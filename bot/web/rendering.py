"""HTML in the member's language: Jinja2 templates (autoescaped: every text and value is
escaped) worded from the `web.*` messages of the catalogues, one .po file per language.

A page is in the account's language when the web catalogue has it; a page for a link
that was never ours follows the browser's Accept-Language, then `default_language`, then
English. `lang` on <html> is always the language the page is actually in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.responses import HTMLResponse

from bot.flows.i18n import FALLBACK, Catalogs

TEMPLATES = Path(__file__).resolve().parent / "templates"
MARKER = "web.password.title"  # a language with this text has the web catalogue
STATIC = "../static"  # every page is under /password/: relative, whatever the proxy's prefix


class Renderer:
    def __init__(self, catalogs: Catalogs, default_language: str) -> None:
        self.catalogs = catalogs
        self.languages = [lang for lang in catalogs.languages if MARKER in catalogs.texts[lang]]
        self.default = default_language if default_language in self.languages else FALLBACK
        self.env = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=select_autoescape(default=True, default_for_string=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def language(self, wanted: str | None, accept_language: str = "") -> str:
        if wanted in self.languages:
            return str(wanted)
        for candidate in _accepted(accept_language):
            if candidate in self.languages:
                return candidate
        return self.default

    def page(self, template: str, language: str, status: int = 200, **context: Any) -> HTMLResponse:
        def t(key: str, **params: Any) -> str:
            return self.catalogs.render(language, key, params)

        html = self.env.get_template(template).render(lang=language, t=t, static=STATIC, **context)
        return HTMLResponse(html, status_code=status)


def _accepted(header: str) -> list[str]:
    """Accept-Language's primary subtags, most wanted first ("it-IT,en;q=0.8" -> it, en)."""
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate(header.split(",")[:20]):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().split("-")[0].lower()
        if primary.isalpha() and quality > 0:
            ranked.append((-quality, position, primary))
    return [primary for _, _, primary in sorted(ranked)]
