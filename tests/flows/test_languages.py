"""Which language a member is served in: the account's, else the app's, else their words'."""

from __future__ import annotations

import pytest

from bot.flows.i18n import default_catalogs

FIVE = ["lang:it", "lang:en", "lang:de", "lang:fr", "lang:es"]


@pytest.mark.parametrize(
    ("email", "question", "language", "words"),
    [
        ("lukas.weber@example.com", "wie viele Punkte habe ich?", "de", "Punkte"),
        ("pierre.martin@example.com", "combien de points ai-je ?", "fr", "points"),
        ("emma.clark@example.com", "how many points do I have?", "en", "points"),
        ("sofia.conti@example.com", "quanti punti ho?", "it", "punti"),
    ],
)
async def test_a_linked_member_is_answered_in_the_accounts_language(
    chat, email, question, language, words
):  # type: ignore[no-untyped-def]
    said = await chat(email).say(question)
    assert said.language == language
    assert words in said.text


@pytest.mark.parametrize("language", ["de", "fr", "es", "en", "it"])
async def test_a_new_chat_is_answered_in_its_apps_language(chat, language):  # type: ignore[no-untyped-def]
    said = await chat(None, language, chat_id=f"app-{language}").say("ok")
    assert said.language == language
    assert said.text == "\n".join(
        default_catalogs().reply_text(language, reply) for reply in said.replies
    )


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Guten Tag, ich möchte meine Kamera registrieren", "de"),
        ("Bonjour, je voudrais enregistrer mon appareil photo", "fr"),
        ("Hola, quiero registrar mi cámara por favor", "es"),
    ],
)
async def test_a_new_chat_without_app_language_is_answered_in_its_words_language(
    chat, text, language
):  # type: ignore[no-untyped-def]
    said = await chat(None, None, chat_id=f"words-{language}").say(text)
    assert said.language == language


async def test_an_app_language_we_do_not_serve_gets_the_default_and_the_five_offered(chat):  # type: ignore[no-untyped-def]
    conversation = chat(None, "pt", chat_id="app-pt")
    said = await conversation.say("olá")
    assert said.language == "it"
    assert said.keys[-1] == "common.language_offer"
    assert [payload for _, payload in said.buttons][-5:] == FIVE
    assert [label for label, _ in said.buttons][-5:] == [
        "Italiano",
        "English",
        "Deutsch",
        "Français",
        "Español",
    ]
    switched = await conversation.press("Deutsch")
    assert switched.language == "de"
    assert "common.language_changed" in switched.keys
    again = await conversation.say("hallo")
    assert again.language == "de" and "common.language_offer" not in again.keys


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("auf Deutsch bitte", "de"),
        ("Können Sie bitte Deutsch sprechen?", "de"),
        ("en français s'il vous plaît", "fr"),
        ("vous pouvez parler français ?", "fr"),
        ("en español, por favor", "es"),
        ("¿puede hablar en español?", "es"),
        ("in italiano per favore", "it"),
        ("can you speak English please?", "en"),
    ],
)
async def test_a_member_switches_language_by_naming_it_in_any_language(chat, text, language):  # type: ignore[no-untyped-def]
    start = "en" if language == "it" else "it"
    conversation = chat("sofia.conti@example.com", start)
    said = await conversation.say(text)
    assert "common.language_changed" in said.keys, said.text
    assert said.language == language
    assert (await conversation.say("quanti punti ho?")).language == language


async def test_asking_for_another_language_offers_all_five_and_a_name_answers(chat):  # type: ignore[no-untyped-def]
    conversation = chat("lukas.weber@example.com")
    said = await conversation.tap("lang:")
    assert said.keys == ["common.which_language"]
    assert [payload for _, payload in said.buttons] == FIVE
    answered = await conversation.say("Deutsch")
    assert answered.language == "de" and "common.language_changed" in answered.keys
