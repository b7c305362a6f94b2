"""What a flow sees during one turn: the member, the conversation, the understood message."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.domain.ports import Clock
from bot.domain.services.events import COMPLETED, Mark
from bot.domain.unit_of_work import UnitOfWork
from bot.flows.messages import Button, Reply, Turn
from bot.nlu.entities.dealers import DealerDirectory
from bot.nlu.entities.products import ProductCatalogue
from bot.nlu.result import ParseResult

YES = frozenset({"affirm"})
NO = frozenset({"deny"})


@dataclass
class Services:
    """The domain and the parsers, wired once in bootstrap."""

    uow: Callable[[], UnitOfWork]
    catalogue: ProductCatalogue
    dealers: DealerDirectory
    clock: Clock
    default_language: str = "it"
    faq: Any = None
    languages: tuple[str, ...] = ("it", "en", "de", "fr", "es")  # the settings' list


class Context:
    def __init__(
        self,
        services: Services,
        state: dict[str, Any],
        email: str | None,
        language: str,
        turn: Turn,
        nlu: ParseResult | None,
    ) -> None:
        self.services = services
        self.state = state
        self.email = email
        self.language = language
        self.turn = turn
        self.nlu = nlu
        self.replies: list[Reply] = []
        self.staff_news = False  # this turn queued something for staff (an escalation, a line)
        # What the turn did, for the report: flows started and ended, handoffs, milestones;
        # and how it went ("understood", "not_understood", "live": a person has the chat).
        self.marks: list[Mark] = []
        self.outcome = "understood"
        self._aside: str | None = None

    # -- what the member sent ------------------------------------------------------------
    @property
    def text(self) -> str:
        return (self.turn.text or "").strip()

    @property
    def payload(self) -> str | None:
        return self.turn.payload

    @property
    def intent(self) -> str | None:
        return self.nlu.intent if self.nlu else None

    def entity(self, name: str) -> str | None:
        found = self.nlu.entity(name) if self.nlu else None
        return found.value if found else None

    def said_yes(self) -> bool:
        return self.payload == "yes" or (self.payload is None and self.intent in YES)

    def said_no(self) -> bool:
        return self.payload == "no" or (self.payload is None and self.intent in NO)

    # -- where the conversation is -------------------------------------------------------
    @property
    def flow(self) -> str | None:
        return self.state.get("flow")

    @property
    def step(self) -> str | None:
        return self.state.get("step")

    @property
    def data(self) -> dict[str, Any]:
        return self.state.setdefault("data", {})

    @property
    def escalation(self) -> int | None:
        """The escalation this chat opened and a person may still answer (R14)."""
        return self.state.get("escalation")

    @escalation.setter
    def escalation(self, number: int | None) -> None:
        if number is None:
            self.state.pop("escalation", None)
        else:
            self.state["escalation"] = number

    @property
    def can_go_back(self) -> bool:
        return bool(self.state.get("history"))

    def begin(self, flow: str, step: str | None = None, **data: Any) -> None:
        self.state.update(flow=flow, step=step, data=dict(data), history=[])
        self.mark("flow", flow, "started")

    def goto(self, step: str) -> None:
        history = self.state.setdefault("history", [])
        if self.step and (not history or history[-1] != self.step):
            history.append(self.step)
        self.state["step"] = step

    def finish(self, outcome: str = COMPLETED) -> None:
        """The flow ends: `outcome` is what it says of its goal (completed; declined by the
        member at its confirmation; cancelled, or left for another goal)."""
        if self.flow is not None and self._aside is None:
            self.mark("flow", self.flow, outcome)
        for key in ("flow", "step", "data", "history"):
            self.state.pop(key, None)

    @contextmanager
    def aside(self, flow: str) -> Iterator[None]:
        """A digression: `flow` answers inside the active flow, which then goes on where it
        was (its step and data are kept; the answer counts as `flow` started and done)."""
        saved = {key: self.state.get(key) for key in ("flow", "step", "data", "history")}
        self.mark("flow", flow, "started")
        self._aside = flow
        try:
            yield
        finally:
            self._aside = None
            self.state.update(saved)
        self.mark("flow", flow, COMPLETED)

    def mark(self, kind: str, name: str, detail: str | None = None, **facts: Any) -> None:
        """Records a fact of this turn for the report (`bot.domain.services.events`)."""
        self.marks.append(Mark(kind, name, detail, **facts))

    def hand_over(self, flow: str, **data: Any) -> None:
        """This flow is done; `flow` starts now with `data` (the router starts it)."""
        self.finish()
        self.state["hand_over"] = {"flow": flow, "data": data}

    # -- answering -----------------------------------------------------------------------
    def say(self, key: str, *buttons: Button, **params: Any) -> None:
        self.replies.append(Reply(key, params, tuple(buttons)))

    @property
    def today(self) -> date:
        return self.services.clock.now().date()

    def uow(self) -> UnitOfWork:
        return self.services.uow()
