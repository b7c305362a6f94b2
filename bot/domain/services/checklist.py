"""The member's way into CPS along the guide, as a checklist: what is done and what is
still open, in order (password, migration R3/R4, products, ticks R5, points and the
invitation R7, level and payment R9-R12, membership number R13)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.domain import errors
from bot.domain.services.member_state import member_state
from bot.domain.services.migration import migration_preview
from bot.domain.unit_of_work import UnitOfWork

DONE, OPEN, INFO = "done", "open", "info"  # INFO: not for the member to do (R4, waiting)


@dataclass(frozen=True)
class Item:
    name: str  # password | migration | products | ticks | points | invitation | level | number
    state: str  # done | open | info
    detail: str  # which text: "<name>_<detail>"
    params: dict[str, Any] = field(default_factory=dict)


def joining_checklist(uow: UnitOfWork, email: str) -> tuple[Item, ...]:
    state = member_state(uow, email)
    threshold = uow.policy.invitation_points
    products, points = state["products"], int(state["points"])
    incomplete = [p for p in products if not p["points_assigned"]]
    invited = state["invitation"]["status"] != "none"
    membership = state["membership"]
    items = [
        Item("password", DONE, "done") if state["password_set"] else Item("password", OPEN, "open"),
        _migration(uow, email, state["legacy"]),
        Item("products", DONE, "done", {"count": len(products)})
        if products
        else Item("products", OPEN, "open"),
    ]
    if products:  # R5: one line per product without its tick, with what it misses
        items += [
            Item("ticks", OPEN, "missing", {"model": p["model"], "missing": p["missing"]})
            for p in incomplete
        ] or [Item("ticks", DONE, "done")]
    needed = max(0, threshold - points)
    items.append(
        Item(
            "points",
            DONE if needed == 0 else OPEN,
            "done" if needed == 0 else "open",
            {"points": points, "needed": needed, "threshold": threshold},
        )
    )
    items.append(
        Item("invitation", DONE, "done")
        if invited
        else Item("invitation", INFO, "waiting", {"threshold": threshold})
    )
    if membership is not None:
        chosen = {"level": membership["level"], "method": membership["payment_method"]}
        items.append(Item("level", DONE, "done", chosen))
        items.append(Item("number", DONE, "done", {"number": membership["number"]}))
    else:
        items.append(Item("level", OPEN, "open") if invited else Item("level", INFO, "waiting"))
        items.append(Item("number", INFO, "waiting"))
    return tuple(items)


def _migration(uow: UnitOfWork, email: str, legacy: dict[str, Any]) -> Item:
    if legacy["migrated"]:
        return Item("migration", DONE, "done")
    try:
        count = len(migration_preview(uow, email).products)
    except errors.AlreadyMigrated:
        return Item("migration", DONE, "done")
    except errors.MigrationNotOffered as refused:  # R4: why, and that registering works
        return Item("migration", INFO, refused.reason)
    return Item("migration", OPEN, "open", {"count": count})
