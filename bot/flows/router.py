"""Decides what a turn means: a global command, a digression, the active step, or a new flow."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.domain.services.events import CANCELLED
from bot.flows.base import Flow, Registry
from bot.flows.context import Context
from bot.flows.goals.handoff import escalate
from bot.flows.live_chat import live_turn
from bot.flows.messages import Button
from bot.nlu.entities.choices import parse_language
from bot.nlu.entities.text import fold

SURE = 0.5  # below this an intent does not interrupt a flow
MISSES_BEFORE_PERSON = 3
DIGRESSIONS = frozenset({"check_points", "invitation_status", "membership_number"})
CANCEL_WORDS = frozenset({"cancel", "annulla", "stop", "abbrechen", "annuler", "cancelar"})
# "torna indietro", "oops go back", "zurück bitte", "revenir en arrière", "volver": one step
# back, in five languages, never read as cancelling (tried before the cancel command)
_POLITE = r"(?:please|pls|bitte|per favore|perfavore|por favor|s'il vous plait|svp|dai|ok)"
_OOPS = (
    r"(?:oops|ops|oups|ups|uy|ay|oh|ah|no|sorry|scusa|scusi|pardon|perdon|perdona|hoppla|"
    rf"mince|{_POLITE})"
)
_BACK = (
    r"(?:torna(?:re|iamo)?|vai|andiamo|go|step|get|geh(?:e|en)?|einen schritt|noch ?mal|"
    r"revenir|retourner|revenons|on revient|volver|vuelve|vuelva|regresar|ir|un paso)?\s*"
    r"(?:indietro|back|zur(?:u|ue)ck|en arriere|arriere|retour|atras|"
    r"al passo precedente|to the previous step|zum vorherigen schritt|a l'etape precedente|"
    r"al paso anterior)|volver|regresar|passo precedente|previous step|vorheriger schritt|"
    r"etape precedente|paso anterior"
)
BACK = re.compile(
    rf"^(?:{_OOPS}[\s,!.]*)*(?:{_BACK})(?:[\s,!.]*(?:{_POLITE}|un passo|one step|"
    r"einen schritt))*[\s,!.]*$"
)


# The main menu, in order: what each entry says and what pressing it does.
MENU = (
    Button("menu.register", "flow:register_product"),
    Button("menu.migrate", "flow:migrate_products"),
    Button("menu.fix", "flow:fix_details"),
    Button("menu.products", "flow:my_products"),
    Button("menu.points", "flow:points"),
    Button("menu.levels", "flow:level_choice"),
    Button("menu.password", "flow:password"),
    Button("menu.next", "flow:next_steps"),
    Button("menu.person", "cmd:human"),
)


def menu(ctx: Context, key: str = "common.menu") -> None:
    ctx.say(key, *MENU)


def route(ctx: Context, flows: Registry) -> None:
    _route(ctx, flows)
    while (handed := ctx.state.pop("hand_over", None)) is not None:  # one flow to the next
        start(ctx, flows, flows.get(handed["flow"]), **handed["data"])


def _route(ctx: Context, flows: Registry) -> None:
    if live_turn(ctx):  # a person has the chat (relayed), or it asks for their rating
        ctx.outcome = "live"
        return
    if ctx.flow is None and ctx.payload is None and _asked_for(ctx, flows):
        return
    if ctx.flow is None and _faq(ctx, flows, preempt=True):
        return
    if ctx.payload and ctx.payload.startswith("flow:") and ctx.flow is not None:
        wanted = flows.get(ctx.payload.removeprefix("flow:"))
        if wanted is not None and wanted.name != ctx.flow:  # the member chose another goal
            start(ctx, flows, wanted)  # which ends this one, as cancelled
            return
    active = flows.get(ctx.flow)
    if active is not None and ctx.step in active.free_text_steps:
        if _command(ctx, flows, typed=False):
            return
        if active.handle(ctx):
            ctx.state["misses"] = 0  # misses count in a row, not over the whole flow
        else:
            _misunderstood(ctx, flows, active)
        return
    if _command(ctx, flows):
        return
    if active is not None:
        if _digression(ctx, flows, active):
            return
        if active.handle(ctx):
            ctx.state["misses"] = 0
        else:
            _misunderstood(ctx, flows, active)
        return
    if ctx.payload and ctx.payload.startswith("flow:"):
        start(ctx, flows, flows.get(ctx.payload.removeprefix("flow:")))
        return
    if flows.for_payload(ctx.payload) is not None:  # a button of a flow that has ended
        start(ctx, flows, flows.for_payload(ctx.payload))
        return
    chosen = flows.for_intent(ctx.intent) if ctx.nlu and ctx.nlu.confidence >= SURE else None
    if chosen is not None:
        start(ctx, flows, chosen)
    elif ctx.intent == "greet" and ctx.payload is None:
        menu(ctx, "common.welcome")
    elif ctx.intent in ("thanks", "goodbye") and ctx.nlu and ctx.nlu.confidence >= SURE:
        ctx.say(f"common.{ctx.intent}")
    else:
        _misunderstood(ctx, flows, None)


def start(ctx: Context, flows: Registry, flow: Flow | None, **data: object) -> None:
    if flow is None:
        menu(ctx)
        return
    ctx.state["misses"] = 0
    if ctx.flow is not None and ctx.flow != flow.name:  # left for another goal (a person)
        ctx.finish(CANCELLED)
    if flow.needs_account and ctx.email is None:
        linking = flows.get("link_account")
        if linking is not None:
            ctx.begin("link_account", then=flow.name)
            linking.start(ctx)
            return
    ctx.begin(flow.name, **data)
    flow.start(ctx)


def _asked_for(ctx: Context, flows: Registry) -> bool:
    """A request only one flow answers, in the words that mean it (Flow.asked_by)."""
    text = fold(ctx.text)
    wanted = next((f for f in flows.by_name.values() if f.asked_for(ctx, text)), None)
    if wanted is None:
        return False
    start(ctx, flows, wanted)
    return True


def _faq(ctx: Context, flows: Registry, preempt: bool = False) -> bool:
    """A close FAQ match answers before an intent starts a flow ("who sends the e-mail?")."""
    faq = flows.get("faq")
    return faq is not None and faq.answers(ctx, preempt=preempt)


def _command(ctx: Context, flows: Registry, typed: bool = True) -> bool:
    """A global command (COMMANDS) ran. typed=False: in a free-text step only buttons and
    exact command words count, not what the NLU reads into the text."""
    payload, text = ctx.payload or "", ctx.text.lower().lstrip("/")
    sure = typed and bool(ctx.nlu and ctx.nlu.confidence >= SURE)
    # a button or the command's own words first ("/start" is not the NLU's "cancel")
    for intent in (None, ctx.intent) if sure else (None,):
        for command in COMMANDS:
            if command.meant(payload, text, intent):
                command.run(ctx, flows)
                return True
    return False


def _back(ctx: Context, flows: Registry) -> None:
    active = flows.get(ctx.flow)
    if active is None or not active.back(ctx):
        ctx.say("common.cannot_go_back")
        _reprompt(ctx, flows)


def _cancel(ctx: Context, _flows: Registry) -> None:
    had_flow = ctx.flow is not None
    ctx.finish(CANCELLED)
    menu(ctx, "common.cancelled" if had_flow else "common.nothing_to_cancel")


def _person(ctx: Context, flows: Registry) -> None:
    active = flows.get(ctx.flow)
    reason = active.handoff_reason(ctx) if active is not None else None
    start(ctx, flows, flows.get("handoff"), **({"reason": reason} if reason else {}))


def _language(ctx: Context, flows: Registry) -> None:
    chosen = (ctx.payload or "").removeprefix("lang:") or ctx.entity("language")
    _change_language(ctx, flows, chosen)


def _restart(ctx: Context, flows: Registry) -> None:
    """/start: a linked member sees where they are (their checklist), others the menu."""
    ctx.finish(CANCELLED)
    checklist = flows.get("next_steps")
    if ctx.email is not None and checklist is not None:
        counted = len(ctx.marks)
        start(ctx, flows, checklist, welcome=True)
        del ctx.marks[counted:]  # a greeting, not a goal reached: the report does not count it
        return
    menu(ctx, "common.welcome")


def _show_menu(ctx: Context, _flows: Registry) -> None:
    ctx.finish(CANCELLED)
    menu(ctx)


@dataclass(frozen=True)
class Command:
    """A command that works at any step: its button, the words typed for it, the intent
    that means it (when the NLU is sure), and what it does."""

    payload: str  # a button's payload, or a prefix of them ending in ":"
    run: Callable[[Context, Registry], None]
    words: frozenset[str] = frozenset()
    intent: str | None = None

    phrase: re.Pattern[str] | None = None  # whole messages that mean it ("go back")

    def meant(self, payload: str, text: str, intent: str | None) -> bool:
        prefix = self.payload.endswith(":")
        pressed = payload.startswith(self.payload) if prefix else payload == self.payload
        said = text in self.words or bool(
            self.phrase and not payload and self.phrase.match(fold(text))
        )
        return pressed or said or (intent is not None and intent == self.intent)


def _digression(ctx: Context, flows: Registry, active: Flow) -> bool:
    """A question from another topic is answered, then the current step is asked again."""
    if ctx.payload or not ctx.nlu or ctx.intent not in DIGRESSIONS or active.name == "points":
        return False
    if ctx.nlu.confidence < 0.8 or ctx.nlu.entities:
        return False
    answer = flows.for_intent(ctx.intent)
    if answer is None or (answer.needs_account and ctx.email is None):
        return False
    with ctx.aside(answer.name):
        answer.start(ctx)
    ctx.say("common.back_to_flow")
    active.reprompt(ctx)
    return True


def _misunderstood(ctx: Context, flows: Registry, active: Flow | None) -> None:
    misses = int(ctx.state.get("misses", 0)) + 1
    ctx.state["misses"] = misses
    if misses < MISSES_BEFORE_PERSON and active is None and _faq(ctx, flows):
        ctx.state["misses"] = 0  # the FAQ knew it: understood after all
        return
    ctx.outcome = "not_understood"
    if misses >= MISSES_BEFORE_PERSON:  # R14: a person takes over what the bot cannot
        ctx.state["misses"] = 0
        number, _ = escalate(ctx, "misunderstood")
        ctx.say(
            "handoff.misunderstood",
            Button("common.keep_trying", "cmd:menu" if active is None else "cmd:help"),
            number=str(number),
        )
        if ctx.email is None:
            ctx.say("handoff.not_linked")
        return
    if active is None:
        menu(ctx, "common.not_understood")
        return
    ctx.say("common.not_understood_step")
    active.reprompt(ctx)


def _help(ctx: Context, flows: Registry) -> None:
    active = flows.get(ctx.flow)
    if active is None:
        menu(ctx, "common.help")
        return
    ctx.say(
        f"{active.name}.help",
        Button("common.cancel", "cmd:cancel"),
        Button("common.talk_to_person", "cmd:human"),
    )
    active.reprompt(ctx)


def _change_language(ctx: Context, flows: Registry, wanted: str | None) -> None:
    language = wanted or parse_language(ctx.text)
    if language not in ctx.services.languages:
        ctx.say("common.which_language", *language_buttons(ctx))
        return
    ctx.language = language
    ctx.say("common.language_changed")
    _reprompt(ctx, flows)


def language_buttons(ctx: Context) -> tuple[Button, ...]:
    """One button per language members are served in, each labelled in its own language."""
    return tuple(Button(f"language.{code}", f"lang:{code}") for code in ctx.services.languages)


def offer_languages(ctx: Context) -> None:
    """After a first answer in the default language because the member's own is not one
    we serve: the languages we do, to switch with one press."""
    ctx.say("common.language_offer", *language_buttons(ctx))


def _reprompt(ctx: Context, flows: Registry) -> None:
    active = flows.get(ctx.flow)
    if active is not None:
        active.reprompt(ctx)


# Tried in this order on every turn (in a free-text step, buttons and words only).
COMMANDS = (
    Command("cmd:back", _back, phrase=BACK),
    Command("cmd:cancel", _cancel, CANCEL_WORDS, "cancel"),
    Command("cmd:help", _help, intent="help"),
    Command("cmd:human", _person, intent="human_handoff"),
    Command("lang:", _language, intent="change_language"),
    Command("cmd:start", _restart, frozenset({"start"})),  # "/start" typed in any chat
    Command("cmd:menu", _show_menu, frozenset({"menu"})),
)
