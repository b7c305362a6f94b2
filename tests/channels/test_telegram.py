"""The Telegram channel end to end: the real PTB stack against a fake Bot API on loopback.

Every bot here is built by `build_application` (tests/channels/conftest.py), polling the
fake, except the webhook tests, which drive the project's Starlette app in-process. Waits
are bounded waits on the fake's call log; nothing sleeps.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import httpx
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bot.bootstrap import bootstrap
from bot.cli.main import app as cli
from bot.domain.models import OutboxEmail
from bot.flows.i18n import default_catalogs
from bot.flows.messages import Button, Reply, Turn
from bot.handlers.telegram_render import CallbackData, split_text
from bot.handlers.webhook import SECRET_HEADER
from bot.settings import PROJECT_ROOT
from tests.channels.conftest import SECRET, TOKEN, WEBHOOK_URL, polling_bot, poster
from tests.channels.loopback import free_port
from tests.leftovers import leftovers

GIULIA, EMMA, SOFIA, STRANGER = 101, 202, 303, 404
LUKAS, PIERRE, LUCIA = 505, 606, 707


def link(application, chat_id: int, email: str) -> None:  # type: ignore[no-untyped-def]
    """Set-up shortcut, like the console's --as: the chat already linked to a demo member."""
    application.channel.engine.link(f"telegram:{chat_id}", email)


def codes(application, email: str) -> list[str]:  # type: ignore[no-untyped-def]
    with application.channel.engine.services.uow() as uow:
        query = select(OutboxEmail).where(
            OutboxEmail.kind == "link_code", OutboxEmail.recipient == email
        )
        return [mail.template_data["code"] for mail in uow.session.scalars(query)]


# -- start-up -----------------------------------------------------------------------------
async def test_commands_are_published_per_language(bot, fake):
    async with bot():
        calls = fake.called("setMyCommands")
    by_language = {c.params.get("language_code"): c.params for c in calls}
    assert set(by_language) == {None, "it", "en", "de", "fr", "es"}
    for params in by_language.values():
        assert params["scope"] == {"type": "all_private_chats"}
        names = [c["command"] for c in params["commands"]]
        assert names == ["start", "help", "cancel", "language", "human", "forget"]
    assert by_language["en"]["commands"][5]["description"] == "Erase our conversation"
    assert by_language["it"]["commands"][3]["description"] == "Cambia lingua"
    described = {lang: by_language[lang]["commands"][0]["description"] for lang in by_language}
    assert len(set(described.values()) - {described[None]}) == 4  # each app its own words
    assert fake.calls[0].method == "getMe"
    assert {c.token for c in fake.calls} == {fake.token}


# -- the main flows -----------------------------------------------------------------------
async def test_points_in_english_with_typing_first(bot, fake, member):
    async with bot() as application:
        link(application, EMMA, "emma.clark@example.com")
        answers = await member(EMMA, "en").say("how many points do I have?", "400 points")
    assert any("EOS R8" in a for a in answers)
    [typing] = fake.called("sendChatAction", chat_id=EMMA)
    assert typing.params["action"] == "typing"
    assert typing.at <= fake.called("sendMessage", chat_id=EMMA)[0].at
    assert all("parse_mode" not in c.params for c in fake.called("sendMessage"))


async def test_an_unlinked_chat_links_by_emailed_code_then_gets_points_in_italian(
    bot, fake, member
):
    sofia = member(SOFIA, "it")
    async with bot() as application:
        await sofia.say("quanti punti ho?", "collegare la chat")
        await sofia.say("sofia.conti@example.com", "6 cifre")
        [code] = codes(application, "sofia.conti@example.com")
        answers = await sofia.say(code, "Hai 2.000 punti")
    assert "collegata al tuo account sofia.conti@example.com" in "\n".join(answers)


