"""Every scenario in tests/flows/scenarios/*.yml, played through the dialogue engine.

A scenario is readable without Python:

    - name: Emma asks for her points
      member: emma.clark@example.com     # a demo member, already linked (or omit)
      lang: en                           # optional: the chat's language
      turns:
        - say: how many points do I have?
          expect: ["400", "100 more points"]     # each must appear in the answer
          absent: ["Platinum"]                   # none may appear
        - press: Register a product              # a button label or its number
        - tap: level:gold                        # a button of an older message (payload)
          keys: [register.ask_product]           # message keys, in order, if given
      member_state:                              # `cps-bot member show --json` afterwards
        points: 400

`<flow>.yml` holds a flow's Italian and English scenarios; `<flow>.de.yml`, `.fr.yml` and
`.es.yml` its German, French and Spanish ones, where every reply must be in that language.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.domain.services.member_state import member_state
from bot.nlu.language import detect_language

SCENARIOS = Path(__file__).parent / "scenarios"


LANGUAGES = ("it", "en", "de", "fr", "es")
NEWER = ("de", "fr", "es")  # served since English and Italian were: at least as many as Italian
DEMO = Path(__file__).resolve().parents[2] / "data" / "demo_members.yml"


def _files() -> list[tuple[Path, str, str | None]]:
    """(file, flow, the language all its scenarios are in, if the name says so)."""
    found = []
    for path in sorted(SCENARIOS.glob("*.yml")):
        flow, _, language = path.stem.partition(".")
        found.append((path, flow, language or None))
    return found


def _scenarios(path: Path) -> list[dict[str, Any]]:
    return list(yaml.safe_load(path.read_text(encoding="utf-8")))


def _load() -> list[Any]:
    cases = []
    for path, _, language in _files():
        for scenario in _scenarios(path):
            cases.append(pytest.param(scenario, language, id=f"{path.stem}: {scenario['name']}"))
    return cases


def _language_of(scenario: dict[str, Any], members: dict[str, str]) -> str:
    """The language a scenario of `<flow>.yml` is played in: its `lang`, else its member's,
    else what its first message is written in (Italian, the default, when that is unclear)."""
    if scenario.get("lang"):
        return str(scenario["lang"])
    if scenario.get("member"):
        return members[scenario["member"]]
    first = next((str(t["say"]) for t in scenario["turns"] if "say" in t), "")
    return detect_language(first) or "it"


def test_every_flow_has_as_many_scenarios_in_each_language_as_in_italian():
    members = {m["email"]: m["language"] for m in yaml.safe_load(DEMO.read_text())["members"]}
    counts: dict[str, Counter[str]] = {}
    for path, flow, language in _files():
        for scenario in _scenarios(path):
            counts.setdefault(flow, Counter())[language or _language_of(scenario, members)] += 1
    short = {
        (flow, language): (found[language], found["it"])
        for flow, found in counts.items()
        for language in LANGUAGES
        if found[language] == 0 or (language in NEWER and found[language] < found["it"])
    }
    assert short == {}, "flow, language: (scenarios, Italian ones)"


@pytest.mark.parametrize(("scenario", "language"), _load())
async def test_scenario(scenario, language, chat, app):  # type: ignore[no-untyped-def]
    conversation = chat(scenario.get("member"), scenario.get("lang"))
    for number, step in enumerate(scenario["turns"], 1):
        if "say" in step:
            said = await conversation.say(str(step["say"]))
        elif "tap" in step:
            said = await conversation.tap(str(step["tap"]))
        else:
            said = await conversation.press(step["press"])
        action = step.get("say") or step.get("press") or step.get("tap")
        where = f"turn {number} ({action!r}):\n{said.text}"
        if language is not None:
            assert said.language == language, f"answered in {said.language!r} at {where}"
        for expected in step.get("expect", []):
            assert str(expected).lower() in said.text.lower(), f"missing {expected!r} at {where}"
        for unwanted in step.get("absent", []):
            assert str(unwanted).lower() not in said.text.lower(), f"{unwanted!r} at {where}"
        if "keys" in step:
            assert said.keys == step["keys"], where
        for label in step.get("buttons", []):
            assert label in [b[0] for b in said.buttons], f"no button {label!r} at {where}"
    expected_state = scenario.get("member_state")
    if expected_state:
        state = member_state(app.uow(), scenario["member"])
        for key, value in expected_state.items():
            actual = state
            for part in key.split("."):
                actual = actual[int(part)] if isinstance(actual, list) else actual[part]
            assert actual == value, f"member_state {key}: {actual!r} != {value!r}"
