"""What the YAML scenarios cannot say: the number given on joining is the one asked later."""

from __future__ import annotations

from bot.domain.services.member_state import member_state


async def test_lukas_gets_a_new_number_and_the_same_one_when_asking(chat, app):  # type: ignore[no-untyped-def]
    lukas = chat("lukas.weber@example.com", "it")
    await lukas.say("vorrei il livello Corporate")
    await lukas.press("pay:card")
    joined = await lukas.press("yes")
    number = member_state(app.uow(), "lukas.weber@example.com")["membership"]["number"]
    assert number != "CPS-OLD-0042"
    assert number in joined.text
    asked = await lukas.say("qual è il mio numero di iscrizione?")
    assert asked.keys == ["membership_number.yours"]
    assert number in asked.text


async def test_a_second_enrolment_says_the_number_and_that_it_is_active(chat, app):  # type: ignore[no-untyped-def]
    sofia = chat("sofia.conti@example.com", "en")
    await sofia.say("I want the Gold level")
    await sofia.press("pay:bank_transfer")
    await sofia.press("yes")
    number = member_state(app.uow(), "sofia.conti@example.com")["membership"]["number"]
    again = await sofia.say("how do I pay?")
    assert again.keys == ["level_choice.already_member"]
    assert number in again.text and "active" in again.text


async def test_every_text_exists_in_italian_and_english(chat):  # type: ignore[no-untyped-def]
    from bot.flows.i18n import default_catalogs

    catalogs = default_catalogs()
    for flow in ("level_choice", "payment", "membership_number"):
        italian = {k for k in catalogs.texts["it"] if k.startswith(f"{flow}.")}
        english = {k for k in catalogs.texts["en"] if k.startswith(f"{flow}.")}
        assert italian == english and f"{flow}.help" in italian
