"""The shape of a flow, and the registry the router starts them from."""

from __future__ import annotations

import re
from typing import ClassVar

from bot.flows.context import Context
from bot.flows.messages import Button


class Flow:
    """One member goal. Steps are strings kept in the conversation; data is plain JSON.

    start() says the first prompt; handle() reads the member's answer for the current step
    and returns False when it did not understand it (the engine counts misunderstandings);
    reprompt() asks the current step's question again (after help or a digression).
    """

    name: ClassVar[str]
    intents: ClassVar[frozenset[str]] = frozenset()
    payloads: ClassVar[frozenset[str]] = frozenset()  # its button prefixes: "pay" of "pay:card"
    needs_account: ClassVar[bool] = True
    # Steps where any text is the answer: only buttons and exact command words interrupt.
    free_text_steps: ClassVar[frozenset[str]] = frozenset()
    secret_steps: ClassVar[frozenset[str]] = frozenset()  # answers never kept as typed
    # Requests that mean this flow whatever the NLU reads ("show me my products": not a
    # registration), matched on the folded text before any intent or FAQ.
    asked_by: ClassVar[re.Pattern[str] | None] = None

    def asked_for(self, ctx: Context, folded: str) -> bool:
        """The turn's words ask for this flow, whatever the NLU's intent (`asked_by`)."""
        return self.asked_by is not None and self.asked_by.search(folded) is not None

    def start(self, ctx: Context) -> None:
        raise NotImplementedError

    def handle(self, ctx: Context) -> bool:
        return False

    def reprompt(self, ctx: Context) -> None:
        return None

    def answers(self, ctx: Context, preempt: bool = False) -> bool:
        """Whether this flow answered the turn outside any step (the FAQ does); `preempt`:
        only a close match, before an intent starts a flow."""
        return False

    def handoff_reason(self, ctx: Context) -> str | None:
        """Why a person is needed when the member asks for one at this step (None: their
        own request)."""
        return None

    def back(self, ctx: Context) -> bool:
        """Go to the previous step; False when there is none."""
        history = ctx.state.get("history") or []
        if not history:
            return False
        ctx.state["step"] = history.pop()
        self.reprompt(ctx)
        return True


def yes_no() -> tuple[Button, Button]:
    return Button("common.yes", "yes"), Button("common.no", "no")


class Registry:
    def __init__(self, flows: list[Flow]) -> None:
        self.by_name = {flow.name: flow for flow in flows}
        self.by_intent = {intent: flow for flow in flows for intent in flow.intents}
        self.by_payload = {prefix: flow for flow in flows for prefix in flow.payloads}

    def get(self, name: str | None) -> Flow | None:
        return self.by_name.get(name) if name else None

    def for_intent(self, intent: str | None) -> Flow | None:
        return self.by_intent.get(intent) if intent else None

    def for_payload(self, payload: str | None) -> Flow | None:
        """The flow that owns a button, so one pressed after its flow ended reopens it."""
        return self.by_payload.get(payload.partition(":")[0]) if payload else None
