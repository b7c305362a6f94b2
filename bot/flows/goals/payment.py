"""R9-R13: card or bank transfer, a summary to confirm, then an active membership at once.

The membership number shown is the new one enrol() gives (R13).
"""

from __future__ import annotations

from enum import StrEnum

from bot.domain import errors
from bot.domain.services.events import DECLINED
from bot.domain.services.membership import enrol, level_choices
from bot.domain.types import PaymentMethod
from bot.flows.base import yes_no
from bot.flows.context import Context
from bot.flows.form import DONE, KEPT, Ask, Form, Outcome
from bot.flows.goals.levels import (
    LevelData,
    blocked,
    choose,
    level_step,
    method_in,
    say_already_member,
    say_not_invited,
    tier_in,
)
from bot.flows.messages import Button, Key, Money

METHODS = frozenset(m.value for m in PaymentMethod)


class Step(StrEnum):
    LEVEL = "level"  # only when no level was chosen yet (the shared `levels` sub-step)
    METHOD = "method"  # card or bank transfer
    CONFIRM = "confirm"  # the summary: level, method, fee


def after_level(ctx: Context, data: LevelData) -> Outcome:
    return Step.CONFIRM if data.method else Step.METHOD


def ask_method(ctx: Context, data: LevelData) -> None:
    ctx.say(
        "payment.ask_method",
        Button("payment.card", "pay:card"),
        Button("payment.bank_transfer", "pay:bank_transfer"),
        Button("common.back", "cmd:back"),
        level=data.level_name,
        card_days=ctx.uow().policy.payment_terms.card_due_days,
        **fee(ctx, data),
    )


def method_given(ctx: Context, data: LevelData) -> Outcome:
    method = method_in(ctx)
    if method in METHODS:
        data.method = method
        return KEPT
    code = tier_in(ctx)
    if code is None:
        return None
    return Step.METHOD if choose(ctx, data, code) else Step.LEVEL  # another level named


CHANGE_LEVEL, CHANGE_METHOD = "pay:change:level", "pay:change:method"


def summary(ctx: Context, data: LevelData) -> None:
    ctx.say(
        "payment.confirm",
        *yes_no(),
        Button("payment.change_level", CHANGE_LEVEL),
        Button("payment.change_method", CHANGE_METHOD),
        level=data.level_name,
        method=Key(f"payment.{data.method}"),
        note=Key(f"payment.note_{data.method}"),
        **fee(ctx, data),
    )


def confirmed(ctx: Context, data: LevelData) -> Outcome:
    """Yes, no, a field's button, or a change in words applied at once ("anzi no, meglio
    il Platinum", "actually by card"): the summary again with what was read."""
    if ctx.payload in (CHANGE_LEVEL, CHANGE_METHOD):
        return Step.LEVEL if ctx.payload == CHANGE_LEVEL else Step.METHOD
    code, method = tier_in(ctx), method_in(ctx)
    if code is not None and code != data.level:
        return Step.CONFIRM if choose(ctx, data, code) else Step.LEVEL
    if method in METHODS and method != data.method:
        data.method = method
        return Step.CONFIRM
    if ctx.said_no():
        ctx.finish(DECLINED)
        ctx.say("payment.not_enrolled", Button("menu.levels", "flow:level_choice"))
        return DONE
    if ctx.said_yes():
        return enrolled(ctx, data)
    return None


STEPS = {
    Step.LEVEL: level_step(Step.LEVEL, then=after_level, goes_to=(Step.METHOD, Step.CONFIRM)),
    Step.METHOD: Ask(ask_method, method_given, then=Step.CONFIRM, goes_to=(Step.LEVEL,)),
    Step.CONFIRM: Ask(summary, confirmed, goes_to=(Step.LEVEL, Step.METHOD), back=Step.METHOD),
}


class Payment(Form):
    name = "payment"
    intents = frozenset({"payment"})
    payloads = frozenset({"pay"})
    Step, Data, STEPS = Step, LevelData, STEPS

    def begin(self, ctx: Context, data: LevelData) -> Outcome:
        if data.level is None and blocked(ctx):
            return DONE
        method = data.method or method_in(ctx)
        data.method = method if method in METHODS else None
        if data.level is None:
            code = tier_in(ctx)
            if code is None:
                ctx.say("payment.level_first")
                return Step.LEVEL
            if not choose(ctx, data, code):
                return Step.LEVEL
        return after_level(ctx, data)


def enrolled(ctx: Context, data: LevelData) -> Outcome:
    """The domain call: enrol, then the number and the invoice; a refusal explained."""
    assert ctx.email is not None and data.level is not None and data.method is not None
    try:
        done = enrol(ctx.uow(), ctx.email, data.level, PaymentMethod(data.method))
    except errors.AlreadyMember as exc:
        say_already_member(ctx, exc.number)
        return DONE
    except errors.NotInvited as exc:
        say_not_invited(ctx, exc.points, exc.points_needed)
        return DONE
    except errors.LevelLocked as exc:
        ctx.say("level_choice.locked", name=data.level_name, needed=exc.points_missing)
        return Step.LEVEL
    except errors.UnknownLevel:
        ctx.say("level_choice.unknown")
        return Step.LEVEL
    ctx.finish()
    ctx.say("payment.done", level=data.level_name, number=done.number)
    ctx.say(
        f"payment.invoice_{done.payment_method.value}",
        invoice=done.invoice_number,
        amount=Money(done.amount, done.currency),
        due_date=done.due_date,
    )
    return DONE


def fee(ctx: Context, data: LevelData) -> dict[str, Money]:
    """The chosen level's yearly fee, as the invoice will show it."""
    assert ctx.email is not None
    options = level_choices(ctx.uow(), ctx.email, only_available=False).options
    amount = next(o.annual_fee for o in options if o.code == data.level)
    return {"fee": Money(amount, ctx.uow().policy.invoice_currency)}