async def test_password_link_by_button_in_italian_and_the_button_works_once(bot, fake, member):
    giulia = member(GIULIA, "it")
    async with bot() as application:
        link(application, GIULIA, "giulia.rossi@example.com")
        await giulia.say("come imposto la password?", "non è ancora impostata")
        asked = fake.message_with_button(GIULIA, "Sì")
        assert asked is not None
        await giulia.press("Sì", "donotreply@canoneurope.com", "60 minuti")
        [answer] = fake.called("answerCallbackQuery")
        closed = fake.messages[(GIULIA, asked["message_id"])]
        assert "reply_markup" not in closed and closed["text"].endswith("» Sì")
        # a second press on the same message (a double tap) is answered, not acted on
        sent = len(fake.sent(GIULIA))
        fake.inject(fake.callback_update(GIULIA, asked, "yes"))
        second = await fake.wait_for(lambda: fake.called("answerCallbackQuery")[1:])
    assert second[0].params["text"] == "Hai già scelto."
    assert answer.params["callback_query_id"] != second[0].params["callback_query_id"]
    assert len(fake.sent(GIULIA)) == sent


async def test_registration_with_buttons_in_english(bot, fake, member):
    emma = member(EMMA, "en")
    async with bot() as application:
        link(application, EMMA, "emma.clark@example.com")
        await emma.say("I'd like to register my EOS R8", "serial number")
        await emma.say("083023009999", "When did you buy it?")
        await emma.say("around spring 2020", "United Kingdom")
        await emma.press("United Kingdom")
        await emma.say("Wex Photo Video", "Confirm and register")
        answers = await emma.press("Confirm and register", "You now have 600 points")
    assert "+200 points" in "\n".join(answers)
    assert all(len(row) <= 3 for c in fake.called("sendMessage") for row in _rows(c))


async def test_level_choice_and_payment_in_italian(bot, fake, member):
    sofia = member(SOFIA, "it")
    async with bot() as application:
        link(application, SOFIA, "sofia.conti@example.com")
        await sofia.say("quali livelli posso scegliere?", "Livelli CPS disponibili: ON")
        await sofia.press("Platinum", "non addebitiamo nulla subito")
        await sofia.press("Bonifico bancario", "Livello: Platinum")
        answers = await sofia.press("Sì", "attiva da subito")
    assert "CPS-" in "\n".join(answers)


async def test_start_menu_and_a_deep_link(bot, fake, member):
    emma = member(EMMA, "en")
    async with bot() as application:
        link(application, EMMA, "emma.clark@example.com")
        answers = await emma.say("/start", "Hello! I'm the CPS assistant")
        assert "400 points: 100 more to reach 500" in answers[-1]  # her checklist
        assert ("Register a product", "flow:register_product") in fake.buttons(EMMA)
        await emma.press("Other options", "What would you like to do?")
        assert ("Points and invitation", "flow:points") in fake.buttons(EMMA)
        await emma.say("/start points", "You have 400 points")
        await emma.say("/help", "I can help you set your password")


async def test_language_command_offers_languages_and_switches(bot, fake, member):
    giulia = member(GIULIA, "it")
    async with bot():
        await giulia.say("/language", "In che lingua preferisci?")
        answers = await giulia.press("English", "I'll speak English from now on")
        sticker = {"file_id": "s1", "file_unique_id": "u1", "width": 512, "height": 512}
        await giulia.send(
            giulia.message(
                sticker={**sticker, "is_animated": False, "is_video": False, "type": "regular"}
            ),
            "I can only read text",
        )
    assert answers


async def test_german_and_french_members_are_answered_in_their_language(bot, fake, member):
    async with bot() as application:
        link(application, LUKAS, "lukas.weber@example.com")
        link(application, PIERRE, "pierre.martin@example.com")
        german = await member(LUKAS, "de").say("wie viele Punkte habe ich?", "2.600 Punkte")
        french = await member(PIERRE, "fr").say("combien de points ai-je ?", "points")
    assert "EOS R5 Mark II" in "\n".join(german)
    assert "1\u202f200" in "\n".join(french)  # French thousands: a narrow no-break space


async def test_a_new_member_is_welcomed_in_the_language_of_their_telegram_app(bot, fake, member):
    welcome = default_catalogs().render("es", "common.welcome")
    async with bot():
        answers = await member(LUCIA, "es").say("/start", welcome[:30])
    assert any(a.startswith(welcome) for a in answers)


async def test_forget_asks_first_then_erases_the_conversation(bot, fake, member):
    emma = member(EMMA, "en")
    async with bot() as application:
        link(application, EMMA, "emma.clark@example.com")
        await emma.say("/forget", "Do you want me to erase our conversation?")
        await emma.press("No, keep it", "I have kept everything")
        await emma.say("how many points do I have?", "400 points")
        await emma.say("/forget", "Do you want me to erase our conversation?")
        await emma.press("Yes, erase it", "I have erased our conversation")
        await emma.say("how many points do I have?", "business account")  # asks to link again


