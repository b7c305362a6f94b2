"""Choosing a CPS level (R8), the sub-step both the level choice and the payment flows
ask: the list as the "available levels" switch stands, the member's answer, and why a
member cannot choose (not invited yet, already a member)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.domain.services.member_state import member_state
from bot.domain.services.membership import level_choices
from bot.domain.types import InvitationStatus
from bot.flows.context import Context
from bot.flows.form import KEPT, Ask, FlowData, Outcome, Then
from bot.flows.messages import Button, Reply
from bot.nlu.entities.choices import parse_payment_method, parse_tier
from bot.nlu.entities.text import squash

SWITCH_ON, SWITCH_OFF = "levels:on", "levels:off"  # ON: unlocked levels only; OFF: all
ALL_WORDS = frozenset(
    {
        "tutti",
        "tutte",
        "all",
        "every",
        "off",
        "alle",
        "samtliche",
        "tous",
        "toutes",
        "todos",
        "todas",
    }
)
AVAILABLE_WORDS = frozenset(
    {
        *("disponibili", "sbloccati", "available", "unlocked", "on", "verfugbare", "verfugbar"),
        *("freigeschaltete", "disponibles", "debloques", "desbloqueados"),
    }
)
SHORT = frozenset({"on", "off"})  # the switch's own words count only typed alone


@dataclass
class LevelData(FlowData):
    """What choosing a level keeps: the level, the switch, a payment method named early."""

    level: str | None = None  # its code: silver, gold, platinum, corporate
    level_name: str | None = None
    all: bool = False  # the switch OFF: locked levels are listed too
    method: str | None = None  # "card" or "bank_transfer", if already said


def level_step(step: StrEnum, then: Then, goes_to: tuple[StrEnum, ...] = ()) -> Ask:
    """The shared sub-step: the list is the prompt; a chosen level goes on to `then`."""

    def read(ctx: Context, data: LevelData) -> Outcome:
        return answer_level(ctx, data, again=step)

    return Ask(show_levels, read, then=then, goes_to=goes_to)


def blocked(ctx: Context) -> bool:
    """Not invited yet, or already a member: say so and finish; True when it did."""
    assert ctx.email is not None
    state = member_state(ctx.uow(), ctx.email)
    if state["membership"] is not None:
        say_already_member(ctx, state["membership"]["number"])
        return True
    if state["invitation"]["status"] == InvitationStatus.NONE.value:
        threshold = ctx.uow().policy.invitation_points
        say_not_invited(ctx, state["points"], max(0, threshold - state["points"]))
        return True
    return False


def say_already_member(ctx: Context, number: str) -> None:
    ctx.finish()
    ctx.say("level_choice.already_member", number=number)


def say_not_invited(ctx: Context, points: int, needed: int) -> None:
    ctx.finish()
    ctx.say(
        "level_choice.not_invited",
        Button("menu.register", "flow:register_product"),
        Button("menu.fix", "flow:fix_details"),
        points=points,
        needed=needed,
        threshold=ctx.uow().policy.invitation_points,
    )


def show_levels(ctx: Context, data: LevelData) -> None:
    """The level list, as the switch stands (ON unless the member turned it OFF)."""
    assert ctx.email is not None
    show_all = data.all
    choices = level_choices(ctx.uow(), ctx.email, only_available=not show_all)
    lines, buttons = [], []
    for o in choices.options:
        state = "open" if o.unlocked else "locked"
        params = {"name": o.name, "min": o.min_points, "needed": o.points_needed}
        lines.append(Reply(f"level_choice.line_{state}", params))
        buttons.append(Button(f"level_choice.button_{state}", f"level:{o.code}", params))
    switch = ("switch_to_on", SWITCH_ON) if show_all else ("switch_to_off", SWITCH_OFF)
    buttons.append(Button(f"level_choice.{switch[0]}", switch[1]))
    key = "level_choice.all_levels" if show_all else "level_choice.available_levels"
    ctx.say(key, *buttons, points=choices.points, lines=lines)


def tier_in(ctx: Context) -> str | None:
    if ctx.payload:
        return ctx.payload.removeprefix("level:") if ctx.payload.startswith("level:") else None
    return ctx.entity("tier") or parse_tier(ctx.text)


def method_in(ctx: Context) -> str | None:
    if ctx.payload:
        return ctx.payload.removeprefix("pay:") if ctx.payload.startswith("pay:") else None
    return ctx.entity("payment_method") or parse_payment_method(ctx.text)


def choose(ctx: Context, data: LevelData, code: str) -> bool:
    """An unlocked level is kept in data; a locked or unknown one is refused (the caller
    shows the list again). True when the level was accepted."""
    assert ctx.email is not None
    options = level_choices(ctx.uow(), ctx.email, only_available=False).options
    option = next((o for o in options if o.code == code), None)
    if option is None:
        ctx.say("level_choice.unknown")
    elif not option.unlocked:
        ctx.say("level_choice.locked", name=option.name, needed=option.points_needed)
    else:
        data.level, data.level_name = option.code, option.name
        ctx.mark("milestone", "level_chosen")
        return True
    return False


def answer_level(ctx: Context, data: LevelData, again: StrEnum) -> Outcome:
    """The level step: KEPT = a level was chosen, `again` = the list is shown again
    (switch, refused level, payment asked too early), None = not understood."""
    code = tier_in(ctx)
    if code:
        return KEPT if choose(ctx, data, code) else again
    method = method_in(ctx)
    if method or ctx.intent == "payment":
        data.method = method or data.method
        ctx.say("payment.level_first")
        return again
    wanted = switch_in(ctx)
    if wanted is not None:
        data.all = wanted
        return again
    if ctx.intent == "choose_tier":
        return again
    return None


def switch_in(ctx: Context) -> bool | None:
    """The switch asked for: True = OFF (all levels), False = ON (available), None = neither."""
    if ctx.payload:
        return {SWITCH_OFF: True, SWITCH_ON: False}.get(ctx.payload)
    words = set(squash(ctx.text).split())
    words -= SHORT if len(words) > 1 else set()
    if tier_in(ctx) is not None or not (ALL_WORDS | AVAILABLE_WORDS) & words:
        return None
    return bool(ALL_WORDS & words)
