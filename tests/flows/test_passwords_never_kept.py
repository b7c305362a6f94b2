"""R1 over the whole corpus: every password of tests/privacy/data/passwords.yml, typed at a
step that takes any text (the reason for a person, the dealer) or at the menu, is warned
about and held by no table afterwards; the next answer still works."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.leftovers import leftovers

CORPUS = yaml.safe_load(
    (Path(__file__).parents[1] / "privacy" / "data" / "passwords.yml").read_text("utf-8")
)
MEMBERS = {"it": "sofia.conti@example.com", "en": "emma.clark@example.com"}


@pytest.mark.parametrize("language", ["it", "en", "de", "fr", "es"])
async def test_no_typed_password_of_the_corpus_is_kept_anywhere(chat, app, language):
    typed = [p for p in CORPUS["positives"] if p["lang"] == language]
    member = chat(MEMBERS.get(language, "emma.clark@example.com"), language="en")
    where = ["menu", "reason", "dealer"]
    for n, positive in enumerate(typed):
        step = where[n % 3]
        if step == "reason":
            await member.say("I want to talk to a person")
        elif step == "dealer":
            for answer in ("I'd like to register my EOS R8", "083023001188", "March 2024", "UK"):
                await member.say(answer)
        warned = await member.say(positive["text"])
        assert warned.keys == ["common.password_warning"], positive["text"]
        await member.say("cancel")
    assert leftovers(app.engine, *(p["password"] for p in typed)) == []
