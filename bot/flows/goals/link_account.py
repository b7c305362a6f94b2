"""Link this chat to a CPS business account: the member proves the e-mail with a one-time code.

The code goes by e-mail only to a real account, but the bot answers the same either way, so
nobody learns which e-mails have an account. The bot never asks for a password. Once linked,
the flow that needed the account (`then`) is handed over to at once, and the reply also
carries a button to it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.domain.services.link_codes import (
    CODE_TTL_MINUTES,
    MAX_ATTEMPTS,
    CodeCheck,
    request_link_code,
    verify_link_code,
)
from bot.flows.context import Context
from bot.flows.form import DONE, SAID, Ask, FlowData, Form, Move, Outcome
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


class Step(StrEnum):
    EMAIL = "email"  # the account's e-mail
    CODE = "code"  # the six digits sent to it


@dataclass
class Data(FlowData):
    then: str | None = None  # the flow that needed the account, started once linked
    email: str | None = None
    expires_at: str | None = None  # when the code sent stops working (ISO)
    attempts: int = 0  # wrong codes typed


def ask_email(ctx: Context, data: Data) -> None:
    ctx.say("link_account.ask_email", Button("common.cancel", "cmd:cancel"))


def email_given(ctx: Context, data: Data) -> Outcome:
    email = _email_in(ctx)
    if email is None:
        if not ctx.text:
            return None
        ctx.say("link_account.bad_email", Button("common.cancel", "cmd:cancel"))
        return SAID
    return sent(ctx, data, email)


def ask_code(ctx: Context, data: Data) -> None:
    ctx.say("link_account.ask_code", *code_buttons(), email=data.email)


def code_given(ctx: Context, data: Data) -> Outcome:
    assert data.email is not None and data.expires_at is not None
    if ctx.payload == RESEND:
        return sent(ctx, data, data.email)
    if ctx.payload == OTHER_EMAIL:
        return start_over(ctx, data, "link_account.ask_email")
    if ctx.payload:
        return None
    digits = re.sub(r"[\s.-]", "", ctx.text)
    expired = ctx.services.clock.now() >= datetime.fromisoformat(data.expires_at)
    if expired and ctx.said_yes():  # "yes" to "shall I send you a new one?"
        return sent(ctx, data, data.email)
    if not CODE.fullmatch(digits):
        email = _email_in(ctx)
        if email is not None:  # the member corrected the e-mail instead
            return sent(ctx, data, email)
        ctx.say("link_account.code_format", *code_buttons())
        return SAID
    if expired:
        ctx.say("link_account.expired", *code_buttons())
        return SAID
    result = verify_link_code(ctx.uow(), data.email, digits)
    if result.check is CodeCheck.LINKED:
        assert result.email is not None
        return linked(ctx, data, result.email)
    if result.check is CodeCheck.EXPIRED:
        ctx.say("link_account.expired", *code_buttons())
        return SAID
    data.attempts += 1
    if result.check is CodeCheck.EXHAUSTED or data.attempts >= MAX_ATTEMPTS:
        return start_over(ctx, data, "link_account.too_many")
    ctx.say("link_account.wrong_code", *code_buttons(), left=MAX_ATTEMPTS - data.attempts)
    return SAID


STEPS = {
    Step.EMAIL: Ask(ask_email, email_given, goes_to=(Step.CODE,)),
    Step.CODE: Ask(ask_code, code_given, goes_to=(Step.EMAIL,), secret=True),
}


class LinkAccount(Form):
    name = "link_account"
    needs_account = False
    Step, Data, STEPS = Step, Data, STEPS

    def begin(self, ctx: Context, data: Data) -> Outcome:
        ctx.say("link_account.intro")
        return Step.EMAIL


def sent(ctx: Context, data: Data, email: str) -> Outcome:
    """The domain call: a one-time code to the e-mail (said the same for any e-mail)."""
    expires_at = request_link_code(ctx.uow(), email, ctx.language)
    data.email, data.expires_at, data.attempts = email, expires_at.isoformat(), 0
    ctx.say(
        "link_account.code_sent",
        *code_buttons(),
        email=email,
        sender=ctx.uow().policy.mail_sender,
        minutes=CODE_TTL_MINUTES,
    )
    return Move(Step.CODE, asked=True)  # "code sent" asks for it


def start_over(ctx: Context, data: Data, key: str) -> Outcome:
    data.email, data.expires_at, data.attempts = None, None, 0
    ctx.say(key, Button("common.cancel", "cmd:cancel"))  # it asks for the e-mail
    return Move(Step.EMAIL, fresh=True, asked=True)


def linked(ctx: Context, data: Data, email: str) -> Outcome:
    ctx.email = email
    if data.then:
        ctx.hand_over(data.then)  # the router starts it right after: nothing to press
        ctx.say("link_account.linked", email=email)
    else:
        ctx.finish()
        ctx.say("link_account.linked", email=email)
    return DONE


def code_buttons() -> tuple[Button, Button]:
    return (
        Button("link_account.resend", RESEND),
        Button("link_account.other_email", OTHER_EMAIL),
    )
