"""Every form's declaration is whole: each step has its row in STEPS, each row leads only
to the form's own steps, and the runner refuses a move the table does not name."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import pytest

from bot.flows.context import Context
from bot.flows.form import KEPT, Ask, FlowData, Form
from bot.flows.messages import Turn
from bot.flows.registry import build_registry

FORMS = [flow for flow in build_registry().by_name.values() if isinstance(flow, Form)]


def test_the_flows_with_steps_are_forms():
    assert {f.name for f in FORMS} >= {
        "password", "handoff", "link_account", "migrate_products", "level_choice",
        "payment", "register_product", "fix_details",
    }  # fmt: skip


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f.name)
def test_every_step_is_declared_once_and_leads_to_the_forms_own_steps(form):
    assert set(form.STEPS) == set(form.Step)
    for ask in form.STEPS.values():
        targets = [*ask.goes_to, *([ask.then] if isinstance(ask.then, StrEnum) else [])]
        assert all(isinstance(t, form.Step) for t in targets), form.name
        assert ask.back in (None, False) or isinstance(ask.back, form.Step)


class Step(StrEnum):
    ONE = "one"
    TWO = "two"
    THREE = "three"


@dataclass
class Data(FlowData):
    pass


def _say(key):  # type: ignore[no-untyped-def]
    return lambda ctx, data: ctx.say(key)


LEAPING = {  # ONE leads only to TWO, but its reader jumps to THREE
    Step.ONE: Ask(_say("one"), lambda ctx, data: Step.THREE, then=Step.TWO),
    Step.TWO: Ask(_say("two"), lambda ctx, data: KEPT),
    Step.THREE: Ask(_say("three"), lambda ctx, data: KEPT),
}


class Leaping(Form):
    name = "leaping"
    Step, Data, STEPS = Step, Data, LEAPING


def test_a_move_the_table_does_not_name_is_refused(engine):
    state = {"flow": "leaping", "step": "one", "data": {}}
    turn = Turn("test", "member-1", text="three please")
    ctx = Context(engine.services, state, None, "en", turn, None)
    with pytest.raises(AssertionError, match="one -> three"):
        Leaping().handle(ctx)
