"""The form runner: a flow declares its steps, its data and its transitions; this asks,
reads, re-asks and moves on (the way rasa-sdk forms and aiogram scenes do).

A form flow declares, at the top of its module:

    class Step(StrEnum): ...                 # its steps, in the order they are asked
    @dataclass class Data(FlowData): ...     # its typed data, kept in the conversation
    STEPS = {Step.X: Ask(prompt, read, then=..., goes_to=..., back=..., person=...)}

and keeps for itself only what is truly its own: `begin` (where it starts, often after
a domain query) and the domain call its last step makes.

A step's `read(ctx, data)` looks at the member's answer and returns:
- `None`: not understood (the router re-asks, and counts towards a person, R14);
- `KEPT`: the answer is in `data`: go on to the step's `then` (a step, or a function
  choosing one, e.g. "the first detail still missing");
- a `Step`: go there (only steps named in `then` or `goes_to`: the table is the truth);
- `Move(step, fresh=True)`: go there and forget the way back (a new product, a new
  e-mail); `Move(step, asked=True)`: go there, the reader's reply already asked it;
- `SAID`: the reader answered (it explained a problem, showed a list); stay at this step;
- `DONE`: the flow is over (finished, or handed over to the next flow).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import Any, ClassVar, Literal, Self

from bot.flows.base import Flow
from bot.flows.context import Context


class Read(Enum):
    KEPT = "kept"
    SAID = "said"
    DONE = "done"


KEPT, SAID, DONE = Read.KEPT, Read.SAID, Read.DONE


@dataclass(frozen=True)
class Move:
    """Go to `step`; fresh: with no way back to what came before; asked: without asking
    (what the reader said already asks it)."""

    step: StrEnum
    fresh: bool = False
    asked: bool = False


Outcome = Read | StrEnum | Move | None


class FlowData:
    """A flow's typed data, saved in the conversation state as a JSON object.

    `renamed` maps keys written by an earlier version to today's fields, so a member in
    the middle of a flow during an upgrade carries on (keys no field knows are dropped).
    """

    renamed: ClassVar[Mapping[str, str]] = {}

    @classmethod
    def load(cls, raw: Mapping[str, Any]) -> Self:
        names = {field.name for field in dataclasses.fields(cls)}  # type: ignore[arg-type]
        values = {cls.renamed.get(key, key): value for key, value in raw.items()}
        return cls(**{key: value for key, value in values.items() if key in names})

    def dump(self) -> dict[str, Any]:
        return dataclasses.asdict(self)  # type: ignore[call-overload, no-any-return]


Prompt = Callable[[Context, Any], None]
Reader = Callable[[Context, Any], Outcome]
Then = StrEnum | Callable[[Context, Any], Outcome]


@dataclass(frozen=True)
class Ask:
    """One step: how it is asked, how its answer is read, and where it may lead.

    free_text: any text is the answer (only buttons and exact command words interrupt);
    back: the step "back" returns to (None: the one before it; False: none);
    person: the handoff reason when the member asks for a person at this step;
    secret: its answer is a one-time secret (a code): the transcript keeps a marker;
    ready: whether the step can be asked with this data (a summary needs every field):
    "back" passes over a step that is not, e.g. after the domain refused a detail.
    """

    prompt: Prompt
    read: Reader
    then: Then | None = None
    goes_to: tuple[StrEnum, ...] = ()
    free_text: bool = False
    back: StrEnum | Literal[False] | None = None
    person: str | None = None
    secret: bool = False
    ready: Callable[[Any], bool] | None = None

    def leads_to(self, step: StrEnum) -> bool:
        return step == self.then or step in self.goes_to


class Form(Flow):
    """A flow run from its declaration (module docstring)."""

    Step: ClassVar[type[StrEnum]]
    Data: ClassVar[type[FlowData]]
    STEPS: ClassVar[Mapping[Any, Ask]]
    # Whether "back" leads to the first step when begin() went past it (a level chosen in
    # the level list before the payment): False where nothing before was shown to the member.
    back_to_first: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "STEPS" in cls.__dict__:
            cls.free_text_steps = frozenset(str(s) for s, a in cls.STEPS.items() if a.free_text)
            cls.secret_steps = frozenset(str(s) for s, a in cls.STEPS.items() if a.secret)

    # -- what a form flow writes ---------------------------------------------------------
    def begin(self, ctx: Context, data: Any) -> Outcome:
        """Where the flow starts: its first step, unless it says otherwise (the first step
        is then where "back" leads, unless the step declares another way back)."""
        return self.first

    @property
    def first(self) -> Any:
        return next(iter(self.STEPS))

    # -- the runner ----------------------------------------------------------------------
    def start(self, ctx: Context) -> None:
        data = self.Data.load(ctx.data)
        ctx.state["step"] = str(self.first)
        outcome = self.begin(ctx, data)
        if not self.back_to_first and outcome is not SAID and ctx.flow == self.name:
            ctx.state["step"] = None  # gone past the first step unasked: not a way back
        self._follow(ctx, data, None, outcome)

    def handle(self, ctx: Context) -> bool:
        step = self._current(ctx)
        if step is None:
            return False
        data = self.Data.load(ctx.data)
        outcome = self.STEPS[step].read(ctx, data)
        if outcome is None:
            return False
        self._follow(ctx, data, step, outcome)
        return True

    def reprompt(self, ctx: Context) -> None:
        step = self._current(ctx)
        if step is not None:
            self.STEPS[step].prompt(ctx, self.Data.load(ctx.data))

    def back(self, ctx: Context) -> bool:
        step = self._current(ctx)
        target = self.STEPS[step].back if step is not None else False
        if target is False:
            return False
        if target is None:
            return self._back_in_history(ctx)
        ctx.state["step"] = str(target)
        self.reprompt(ctx)
        return True

    def _back_in_history(self, ctx: Context) -> bool:
        """The latest step of the way here that can be asked with today's data."""
        history, data = ctx.state.get("history") or [], self.Data.load(ctx.data)
        while history:
            try:
                earlier = self.Step(history.pop())
            except ValueError:  # a step this version no longer has
                continue
            ready = self.STEPS[earlier].ready
            if ready is None or ready(data):
                ctx.state["step"] = str(earlier)
                self.reprompt(ctx)
                return True
        return False

    def handoff_reason(self, ctx: Context) -> str | None:
        step = self._current(ctx)
        return self.STEPS[step].person if step is not None else None

    def _current(self, ctx: Context) -> Any:
        try:
            return self.Step(ctx.step) if ctx.step else None
        except ValueError:  # a step this version no longer has
            return None

    def _follow(self, ctx: Context, data: FlowData, step: Any, outcome: Outcome) -> None:
        """Apply a reader's outcome: move on, ask the next step, or end."""
        while outcome is KEPT:
            then = self.STEPS[step].then
            outcome = then(ctx, data) if callable(then) else then
        if outcome is DONE or ctx.flow != self.name:
            return
        if outcome is SAID:
            ctx.state["data"] = data.dump()
            return
        assert outcome is not None, f"{self.name}: `then` of {step} gave no step"
        move = outcome if isinstance(outcome, Move) else Move(outcome)
        if step is not None and move.step != step:
            assert self.STEPS[step].leads_to(move.step), f"{self.name}: {step} -> {move.step}"
        if move.fresh:
            ctx.state.update(step=None, history=[])
        if move.step != ctx.step:
            ctx.goto(str(move.step))
        ctx.state["data"] = data.dump()
        if not move.asked:
            self.STEPS[move.step].prompt(ctx, data)
