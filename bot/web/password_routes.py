"""GET and POST /password/{token}: HTTP to the password page's dialogue and back.

POST, in this order: the client address's sliding window (429), the body at most
MAX_BODY bytes (413, the rest unread), a urlencoded form (415 / 400), its CSRF token
(refused: the form again, 403, nothing counted against the link), then the dialogue
(`bot.flows.password_page`), run off the event loop (hashing and the database block).
The password is read from the form and handed on; it is never put in a page, a cookie
or a log line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from urllib.parse import parse_qs

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from bot.flows.password_page import Page, PasswordPage
from bot.handlers.http_body import BodyTooLarge, read_body
from bot.privacy.masking import mask_email
from bot.web.form_tokens import FIELD, FormTokens
from bot.web.rate_limit import SlidingWindow
from bot.web.rendering import Renderer

MAX_BODY = 16 * 1024
FORM_TYPE = "application/x-www-form-urlencoded"
TEMPLATES = {
    "form": "password_form.html",
    "done": "password_done.html",
    "gone": "link_gone.html",
    "unavailable": "unavailable.html",
}


class PasswordRoutes:
    def __init__(
        self,
        page: PasswordPage,
        renderer: Renderer,
        forms: FormTokens,
        limiter: SlidingWindow,
        on_notified: Callable[[str], None] | None = None,
    ) -> None:
        self.page = page
        self.renderer = renderer
        self.forms = forms
        self.limiter = limiter
        self.on_notified = on_notified  # on the event loop: a chat's worker may deliver now

    async def show(self, request: Request) -> Response:
        token = request.path_params["token"]
        return self._answer(request, token, await run_in_threadpool(self.page.show, token))

    async def submit(self, request: Request) -> Response:
        token = request.path_params["token"]
        form = self._limited(request) or await self._form(request)
        if isinstance(form, Response):
            return form
        if not self.forms.valid(form.get(FIELD), request.cookies.get(self.forms.cookie), token):
            page = await run_in_threadpool(self.page.show, token)
            if page.view == "form":
                page = replace(page, status=403, problems=("web.problem.form_expired",))
            return self._answer(request, token, page)
        password, confirmation = form.get("password", ""), form.get("confirmation", "")
        page = await run_in_threadpool(self.page.submit, token, password, confirmation)
        for key in page.notified_chats if self.on_notified is not None else ():
            self.on_notified(key)
        return self._answer(request, token, page)

    def _limited(self, request: Request) -> Response | None:
        """429 when the client's address has sent too many forms lately."""
        client = request.client.host if request.client else "unknown"
        if self.limiter.allow(client):
            return None
        seconds = max(round(self.limiter.retry_after(client)), 1)
        answer = self._notice(request, "limited", 429, seconds=seconds)
        answer.headers["Retry-After"] = str(seconds)
        return answer

    async def _form(self, request: Request) -> dict[str, str] | Response:
        """The form's fields (each given once; one given twice counts as not given), or
        the answer to a body that is too large (413), not a form (415) or unreadable (400)."""
        try:
            body = await read_body(request, MAX_BODY)
        except BodyTooLarge:
            return self._notice(request, "too_large", 413)
        content_type = request.headers.get("content-type", "").partition(";")[0].strip()
        if content_type.lower() != FORM_TYPE:
            return self._notice(request, "bad_form", 415)
        try:
            fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=10)
        except (UnicodeDecodeError, ValueError):
            return self._notice(request, "bad_form", 400)
        return {name: values[0] for name, values in fields.items() if len(values) == 1}

    def _answer(self, request: Request, token: str, page: Page) -> Response:
        language = self.renderer.language(page.language, request.headers.get("accept-language", ""))
        context = {
            "email": page.email,
            "masked_email": mask_email(page.email) if page.email else "",
            "problems": page.problems,
            "reason": page.reason,
            "tries_left": page.tries_left,
        }
        if page.view != "form":
            return self.renderer.page(TEMPLATES[page.view], language, page.status, **context)
        nonce = self.forms.nonce_for(request.cookies.get(self.forms.cookie))
        context["csrf"] = self.forms.sign(nonce, token)
        answer = self.renderer.page(TEMPLATES["form"], language, page.status, **context)
        answer.set_cookie(
            self.forms.cookie,
            nonce,
            path="/",
            secure=self.forms.secure,
            httponly=True,
            samesite="strict",
        )
        return answer

    def _notice(self, request: Request, kind: str, status: int, **params: object) -> Response:
        language = self.renderer.language(None, request.headers.get("accept-language", ""))
        return self.renderer.page("notice.html", language, status, kind=kind, params=params)
