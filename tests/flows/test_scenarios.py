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
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.domain.services.member_state import member_state

SCENARIOS = Path(__file__).parent / "scenarios"


def _load() -> list[Any]:
    cases = []
    for path in sorted(SCENARIOS.glob("*.yml")):
        for scenario in yaml.safe_load(path.read_text(encoding="utf-8")):
            cases.append(pytest.param(scenario, id=f"{path.stem}: {scenario['name']}"))
    return cases


@pytest.mark.parametrize("scenario", _load())
async def test_scenario(scenario, chat, app):  # type: ignore[no-untyped-def]
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
