"""The password page's dialogue, as channel-agnostic as a chat flow: what to show for a
link, and for the form sent with it. The web adapter (`bot.web`) turns HTTP into these
calls and a `Page` into HTML; like a flow's Replies, a Page carries text keys and
parameters, never words, so every language is a catalogue (`web.po`).

A page is one of four views:
- "form": the link works; `problems` say what to fix after a refused try;
- "done": the password is set (and the member's chats were told);
- "gone" (HTTP 410): the link is unknown, used, expired, replaced or out of tries;
- "unavailable" (HTTP 503): the identity store could not take it now; the link still works.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.domain.ports import IdentityStore, IdentityUnavailable
from bot.domain.services.set_password import (
    PasswordLinkGone,
    PasswordRefused,
    open_password_link,
    set_password_with_link,
)
from bot.domain.unit_of_work import UnitOfWork

FEW_TRIES_LEFT = 2  # from here on the form says how many tries the link has left


@dataclass(frozen=True)
class Page:
    view: str  # "form" | "done" | "gone" | "unavailable"
    status: int
    language: str | None  # the account's; None for a link that was never ours
    email: str = ""
    problems: tuple[str, ...] = ()  # text keys, "web.problem.<code>"
    reason: str = ""  # "gone": the text key of why
    tries_left: int | None = None  # shown when few are left
    notified_chats: tuple[str, ...] = ()  # "done": the chats sent a notice (to deliver now)


class PasswordPage:
    def __init__(self, uow: Callable[[], UnitOfWork], identity: IdentityStore) -> None:
        self.uow = uow
        self.identity = identity

    def show(self, token: str) -> Page:
        try:
            link = open_password_link(self.uow(), token)
        except PasswordLinkGone as gone:
            return _gone(gone)
        return Page("form", 200, link.language, link.email, tries_left=_few(link.attempts_left))

    def submit(self, token: str, password: str, confirmation: str) -> Page:
        try:
            done = set_password_with_link(self.uow(), self.identity, token, password, confirmation)
        except PasswordLinkGone as gone:
            return _gone(gone)
        except PasswordRefused as refused:
            if refused.attempts_left == 0:
                return _gone(PasswordLinkGone("too_many_attempts", refused.language))
            problems = tuple(f"web.problem.{code}" for code in refused.problems)
            left = _few(refused.attempts_left)
            return Page("form", 422, refused.language, refused.email, problems, tries_left=left)
        except IdentityUnavailable:
            return Page("unavailable", 503, self._language_of(token))
        return Page(
            "done", 200, done.language, done.email, notified_chats=tuple(done.notified_chats)
        )

    def _language_of(self, token: str) -> str | None:
        try:
            return open_password_link(self.uow(), token).language
        except PasswordLinkGone as gone:
            return gone.language


def _gone(gone: PasswordLinkGone) -> Page:
    return Page("gone", 410, gone.language, reason=f"web.gone.{gone.reason}")


def _few(left: int) -> int | None:
    return left if left <= FEW_TRIES_LEFT else None
