"""Every flow the bot knows; the router starts them by intent or by button."""

from __future__ import annotations

import importlib

from bot.flows.base import Flow, Registry

# module:Class, one per member goal; a flow still being written is simply not listed.
FLOWS = (
    "bot.flows.goals.points:Points",
    "bot.flows.goals.password:Password",
    "bot.flows.goals.handoff:Handoff",
    "bot.flows.goals.faq:Faq",
    "bot.flows.goals.migrate_products:MigrateProducts",
    "bot.flows.goals.link_account:LinkAccount",
    "bot.flows.goals.level_choice:LevelChoice",
    "bot.flows.goals.payment:Payment",
    "bot.flows.goals.membership_number:MembershipNumber",
    "bot.flows.goals.register_product:RegisterProduct",
    "bot.flows.goals.fix_details:FixDetails",
    "bot.flows.goals.my_products:MyProducts",
    "bot.flows.goals.next_steps:NextSteps",
)


def build_registry(names: tuple[str, ...] = FLOWS) -> Registry:
    flows: list[Flow] = []
    for spec in names:
        module, _, cls = spec.partition(":")
        flows.append(getattr(importlib.import_module(module), cls)())
    return Registry(flows)