async def test_forget_leaves_nothing_in_any_table_that_ties_the_chat_to_the_person(
    bot, fake, member, settings
):
    chat_id, problem = 918273645, "my R8 shows Err 70 next to the zebra sticker"
    emma = member(chat_id, "en")
    database = bootstrap(settings)
    try:
        async with bot() as application:
            await emma.say("how many points do I have?", "link this chat")
            await emma.say("emma.clark@example.com", "6-digit code")
            [code] = codes(application, "emma.clark@example.com")
            await emma.say(code, "400 points")
            await emma.say("I want to talk to a person", "what do you need?")
            await emma.say(problem, "request no. 1")
            chat = (str(chat_id), problem, "zebra", code)
            assert len(leftovers(database.engine, *chat)) > 5
            await emma.say("/forget", "Do you want me to erase our conversation?")
            await emma.press("Yes, erase it", "I have erased our conversation")
        assert leftovers(database.engine, *chat) == []  # also once the bot has stopped
    finally:
        database.close()


async def test_typing_can_wait_until_the_work_takes_noticeable_time(
    settings, fake, member, stub_engine
):
    release = asyncio.Event()

    async def slow(turn: Turn) -> list[Reply]:
        if turn.text == "slow":
            await asyncio.wait_for(release.wait(), 5)
        return [Reply(f"done {turn.text}")]

    patient = settings.model_copy(update={"telegram_typing_after_seconds": 0.05})
    emma = member(EMMA, "en")
    async with polling_bot(patient, engine=stub_engine(slow)):
        await emma.say("fast", "done fast")
        assert fake.called("sendChatAction") == []  # answered before anyone could notice
        fake.inject(emma.message("slow"))
        await fake.wait_for(lambda: fake.called("sendChatAction", chat_id=EMMA))
        release.set()
        await fake.wait_for(lambda: "done slow" in fake.sent(EMMA))
    [typing] = fake.called("sendChatAction")
    assert typing.at < fake.called("sendMessage")[-1].at


# -- what the engine never sees -------------------------------------------------------------
async def test_a_typed_password_is_deleted_and_warned(bot, fake, member):
    emma = member(EMMA, "en")
    async with bot() as application:
        link(application, EMMA, "emma.clark@example.com")
        update = emma.message("Summer2024!")
        answers = await emma.send(update, "Never type your password")
    message_id = update["message"]["message_id"]
    [deleted] = fake.called("deleteMessage", chat_id=EMMA)
    assert deleted.params["message_id"] == message_id
    assert (EMMA, message_id) not in fake.messages
    assert "Summer2024!" not in "\n".join(answers)


async def test_a_broken_character_typed_as_the_dealer_does_not_stick_the_member(bot, fake, member):
    """A lone surrogate (half an emoji) is valid JSON but not UTF-8: cleaned at the door."""
    emma = member(EMMA, "en")
    async with bot() as application:
        link(application, EMMA, "emma.clark@example.com")
        await emma.say("I'd like to register my EOS R8", "serial")
        await emma.say("083023001177", "When")
        await emma.say("March 2024", "country")
        await emma.say("UK", "shop")
        answers = await emma.say("Fotostudio Rossi \ud83d", "Confirm")
        assert "Dealer: Fotostudio Rossi \ufffd" in "\n".join(answers)
        await emma.press("Confirm and register", "You now have")


@pytest.mark.parametrize(
    ("language", "text_only", "edited", "unknown"),
    [
        ("it", "solo messaggi di testo", "nuovo messaggio", "Non conosco il comando /foo"),
        ("en", "only read text messages", "as a new message", "I don't know the command /foo"),
    ],
)
async def test_non_text_messages_edits_and_unknown_commands_are_answered_politely(
    bot, fake, member, language, text_only, edited, unknown
):
    someone = member(STRANGER, language)
    file = {"file_id": "f1", "file_unique_id": "u1"}
    async with bot():
        await someone.send(someone.message(photo=[{**file, "width": 90, "height": 90}]), text_only)
        offered = [data for _, data in fake.buttons(STRANGER)]  # "or choose an option": here
        assert "flow:register_product" in offered and "cmd:human" in offered
        await someone.send(someone.message(voice={**file, "duration": 3}), text_only)
        await someone.send(someone.message(document={**file, "file_name": "a.pdf"}), text_only)
        await someone.send(someone.message("ciao", kind="edited_message"), edited)
        await someone.say("/foo", unknown)
        answers = await someone.say("/human", "")
    assert answers  # the bot is still answering


