"""A greeting that opens a request is not the request ("hey there! how many pts…")."""

from __future__ import annotations

import pytest

from bot.nlu.greeting import past_the_greeting


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("hey there! how many pts have i got?", "check_points"),
        ("ciao! quanti punti ho accumulato finora?", "check_points"),
        ("Guten Tag, ich möchte mein Passwort zurücksetzen", "reset_password"),
        ("hola, quiero registrar mi cámara nueva", "register_product"),
        ("hello from emma", "greet"),
        ("buongiorno a tutti", "greet"),
    ],
)
async def test_the_request_after_a_greeting_is_what_is_read(embedded, text, intent):
    first = await embedded.parse(text)
    assert (await past_the_greeting(embedded.parse, text, first)).intent == intent


async def test_entities_of_the_request_point_into_the_whole_message(embedded):
    text = "Bonjour, je voudrais enregistrer mon EOS R5"
    read = await past_the_greeting(embedded.parse, text, await embedded.parse(text))
    product = read.entity("product")
    assert read.text == text and product is not None
    assert text[product.start : product.end] in ("EOS R5", "R5")  # not shifted off the word
