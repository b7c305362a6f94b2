"""R1: set or reset the password through a single-use link e-mailed to the account.

The bot never asks for, accepts or stores a password: it only sends the link.
"""

from __future__ import annotations

from bot.domain import errors
from bot.domain.services.accounts import password_is_set, send_password_link
from bot.domain.types import PasswordLinkPurpose
from bot.flows.base import Flow, yes_no
from bot.flows.context import Context


def masked(email: str) -> str:
    """a***@example.com: enough to recognise, not enough to harvest."""
    name, _, domain = email.partition("@")
    return f"{name[:1]}***@{domain}"


class Password(Flow):
    name = "password"
    intents = frozenset({"set_password", "reset_password"})

    def start(self, ctx: Context) -> None:
        assert ctx.email is not None
        password_set = password_is_set(ctx.uow(), ctx.email)
        purpose = PasswordLinkPurpose.RESET if password_set else PasswordLinkPurpose.SET
        ctx.data["purpose"] = purpose.value
        ctx.goto("confirm")
        self.reprompt(ctx)

    def reprompt(self, ctx: Context) -> None:
        assert ctx.email is not None
        ctx.say(f"password.offer_{ctx.data['purpose']}", *yes_no(), email=masked(ctx.email))

    def handle(self, ctx: Context) -> bool:
        assert ctx.email is not None
        if ctx.said_no():
            ctx.finish()
            ctx.say("password.not_sent")
            return True
        if not ctx.said_yes():
            return False
        purpose = PasswordLinkPurpose(ctx.data["purpose"])
        try:
            sent = send_password_link(ctx.uow(), ctx.email, purpose)
        except errors.PasswordAlreadySet:
            sent = send_password_link(ctx.uow(), ctx.email, PasswordLinkPurpose.RESET)
        minutes = round((sent.expires_at - ctx.services.clock.now()).total_seconds() / 60)
        ctx.finish()
        ctx.say(
            "password.sent",
            email=masked(ctx.email),
            minutes=minutes,
            sender=ctx.uow().policy.mail_sender,
        )
        return True
