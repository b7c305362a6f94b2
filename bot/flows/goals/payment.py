"""R9-R13: card or bank transfer, a summary to confirm, then an active membership at once.

Steps: level (only when none was chosen yet: the shared `levels` sub-step) -> method ->
confirm. The membership number shown is the new one enrol() gives (R13).
"""

from __future__ import annotations

from decimal import Decimal

from bot.domain import errors
from bot.domain.services.membership import enrol, level_choices
from bot.domain.types import PaymentMethod
from bot.flows.base import Flow, yes_no
from bot.flows.context import Context
from bot.flows.goals.levels import (
    answer_level,
    blocked,
    choose,
    method_in,
    say_already_member,
    say_not_invited,
    show_levels,
    tier_in,
)
from bot.flows.messages import Button, Key

METHODS = frozenset(m.value for m in PaymentMethod)


class Payment(Flow):
    name = "payment"
    intents = frozenset({"payment"})
    payloads = frozenset({"pay"})

    def start(self, ctx: Context) -> None:
        if "level" not in ctx.data and blocked(ctx):
            return
        method = ctx.data.get("method") or method_in(ctx)
        ctx.data["method"] = method if method in METHODS else None
        ctx.goto("level")
        if "level" not in ctx.data:
            code = tier_in(ctx)
            if code is None:
                ctx.say("payment.level_first")
                show_levels(ctx)
                return
            if not choose(ctx, code):
                return
        self._level_chosen(ctx)

    def reprompt(self, ctx: Context) -> None:
        if ctx.step == "level":
            show_levels(ctx)
        elif ctx.step == "method":
            ctx.say(
                "payment.ask_method",
                Button("payment.card", "pay:card"),
                Button("payment.bank_transfer", "pay:bank_transfer"),
                Button("common.back", "cmd:back"),
                level=ctx.data["level_name"],
                card_days=ctx.uow().policy.payment_terms.card_due_days,
                **self._fee(ctx),
            )
        elif ctx.step == "confirm":
            method = ctx.data["method"]
            ctx.say(
                "payment.confirm",
                *yes_no(),
                level=ctx.data["level_name"],
                method=Key(f"payment.{method}"),
                note=Key(f"payment.note_{method}"),
                **self._fee(ctx),
            )

    def handle(self, ctx: Context) -> bool:
        if ctx.step == "level":
            chosen = answer_level(ctx)
            if chosen:
                self._level_chosen(ctx)
            return chosen is not None
        if ctx.step == "method":
            return self._method(ctx)
        if ctx.step == "confirm":
            return self._confirm(ctx)
        return False

    def _level_chosen(self, ctx: Context) -> None:
        ctx.goto("confirm" if ctx.data.get("method") else "method")
        if ctx.step == "confirm":
            ctx.state["history"].append("method")  # back from the summary: the method
        self.reprompt(ctx)

    def _method(self, ctx: Context) -> bool:
        method = method_in(ctx)
        if method in METHODS:
            ctx.data["method"] = method
            ctx.goto("confirm")
            self.reprompt(ctx)
            return True
        code = tier_in(ctx)
        if code is None:
            return False
        if choose(ctx, code):  # a different level named at this step
            self.reprompt(ctx)
        else:
            ctx.goto("level")
        return True

    def _confirm(self, ctx: Context) -> bool:
        if ctx.said_no():
            ctx.finish()
            ctx.say("payment.not_enrolled", Button("menu.levels", "flow:level_choice"))
            return True
        if ctx.said_yes():
            self._enrol(ctx)
            return True
        method = method_in(ctx)
        if method in METHODS:  # "actually by card": the summary again with the new method
            ctx.data["method"] = method
            self.reprompt(ctx)
            return True
        return False

    def _enrol(self, ctx: Context) -> None:
        assert ctx.email is not None
        level, name = ctx.data["level"], ctx.data["level_name"]
        try:
            done = enrol(ctx.uow(), ctx.email, level, PaymentMethod(ctx.data["method"]))
        except errors.AlreadyMember as exc:
            say_already_member(ctx, exc.number)
            return
        except errors.NotInvited as exc:
            say_not_invited(ctx, exc.points, exc.points_needed)
            return
        except errors.LevelLocked as exc:
            ctx.say("level_choice.locked", name=name, needed=exc.points_missing)
            ctx.goto("level")
            show_levels(ctx)
            return
        except errors.UnknownLevel:
            ctx.say("level_choice.unknown")
            ctx.goto("level")
            show_levels(ctx)
            return
        ctx.finish()
        ctx.say("payment.done", level=name, number=done.number)
        ctx.say(
            f"payment.invoice_{done.payment_method.value}",
            invoice=done.invoice_number,
            amount=done.amount,
            currency=done.currency,
            due_date=done.due_date,
        )

    @staticmethod
    def _fee(ctx: Context) -> dict[str, Decimal | str]:
        """The chosen level's yearly fee, as the invoice will show it."""
        assert ctx.email is not None
        options = level_choices(ctx.uow(), ctx.email, only_available=False).options
        fee = next(o.annual_fee for o in options if o.code == ctx.data["level"])
        return {"fee": fee, "currency": ctx.uow().policy.invoice_currency}