async def test_group_messages_are_refused_politely_in_the_members_language(bot, fake, member):
    group = member(-100123, "en")
    async with bot():
        await group.say("hello bot", "I only chat in private")
        await group.say("/start", "I only chat in private")
    assert fake.called("sendChatAction") == []


async def test_long_replies_are_split_under_the_limit(bot, fake, member, stub_engine):
    ok = (Button("ok", "ok"),)
    engine = stub_engine(lambda turn: [Reply("x" * 5000 + "\n\n" + "y" * 5000, buttons=ok)])
    async with bot(engine=engine):
        fake.inject(fake.message_update(EMMA, "tell me everything"))
        answers = await fake.wait_for(lambda: len(fake.sent(EMMA)) == 3 and fake.sent(EMMA))
    assert all(len(a) <= 4096 for a in answers)
    assert "".join(answers).replace("\n", "") == "x" * 5000 + "y" * 5000
    assert [bool(c.params.get("reply_markup")) for c in fake.called("sendMessage")] == [
        False,
        False,
        True,
    ]


async def test_a_failing_turn_gets_an_apology_and_the_bot_goes_on(bot, fake, member, stub_engine):
    def explode(turn: Turn) -> list[Reply]:
        if turn.text == "boom":
            raise RuntimeError("engine down")
        return [Reply("fine")]

    emma = member(EMMA, "en")
    async with bot(engine=stub_engine(explode)):
        await emma.say("boom", "something went wrong on my side")
        await emma.say("still there?", "fine")


# -- reliability ----------------------------------------------------------------------------
async def test_a_duplicate_update_is_answered_once(bot, fake, member):
    emma = member(EMMA, "en")
    async with bot() as application:
        link(application, EMMA, "emma.clark@example.com")
        update = emma.message("how many points do I have?")
        await emma.send(update, "400 points")
        fake.inject(update)  # Telegram delivers it again
        await emma.say("thanks", "")
    assert sum("400 points" in text for text in fake.sent(EMMA)) == 1


async def test_a_429_with_fractional_retry_after_is_honoured(bot, fake, member):
    fake.fail("sendMessage", 429, retry_after=0.25)
    emma = member(EMMA, "en")
    async with bot() as application:
        link(application, EMMA, "emma.clark@example.com")
        await emma.say("how many points do I have?", "400 points")
    refused, delivered = [c for c in fake.calls if c.method == "sendMessage"][:2]
    assert refused.status == 429 and delivered.status == 200
    assert delivered.at - refused.at >= 0.25


async def test_5xx_answers_are_retried_with_backoff(bot, fake, member):
    fake.fail("sendMessage", 502, times=2)
    async with bot() as application:
        link(application, EMMA, "emma.clark@example.com")
        await member(EMMA, "en").say("how many points do I have?", "400 points")
    tries = [c for c in fake.calls if c.method == "sendMessage"]
    assert [c.status for c in tries[:3]] == [502, 502, 200]
    # backoff 0.01 s, then 0.02 s (lower bounds: a loaded machine only adds to them)
    assert tries[1].at - tries[0].at >= 0.009 and tries[2].at - tries[1].at >= 0.019


async def test_a_4xx_is_not_retried_and_a_failed_typing_action_does_not_block(bot, fake, member):
    fake.fail("sendChatAction", 400)
    async with bot() as application:
        link(application, EMMA, "emma.clark@example.com")
        await member(EMMA, "en").say("how many points do I have?", "400 points")
    assert [c.status for c in fake.calls if c.method == "sendChatAction"] == [400]


async def test_a_restart_mid_flow_resumes_where_it_was(bot, fake, member):
    emma = member(EMMA, "en")
    async with bot() as application:
        link(application, EMMA, "emma.clark@example.com")
        await emma.say("I'd like to register my EOS R8", "serial number")
    async with bot():  # a new process: engine, database connections and PTB all new
        await emma.say("083023009999", "When did you buy it?")


