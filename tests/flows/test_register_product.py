"""register_product and fix_details where a YAML scenario cannot reach.

- A first message naming model, date and dealer at once pre-fills all three; the embedded
  NLU currently calls that long sentence `inform`, so the intent is pinned here.
- fix_details sending the R7 invitation needs a product without a tick that crosses 500
  points, which no demo member has: it is registered incomplete through the domain first.
"""

from __future__ import annotations

import dataclasses

from bot.bootstrap import App, build_dialogue
from bot.domain.services.member_state import member_state
from bot.domain.services.products import Details, register_product
from bot.nlu.result import ParseResult
from tests.flows.harness import Chat


class RegisterIntent:
    """The embedded parser, with the intent of "vorrei registrare ..." pinned."""

    def __init__(self, inner) -> None:  # type: ignore[no-untyped-def]
        self.inner = inner

    async def parse(self, text: str, language: str | None = None) -> ParseResult:
        found: ParseResult = await self.inner.parse(text, language)
        if text.startswith("vorrei registrare"):
            return dataclasses.replace(found, intent="register_product", confidence=1.0)
        return found

    async def aclose(self) -> None:
        return None


async def test_first_message_prefills_model_date_and_dealer(app: App, embedded) -> None:  # type: ignore[no-untyped-def]
    engine = build_dialogue(app, RegisterIntent(embedded))
    chat = Chat(engine, chat_id="giulia")
    engine.link(chat.key, "giulia.rossi@example.com")

    said = await chat.say("vorrei registrare la mia R5 comprata a marzo 2022 da MediaWorld")
    assert said.keys == ["register_product.ask_serial"]
    said = await chat.say("012021007777")
    assert said.keys == ["register_product.ask_country"]
    said = await chat.press("Italia")
    assert said.keys == ["register_product.summary"]
    for shown in ("EOS R5", "marzo 2022", "Paese: Italia", "Rivenditore: MediaWorld"):
        assert shown in said.text
    said = await chat.press("yes")
    assert said.keys == ["register_product.done", "register_product.invited"]

    product = member_state(app.uow(), "giulia.rossi@example.com")["products"][0]
    assert (product["dealer"], product["purchase_date"]) == ("MediaWorld", "2022-03-01")


async def test_fix_details_crossing_500_points_sends_the_invitation(app: App, chat) -> None:  # type: ignore[no-untyped-def]
    email = "marco.bianchi@example.com"
    register_product(app.uow(), email, "eos-r5", Details(serial_number="012021005555"))
    conversation = chat(email)

    said = await conversation.say("vorrei completare i dati dei miei prodotti")
    assert said.keys == ["fix_details.product", "register_product.ask_date"]
    assert "numero di serie" not in said.texts[0]  # only what is missing is asked
    await conversation.say("primavera 2022")
    await conversation.press("Italia")
    said = await conversation.say("un negozio a Milano")
    assert said.keys == ["fix_details.ticked", "fix_details.end", "register_product.invited"]
    assert "500 punti" in said.text

    state = member_state(app.uow(), email)
    assert (state["points"], state["invitation"]["status"]) == (500, "sent")
    product = state["products"][0]
    assert product["purchase_date_precision"] == "season"
    assert product["dealer"] == "un negozio a Milano"
    assert product["points_assigned"] is True


async def test_fix_details_goes_through_each_product_and_a_skip_is_remembered(
    app: App, chat
) -> None:  # type: ignore[no-untyped-def]
    email = "marco.bianchi@example.com"
    register_product(app.uow(), email, "eos-r6-mark-ii", Details(country="IT", dealer="Foto Rossi"))
    register_product(app.uow(), email, "rf-50-f1-2l", Details(serial_number="2210003333"))
    conversation = chat(email, "en")

    said = await conversation.say("complete my product details")
    assert said.keys == ["fix_details.intro", "fix_details.product", "register_product.ask_serial"]
    assert "EOS R6 Mark II, RF 50mm F1.2L USM" in said.text
    said = await conversation.press("Skip this product")
    assert said.keys == ["fix_details.skipped", "fix_details.product", "register_product.ask_date"]
    await conversation.say("summer 2023")
    await conversation.say("Italy")
    said = await conversation.say("a shop in Rome")
    assert said.keys == [
        "fix_details.ticked",
        "fix_details.end_skipped",
        "register_product.to_invitation",
    ]
    assert "You now have 200 points" in said.text
    assert "Still to complete: EOS R6 Mark II" in said.text

    products = member_state(app.uow(), email)["products"]
    assert [p["points_assigned"] for p in products] == [False, True]
    assert products[1]["country"] == "IT"


async def test_the_first_question_offers_no_back_when_nothing_was_asked_before(chat):  # type: ignore[no-untyped-def]
    """The model named in the first message: the serial is the first question, so no
    "Back" (there is no earlier step the member saw); after it, Back returns to it."""
    conversation = chat("sofia.conti@example.com")
    said = await conversation.say("voglio registrare la mia EOS R5")
    assert said.keys == ["register_product.ask_serial"]
    assert "cmd:back" not in [payload for _, payload in said.buttons]
    said = await conversation.say("indietro")
    assert said.keys == ["common.cannot_go_back", "register_product.ask_serial"]
    said = await conversation.say("012021009999")
    assert said.keys == ["register_product.ask_date"]
    assert "cmd:back" in [payload for _, payload in said.buttons]
    said = await conversation.press("Indietro")
    assert said.keys == ["register_product.ask_serial"]
