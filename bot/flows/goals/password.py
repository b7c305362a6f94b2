"""R1: set or reset the password through a single-use link e-mailed to the account.

The bot never asks for, accepts or stores a password: it only sends the link.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.domain import errors
from bot.domain.services.accounts import password_is_set, send_password_link
from bot.domain.services.events import DECLINED
from bot.domain.types import PasswordLinkPurpose
from bot.flows.base import yes_no
from bot.flows.context import Context
from bot.flows.form import DONE, Ask, FlowData, Form, Outcome
from bot.privacy.masking import mask_email


class Step(StrEnum):
    CONFIRM = "confirm"  # "shall I e-mail you the link?"


@dataclass
class Data(FlowData):
    purpose: str = PasswordLinkPurpose.SET.value  # set (first time) or reset


def offer(ctx: Context, data: Data) -> None:
    assert ctx.email is not None
    ctx.say(f"password.offer_{data.purpose}", *yes_no(), email=mask_email(ctx.email))


def confirmed(ctx: Context, data: Data) -> Outcome:
    if ctx.said_no():
        ctx.finish(DECLINED)
        ctx.say("password.not_sent")
        return DONE
    if not ctx.said_yes():
        return None
    send(ctx, PasswordLinkPurpose(data.purpose))
    return DONE


STEPS = {Step.CONFIRM: Ask(offer, confirmed)}


class Password(Form):
    name = "password"
    intents = frozenset({"set_password", "reset_password"})
    Step, Data, STEPS = Step, Data, STEPS

    def begin(self, ctx: Context, data: Data) -> Outcome:
        assert ctx.email is not None
        password_set = password_is_set(ctx.uow(), ctx.email)
        purpose = PasswordLinkPurpose.RESET if password_set else PasswordLinkPurpose.SET
        data.purpose = purpose.value
        return Step.CONFIRM


def send(ctx: Context, purpose: PasswordLinkPurpose) -> None:
    """The domain call: a single-use link by e-mail; the member is told where it went."""
    assert ctx.email is not None
    try:
        sent = send_password_link(ctx.uow(), ctx.email, purpose)
    except errors.PasswordAlreadySet:
        sent = send_password_link(ctx.uow(), ctx.email, PasswordLinkPurpose.RESET)
    minutes = round((sent.expires_at - ctx.services.clock.now()).total_seconds() / 60)
    ctx.finish()
    ctx.say(
        "password.sent",
        email=mask_email(ctx.email),
        minutes=minutes,
        sender=ctx.uow().policy.mail_sender,
    )
