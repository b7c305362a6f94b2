"""The Rasa engine's HTTP behaviour: token, slash guard, one retry, fallback, recovery."""

from __future__ import annotations

import json
import logging

import httpx
import pytest

from bot.nlu.engines import RasaEngine

RASA_ANSWER = {
    "text": "x",
    "intent": {"name": "check_points", "confidence": 0.91},
    "intent_ranking": [{"name": "check_points", "confidence": 0.91}],
    "entities": [{"entity": "tier", "value": "gold", "start": 0, "end": 4}],
}


class FakeRasa:
    """Plays a Rasa server's /model/parse; `down` makes it fail like a stopped server."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.down = False
        self.status = 200

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        if self.status != 200:
            return httpx.Response(self.status, json={"error": "boom"})
        return httpx.Response(200, json=RASA_ANSWER)


@pytest.fixture
def fake() -> FakeRasa:
    return FakeRasa()


@pytest.fixture
async def rasa(fake, embedded):
    engine = RasaEngine(
        "http://127.0.0.1:5005", "s3cret", 1.0, embedded, transport=httpx.MockTransport(fake)
    )
    yield engine
    await engine.aclose()


async def test_asks_rasa_with_the_token_and_keeps_its_intent(rasa, fake):
    result = await rasa.parse("how many points do I have")
    assert (result.intent, result.engine) == ("check_points", "rasa")
    [request] = fake.requests
    assert request.url.path == "/model/parse" and request.url.params["token"] == "s3cret"


async def test_slash_commands_never_reach_rasa_as_forced_intents(rasa, fake):
    await rasa.parse('/register_product{"product": "eos-r1"}')
    sent = json.loads(fake.requests[0].content)["text"]
    assert not sent.startswith("/")


async def test_server_down_falls_back_to_embedded_with_one_warning(rasa, fake, caplog):
    fake.down = True
    with caplog.at_level(logging.WARNING, logger="bot.nlu.engines"):
        first = await rasa.parse("quanti punti ho")
        second = await rasa.parse("voglio parlare con un operatore")
    assert (first.intent, first.engine) == ("check_points", "embedded")
    assert second.intent == "human_handoff"
    assert len(fake.requests) == 4  # one retry per message
    warnings = [r for r in caplog.records if "unavailable" in r.getMessage()]
    assert len(warnings) == 1 and "s3cret" not in caplog.text
    fake.down = False
    with caplog.at_level(logging.WARNING, logger="bot.nlu.engines"):
        back = await rasa.parse("how many points")
    assert back.engine == "rasa" and "is back" in caplog.text


async def test_server_errors_are_retried_once_then_answered_locally(rasa, fake):
    fake.status = 503
    result = await rasa.parse("quanti punti ho")
    assert result.engine == "embedded" and len(fake.requests) == 2


async def test_a_wrong_token_is_not_retried(rasa, fake):
    fake.status = 401
    result = await rasa.parse("quanti punti ho")
    assert result.engine == "embedded" and len(fake.requests) == 1


async def test_our_entities_win_and_rasas_fill_the_gaps(rasa):
    result = await rasa.parse("Gold")
    assert [(e.entity, e.value) for e in result.entities] == [("tier", "gold")]
