"""Linking an unlinked chat with the e-mailed code, then carrying on with what was asked."""

from __future__ import annotations

from sqlalchemy import select

from bot.domain.models import OutboxEmail


def _codes(app, email: str) -> list[str]:  # type: ignore[no-untyped-def]
    with app.uow() as uow:
        query = (
            select(OutboxEmail)
            .where(OutboxEmail.kind == "link_code", OutboxEmail.recipient == email)
            .order_by(OutboxEmail.id)
        )
        return [mail.template_data["code"] for mail in uow.session.scalars(query)]


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


async def test_unlinked_chat_links_then_gets_its_points_italian(chat, app):  # type: ignore[no-untyped-def]
    conversation = chat()
    said = await conversation.say("quanti punti ho?")
    assert said.keys == ["link_account.intro", "link_account.ask_email"]
    said = await conversation.say("sofia.conti@example.com")
    assert said.keys == ["link_account.code_sent"]
    [code] = _codes(app, "sofia.conti@example.com")
    said = await conversation.say(f"{code[:3]} {code[3:]}")
    assert said.keys == ["link_account.linked", "points.summary"]
    assert "collegata al tuo account sofia.conti@example.com" in said.text
    assert "Hai 2.000 punti" in said.text
    assert ("Continua", "flow:points") not in said.buttons  # the answer is already here
    said = await conversation.say("quanti punti ho?")  # linked now: no code asked again
    assert said.keys == ["points.summary"]


async def test_wrong_code_is_asked_again_then_the_right_one_links_english(chat, app):  # type: ignore[no-untyped-def]
    conversation = chat(language="en")
    await conversation.say("how many points do I have?")
    await conversation.say("my e-mail is emma.clark@example.com")
    [code] = _codes(app, "emma.clark@example.com")
    said = await conversation.say(_wrong(code))
    assert said.keys == ["link_account.wrong_code"]
    assert "attempts left: 2" in said.text
    said = await conversation.say(code)
    assert said.keys == ["link_account.linked", "points.summary"]
    assert "You have 400 points" in said.text


async def test_three_wrong_codes_start_over(chat, app):  # type: ignore[no-untyped-def]
    conversation = chat(language="en")
    await conversation.say("how many points do I have?")
    await conversation.say("emma.clark@example.com")
    [code] = _codes(app, "emma.clark@example.com")
    for _ in range(2):
        await conversation.say(_wrong(code))
    said = await conversation.say(_wrong(code))
    assert said.keys == ["link_account.too_many"]
    said = await conversation.say(code)  # the e-mail is asked again: a code is not one
    assert said.keys == ["link_account.bad_email"]
    await conversation.say("emma.clark@example.com")
    _first, second = _codes(app, "emma.clark@example.com")
    said = await conversation.say(second)
    assert said.keys == ["link_account.linked", "points.summary"]


async def test_the_code_expires_after_ten_minutes_and_a_new_one_works(chat, app, clock):  # type: ignore[no-untyped-def]
    conversation = chat(language="en")
    await conversation.say("how many points do I have?")
    await conversation.say("emma.clark@example.com")
    [old] = _codes(app, "emma.clark@example.com")
    clock.advance(minutes=10)
    said = await conversation.say(old)
    assert said.keys == ["link_account.expired"]
    said = await conversation.press("Send me a new code")
    assert said.keys == ["link_account.code_sent"]
    _, new = _codes(app, "emma.clark@example.com")
    said = await conversation.say(new)
    assert said.keys == ["link_account.linked", "points.summary"]


async def test_an_unknown_email_gets_no_code_and_the_same_answer(chat, app):  # type: ignore[no-untyped-def]
    known, unknown = chat(chat_id="a"), chat(chat_id="b")
    for conversation, email in ((known, "emma.clark@example.com"), (unknown, "nobody@example.com")):
        await conversation.say("quanti punti ho?")
        said = await conversation.say(email)
        assert said.keys == ["link_account.code_sent"]
        assert said.buttons == [
            ("Mandami un nuovo codice", "link:resend"),
            ("Usa un'altra e-mail", "link:email"),
        ]
    assert _codes(app, "nobody@example.com") == []
    assert len(_codes(app, "emma.clark@example.com")) == 1


async def test_linking_resumes_the_migration_that_was_asked(chat, app):  # type: ignore[no-untyped-def]
    conversation = chat()
    await conversation.say("voglio migrare i prodotti dal vecchio account")
    await conversation.say("giulia.rossi@example.com")
    [code] = _codes(app, "giulia.rossi@example.com")
    said = await conversation.say(code)
    assert said.keys == ["link_account.linked", "migrate_products.preview"]
    said = await conversation.press("Sì")
    assert said.keys == ["migrate_products.done"]
    assert "Ora hai 700 punti" in said.text
