"""Link this chat to a CPS business account: the member proves the e-mail with a one-time code.

The code goes by e-mail only to a real account, but the bot answers the same either way, so
nobody learns which e-mails have an account. The bot never asks for a password. Once linked,
the flow that needed the account (ctx.data["then"]) is resumed: the router starts
ctx.state["resume"], and the reply also carries a button to it.
"""

from __future__ import annotations

import re
from datetime import datetime

from bot.domain.services.link_codes import (
    CODE_TTL_MINUTES,
    MAX_ATTEMPTS,
    CodeCheck,
    request_link_code,
    verify_link_code,
)
from bot.flows.base import Flow
from bot.flows.context import Context
from bot.flows.messages import Button
from bot.nlu.entities.emails import find_emails, parse_email

CODE = re.compile(r"\d{6}")
RESEND = "link:resend"
OTHER_EMAIL = "link:email"


def _email_in(ctx: Context) -> str | None:
    """An e-mail typed alone or in a sentence ("it's anna@studio.it")."""
    if not ctx.text:
        return None
    found = ctx.entity("email") or parse_email(ctx.text)
    if found is None:
        found = next((value for value, _start, _end in find_emails(ctx.text)), None)
    return parse_email(found) if found else None


class LinkAccount(Flow):
    name = "link_account"
    needs_account = False

    def start(self, ctx: Context) -> None:
        ctx.say("link_account.intro")
        ctx.goto("email")
        self.reprompt(ctx)

    def reprompt(self, ctx: Context) -> None:
        if ctx.step == "email":
            ctx.say("link_account.ask_email", Button("common.cancel", "cmd:cancel"))
        elif ctx.step == "code":
            ctx.say("link_account.ask_code", *self._code_buttons(), email=ctx.data["email"])

    def handle(self, ctx: Context) -> bool:
        if ctx.step == "email":
            return self._got_email(ctx)
        if ctx.step == "code":
            return self._got_code(ctx)
        return False

    def _got_email(self, ctx: Context) -> bool:
        email = _email_in(ctx)
        if email is None:
            if not ctx.text:
                return False
            ctx.say("link_account.bad_email", Button("common.cancel", "cmd:cancel"))
            return True
        self._send(ctx, email)
        return True

    def _send(self, ctx: Context, email: str) -> None:
        expires_at = request_link_code(ctx.uow(), email, ctx.language)
        ctx.data.update(email=email, expires_at=expires_at.isoformat(), attempts=0)
        ctx.goto("code")
        ctx.say(
            "link_account.code_sent",
            *self._code_buttons(),
            email=email,
            sender=ctx.uow().policy.mail_sender,
            minutes=CODE_TTL_MINUTES,
        )

    def _got_code(self, ctx: Context) -> bool:
        if ctx.payload == RESEND:
            self._send(ctx, ctx.data["email"])
            return True
        if ctx.payload == OTHER_EMAIL:
            self._start_over(ctx, "link_account.ask_email")
            return True
        if ctx.payload:
            return False
        digits = re.sub(r"[\s.-]", "", ctx.text)
        expired = ctx.services.clock.now() >= datetime.fromisoformat(ctx.data["expires_at"])
        if expired and ctx.said_yes():  # "yes" to "shall I send you a new one?"
            self._send(ctx, ctx.data["email"])
            return True
        if not CODE.fullmatch(digits):
            email = _email_in(ctx)
            if email is not None:  # the member corrected the e-mail instead
                self._send(ctx, email)
            else:
                ctx.say("link_account.code_format", *self._code_buttons())
            return True
        if expired:
            ctx.say("link_account.expired", *self._code_buttons())
            return True
        result = verify_link_code(ctx.uow(), ctx.data["email"], digits)
        if result.check is CodeCheck.LINKED:
            assert result.email is not None
            self._linked(ctx, result.email)
        elif result.check is CodeCheck.EXPIRED:
            ctx.say("link_account.expired", *self._code_buttons())
        else:
            attempts = int(ctx.data.get("attempts", 0)) + 1
            ctx.data["attempts"] = attempts
            if result.check is CodeCheck.EXHAUSTED or attempts >= MAX_ATTEMPTS:
                self._start_over(ctx, "link_account.too_many")
            else:
                ctx.say(
                    "link_account.wrong_code", *self._code_buttons(), left=MAX_ATTEMPTS - attempts
                )
        return True

    def _start_over(self, ctx: Context, key: str) -> None:
        for stale in ("email", "expires_at", "attempts"):
            ctx.data.pop(stale, None)
        ctx.state["history"] = []
        ctx.state["step"] = "email"
        ctx.say(key, Button("common.cancel", "cmd:cancel"))

    def _linked(self, ctx: Context, email: str) -> None:
        then = ctx.data.get("then")
        ctx.email = email
        ctx.finish()
        if then:
            ctx.state["resume"] = then  # the router starts it right after this turn
            ctx.say(
                "link_account.linked", Button("link_account.continue", f"flow:{then}"), email=email
            )
        else:
            ctx.say("link_account.linked", email=email)

    @staticmethod
    def _code_buttons() -> tuple[Button, Button]:
        return (
            Button("link_account.resend", RESEND),
            Button("link_account.other_email", OTHER_EMAIL),
        )