async def test_chats_run_concurrently_and_each_chat_in_order(bot, fake, member, stub_engine):
    b_done = asyncio.Event()
    seen: list[str] = []

    async def slow_a(turn: Turn) -> list[Reply]:
        seen.append(turn.text or "")
        if turn.text == "a1":
            await asyncio.wait_for(b_done.wait(), 5)  # only a concurrent chat B can free it
        if turn.text == "b1":
            b_done.set()
        return [Reply(f"echo {turn.text}")]

    async with bot(engine=stub_engine(slow_a)):
        for update in [
            fake.message_update(EMMA, "a1"),
            fake.message_update(EMMA, "a2"),
            fake.message_update(GIULIA, "b1"),
            fake.message_update(EMMA, "a3"),
        ]:
            fake.inject(update)
        await fake.wait_for(lambda: len(fake.sent(EMMA)) == 3 and fake.sent(GIULIA))
    assert fake.sent(EMMA) == ["echo a1", "echo a2", "echo a3"]
    assert seen.index("b1") < seen.index("a2")


def _rows(call):  # type: ignore[no-untyped-def]
    markup = call.params.get("reply_markup") or {"inline_keyboard": []}
    return markup["inline_keyboard"]


async def test_an_unknown_long_payload_token_says_the_button_expired(bot, fake, member):
    async with bot():
        await member(EMMA, "en").say("/start", "Hello")
        menu = fake.message_with_button(EMMA, "Password")
        fake.inject(fake.callback_update(EMMA, menu, "~0123456789abcdef", language="en"))
        answer = await fake.wait_for(lambda: fake.called("answerCallbackQuery"))
    assert "expired" in answer[0].params["text"]
    assert "reply_markup" not in fake.messages[(EMMA, menu["message_id"])]


def test_long_payloads_travel_as_short_tokens_and_texts_split_by_utf16_units():
    data = CallbackData()
    payload = "faq:" + "x" * 100
    token = data.encode(payload)
    assert len(token.encode()) <= 64 and data.decode(token) == payload
    assert data.encode("pay:card") == "pay:card" and data.decode("pay:card") == "pay:card"
    assert data.decode("~unknown") is None
    pieces = split_text("📷" * 3000)  # 2 UTF-16 units each
    assert [len(p) for p in pieces] == [2048, 952]


# -- webhook mode ---------------------------------------------------------------------------
async def test_webhook_mode_registers_the_secret_and_serves_members(webhook, fake, member):
    async with webhook() as client:
        assert fake.webhook is not None
        assert fake.webhook["url"] == WEBHOOK_URL
        assert fake.webhook["secret_token"] == SECRET
        assert (await client.get("/healthz")).status_code == 200
        link(client.application, EMMA, "emma.clark@example.com")
        emma = member(EMMA, "en", deliver=poster(client))
        await emma.say("how many points do I have?", "400 points")
        await emma.press("Register a product", "Which product")
    assert fake.called("getUpdates") == []
    assert fake.called("setMyCommands")


async def test_a_forged_webhook_is_rejected_with_403(webhook, fake, member):
    async with webhook() as client:
        emma = member(EMMA, "en", deliver=poster(client))
        forged = emma.message("how many points do I have?")
        for headers in ({}, {SECRET_HEADER: "guess"}, {SECRET_HEADER: SECRET + "x"}):
            answer = await client.post("/telegram/hook", json=forged, headers=headers)
            assert answer.status_code == 403
        bad = await client.post("/telegram/hook", content=b"{", headers={SECRET_HEADER: SECRET})
        assert bad.status_code == 400
        await emma.say("/start", "Hello")
    assert len(fake.sent(EMMA)) == 1  # only the genuine /start was answered


async def test_a_webhook_retried_by_telegram_is_answered_once(webhook, fake, member):
    async with webhook() as client:
        link(client.application, EMMA, "emma.clark@example.com")
        emma = member(EMMA, "en", deliver=poster(client))
        update = emma.message("how many points do I have?")
        await emma.send(update, "400 points")
        await poster(client)(update)
        await emma.say("thanks", "")
    assert sum("400 points" in text for text in fake.sent(EMMA)) == 1


