"""R14 beyond the scenarios: what an escalation records, and how the FAQ is matched."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from bot.domain.models import Escalation
from bot.flows.goals.faq import FAQ_DIR, FaqBook
from bot.flows.i18n import default_catalogs

OFF_TOPIC = [
    "che tempo fa domani a Roma?",
    "chi ha vinto la partita ieri?",
    "qual è la capitale della Francia?",
    "mi consigli un obiettivo per i ritratti?",
    "what's the weather in London tomorrow?",
    "who won the football match yesterday?",
    "I want a pizza",
    "what does it mean?",
    "asdkj qwe",
]


def transcripts(app) -> list[list[dict]]:  # type: ignore[no-untyped-def]
    with app.uow() as uow:
        return [
            e.transcript for e in uow.session.scalars(select(Escalation).order_by(Escalation.id))
        ]


async def test_the_transcript_has_the_earlier_messages_and_never_a_password(chat, app):  # type: ignore[no-untyped-def]
    emma = chat("emma.clark@example.com")
    await emma.say("how many points do I have?")
    warned = await emma.say("Summer2024!")
    assert warned.keys == ["common.password_warning"]
    await emma.say("I want to talk to a person")
    done = await emma.press("Skip")
    assert done.keys == ["handoff.opened"]
    [transcript] = transcripts(app)
    said = [line["text"] for line in transcript if line["who"] == "member"]
    assert "how many points do I have?" in said
    assert "[password removed]" in said  # the line is kept, the password is not
    assert not any("Summer2024" in line["text"] for line in transcript)


async def test_a_second_request_adds_to_the_open_one(chat, app):  # type: ignore[no-untyped-def]
    giulia = chat("giulia.rossi@example.com")
    await giulia.say("voglio parlare con una persona")
    await giulia.say("non trovo l'email per la password")
    await giulia.say("voglio parlare con una persona")
    again = await giulia.say("e non vedo il pulsante blu")
    assert again.keys == ["handoff.added"]
    [transcript] = transcripts(app)
    said = [line["text"] for line in transcript if line["who"] == "member"]
    assert said.count("voglio parlare con una persona") >= 2
    assert "e non vedo il pulsante blu" in said


async def test_a_member_not_linked_gets_an_escalation_without_account(chat, app):  # type: ignore[no-untyped-def]
    guest = chat(None, "it", chat_id="guest-1")
    await guest.say("voglio parlare con una persona")
    done = await guest.press("Salta")
    assert done.keys == ["handoff.opened", "handoff.not_linked"]
    with app.uow() as uow:
        [escalation] = uow.session.scalars(select(Escalation)).all()
        assert escalation.account_id is None and escalation.reason == "member_request"


LANGUAGES = ("it", "en", "de", "fr", "es")


def test_every_language_has_the_same_entries_and_enough_of_them():
    ids = {}
    for language in LANGUAGES:
        data = yaml.safe_load((FAQ_DIR / f"{language}.yml").read_text(encoding="utf-8"))
        ids[language] = [entry["id"] for entry in data["entries"]]
        assert 15 <= len(ids[language]) <= 25
        assert len(set(ids[language])) == len(ids[language])
    assert all(ids[language] == ids["it"] for language in LANGUAGES), ids


def test_every_follow_up_button_has_a_label_in_every_language():
    catalogs = default_catalogs()
    for entry in FaqBook.load().entries:
        for payload in entry.buttons:
            assert payload.startswith(("flow:", "cmd:human")), payload
            key = f"faq.go.{payload.partition(':')[2]}"
            for language in LANGUAGES:
                assert key in catalogs.texts[language], (key, language)


def test_every_question_variant_finds_its_own_entry():
    book = FaqBook.load()
    for language in LANGUAGES:
        data = yaml.safe_load((FAQ_DIR / f"{language}.yml").read_text(encoding="utf-8"))
        for raw in data["entries"]:
            for question in raw["questions"]:
                found = book.best(question, language)
                assert found is not None and found.id == raw["id"], (question, found)


@pytest.mark.parametrize("text", OFF_TOPIC)
def test_off_topic_questions_match_nothing(text: str):
    assert FaqBook.load().best(text, "it") is None


def test_a_question_in_the_other_language_is_answered_in_the_members():
    book = FaqBook.load()
    found = book.best("what does the green tick mean?", "it")
    assert found is not None
    assert "spunta verde" in book.in_language(found, "it").answer


def test_before_a_flow_only_close_matches_of_preempting_entries_answer():
    book = FaqBook.load()
    assert book.best("chi manda l'email per la password?", "it", preempt=True) is not None
    for text in ("come imposto la password?", "can I pay by bank transfer?", "quanti punti ho?"):
        assert book.best(text, "it", preempt=True) is None, text
    assert book.best("quando arriva l'invito al programma?", "it", preempt=True) is None


def test_the_faq_directory_can_be_wired(tmp_path: Path):
    for language in LANGUAGES:
        (tmp_path / f"{language}.yml").write_text(
            (FAQ_DIR / f"{language}.yml").read_text(encoding="utf-8"), encoding="utf-8"
        )
    assert len(FaqBook.load(tmp_path).entries) == len(FaqBook.load().entries)
