"""A member in the middle of a flow during an upgrade carries on: conversation states
written by the version before the form runner (tests/flows/data/, captured from commit
909f21d) load, and the next answer is read at the step they were at."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.domain.services.conversations import load_conversation, save_conversation
from tests.flows.harness import Chat

STATES = json.loads((Path(__file__).parent / "data" / "states_before_form_runner.json").read_text())

# state, member (None: a chat not linked yet), what the member says next, what follows
CARRY_ON = [
    (
        "register_product_at_dealer",
        "emma.clark@example.com",
        "MediaWorld",
        "register_product.summary",
    ),
    ("payment_at_method", "sofia.conti@example.com", "carta", "payment.confirm"),
    (
        "fix_details_at_serial",
        "pierre.martin@example.com",
        "0280012345",
        "register_product.ask_date",
    ),
    ("link_account_at_code", None, "000000", "link_account.wrong_code"),
    ("handoff_at_reason", "lukas.weber@example.com", "my invoice is wrong", "handoff.opened"),
]


def resume(engine, app, name: str, email: str | None) -> Chat:  # type: ignore[no-untyped-def]
    chat = Chat(engine, chat_id=name)
    if email is not None:
        engine.link(chat.key, email, "en")
    else:
        engine.forget(chat.key)
    conversation = load_conversation(app.uow(), chat.key)
    conversation.state = json.loads(json.dumps(STATES[name]))
    save_conversation(app.uow(), conversation)
    return chat


@pytest.mark.parametrize(("name", "email", "answer", "expected"), CARRY_ON)
async def test_a_flow_begun_before_the_upgrade_carries_on(
    engine, app, name, email, answer, expected
):
    chat = resume(engine, app, name, email)
    said = await chat.say(answer)
    assert said.keys[-1] == expected, said.keys


async def test_a_registration_begun_before_the_upgrade_is_registered(engine, app):
    chat = resume(engine, app, "register_product_at_dealer", "emma.clark@example.com")
    await chat.say("MediaWorld")
    summary = await chat.say("back")  # the way back recorded by the old version still works
    assert summary.keys[-1] == "register_product.ask_dealer"
    await chat.say("MediaWorld")
    done = await chat.say("yes")
    assert "register_product.done" in done.keys
    assert "EOS R5" in done.text