async def test_the_webhook_answers_before_the_work_is_done(webhook, fake, stub_engine):
    release = asyncio.Event()

    async def slow(turn: Turn) -> list[Reply]:
        await asyncio.wait_for(release.wait(), 5)
        return [Reply("done")]

    async with webhook(engine=stub_engine(slow)) as client:
        await poster(client)(fake.message_update(EMMA, "hello"))  # 200 while the turn waits
        assert fake.sent(EMMA) == []
        release.set()
        await fake.wait_for(lambda: fake.sent(EMMA))


# -- the command line -----------------------------------------------------------------------
def test_run_without_a_token_stops_with_one_line_naming_it(monkeypatch, database_url):
    monkeypatch.delenv("CPS_TELEGRAM_TOKEN")
    monkeypatch.setenv("CPS_DATABASE_URL", database_url)
    result = CliRunner().invoke(cli, ["run"])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "error: CPS_TELEGRAM_TOKEN is not set: export the token @BotFather gave the bot"
    ]


def test_webhook_mode_without_a_secret_stops_naming_it(monkeypatch, database_url, nlu_cache):
    monkeypatch.delenv("CPS_TELEGRAM_WEBHOOK_SECRET")
    monkeypatch.setenv("CPS_DATABASE_URL", database_url)
    monkeypatch.setenv("CPS_CACHE_DIR", str(nlu_cache))
    monkeypatch.setenv("CPS_TELEGRAM_WEBHOOK_URL", WEBHOOK_URL)
    result = CliRunner().invoke(cli, ["run", "--mode", "webhook"])
    assert result.exit_code == 2
    assert "CPS_TELEGRAM_WEBHOOK_SECRET is not set" in result.stderr


async def cps_bot_run(fake, database_url, nlu_cache, *args: str, command: str = "run", **env: str):  # type: ignore[no-untyped-def]
    environment = {
        **os.environ,
        "CPS_DATABASE_URL": database_url,
        "CPS_CACHE_DIR": str(nlu_cache),
        "CPS_TELEGRAM_BASE_URL": fake.base_url,
        "CPS_TELEGRAM_POLL_TIMEOUT_SECONDS": "1",
        "CPS_TELEGRAM_RATE_LIMIT_PER_SECOND": "0",
        **env,
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from bot.cli.main import main; main()",
        command,
        *args,
        env=environment,
        cwd=PROJECT_ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_cps_bot_run_polls_answers_and_never_logs_the_token(fake, database_url, nlu_cache):
    process = await cps_bot_run(fake, database_url, nlu_cache)
    try:
        await fake.wait_for(lambda: fake.called("getUpdates"), timeout=30)
        fake.inject(fake.message_update(GIULIA, "/start"))
        await fake.wait_for(lambda: fake.sent(GIULIA), timeout=10)
    finally:
        process.send_signal(signal.SIGINT)
        out, err = await asyncio.wait_for(process.communicate(), 15)
    logs = (out + err).decode()
    assert process.returncode == 0, logs
    assert "Ciao! Sono l'assistente CPS" in fake.sent(GIULIA)[0]
    assert "Application started" in logs
    assert TOKEN not in logs and TOKEN.split(":")[1] not in logs


async def test_cps_bot_run_serves_the_webhook_with_uvicorn(fake, database_url, nlu_cache):
    port = free_port()
    process = await cps_bot_run(
        fake,
        database_url,
        nlu_cache,
        "--mode",
        "webhook",
        CPS_TELEGRAM_LISTEN_PORT=str(port),
        CPS_TELEGRAM_WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram/hook",
    )
    try:
        registered = await fake.wait_for(lambda: fake.webhook, timeout=30)
        assert registered["secret_token"] == SECRET
        update = fake.message_update(GIULIA, "/start")
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            forged = await client.post("/telegram/hook", json=update)
            genuine = await client.post(
                "/telegram/hook", json=update, headers={SECRET_HEADER: SECRET}
            )
            health = await client.get("/healthz")
        await fake.wait_for(lambda: fake.sent(GIULIA), timeout=10)
    finally:
        process.send_signal(signal.SIGINT)
        out, err = await asyncio.wait_for(process.communicate(), 15)
    logs = (out + err).decode()
    assert (forged.status_code, genuine.status_code, health.status_code) == (403, 200, 200)
    assert process.returncode == 0, logs
    assert TOKEN not in logs and SECRET not in logs
