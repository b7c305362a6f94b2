"""One parser interface, two engines: embedded (in-process) and Rasa over HTTP with fallback."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Protocol

import httpx

from bot.nlu.entities.extractor import EntityExtractor
from bot.nlu.intent_model import IntentModel, load_or_train
from bot.nlu.language import detect_language
from bot.nlu.result import Entity, ParseResult
from bot.observability.metrics import NLU_FALLBACKS

log = logging.getLogger(__name__)
MAX_CHARS = 1000  # a 4,000-character message is understood from its start, in bounded time


class Parser(Protocol):
    # True when parse() only computes (no network): the dialogue engine then keeps the
    # loop for the turn; a parser that waits on a server lets other turns run meanwhile.
    local: bool

    async def parse(self, text: str, language: str | None = None) -> ParseResult: ...

    async def aclose(self) -> None: ...


def clean_text(text: str) -> str:
    return " ".join(text.split())[:MAX_CHARS]


class EmbeddedEngine:
    name = "embedded"
    local = True

    def __init__(self, model: IntentModel, extractor: EntityExtractor) -> None:
        self.model = model
        self.extractor = extractor

    @classmethod
    def load(cls, project: Path, data_dir: Path, cache_dir: Path) -> EmbeddedEngine:
        return cls(load_or_train(project, cache_dir), EntityExtractor.from_data(data_dir))

    def parse_now(self, text: str, language: str | None = None) -> ParseResult:
        text = clean_text(text)
        if not any(c.isalnum() for c in text):
            return ParseResult(text, "out_of_scope", 0.0, (), (), language, self.name)
        ranking = tuple(self.model.rank(text, language)[:5])
        return ParseResult(
            text=text,
            intent=ranking[0][0],
            confidence=ranking[0][1],
            ranking=ranking,
            entities=tuple(self.extractor.extract(text)),
            language=language or detect_language(text),
            engine=self.name,
        )

    async def parse(self, text: str, language: str | None = None) -> ParseResult:
        return self.parse_now(text, language)

    async def aclose(self) -> None:
        return None


class RasaEngine:
    """Asks the Rasa server; while it is down the embedded engine answers (one warning, and
    `cps_nlu_fallbacks_total{engine="rasa",reason="server_unavailable"}` per message)."""

    name = "rasa"
    local = False

    def __init__(
        self,
        url: str,
        token: str | None,
        timeout: float,
        fallback: EmbeddedEngine,
        transport: httpx.AsyncBaseTransport | None = None,
    ):
        self.fallback = fallback
        self.token = token
        self.degraded = False
        self.client = httpx.AsyncClient(
            base_url=url.rstrip("/"),
            timeout=httpx.Timeout(timeout, connect=min(timeout, 0.5)),
            transport=transport,
        )

    async def parse(self, text: str, language: str | None = None) -> ParseResult:
        # Rasa treats "/intent{...}" as a forced intent: members never get to send that.
        text = clean_text(text).lstrip("/ ")
        if not any(c.isalnum() for c in text):
            return self.fallback.parse_now(text, language)
        answer = await self._ask(text)
        if answer is None:  # counted, so a dashboard shows how long Rasa was away
            NLU_FALLBACKS.labels(engine="rasa", reason="server_unavailable").inc()
            return self.fallback.parse_now(text, language)
        return self._result(text, answer, language)

    async def _ask(self, text: str) -> dict[str, Any] | None:
        params = {"token": self.token} if self.token else {}
        for attempt in (1, 2):
            try:
                response = await self.client.post(
                    "/model/parse", json={"text": text}, params=params
                )
                if response.status_code < 500:
                    response.raise_for_status()
                    self._recovered()
                    return response.json()
                problem = f"HTTP {response.status_code}"
            except httpx.HTTPStatusError as exc:  # 4xx: wrong token or route, retrying won't help
                problem = f"HTTP {exc.response.status_code}"
                break
            except (httpx.TransportError, ValueError) as exc:
                problem = type(exc).__name__
            log.debug("Rasa attempt %d failed: %s", attempt, problem)
        self._degrade(problem)
        return None

    def _degrade(self, problem: str) -> None:
        if not self.degraded:
            log.warning(
                "Rasa NLU at %s unavailable (%s); the embedded engine answers until it is back",
                self.client.base_url,
                problem,
            )
        self.degraded = True

    def _recovered(self) -> None:
        if self.degraded:
            log.warning("Rasa NLU at %s is back", self.client.base_url)
        self.degraded = False

    def _result(self, text: str, answer: dict[str, Any], language: str | None) -> ParseResult:
        intent = answer.get("intent") or {}
        ranking = tuple(
            (r["name"], float(r["confidence"])) for r in answer.get("intent_ranking", [])[:5]
        )
        ours = self.fallback.extractor.extract(text)
        kinds = {e.entity for e in ours}
        theirs = [
            Entity(e["entity"], str(e["value"]), int(e["start"]), int(e["end"]), "rasa")
            for e in answer.get("entities", [])
            if e.get("entity") not in kinds
        ]
        name = intent.get("name") or "out_of_scope"
        return ParseResult(
            text=text,
            intent="out_of_scope" if name == "nlu_fallback" else name,
            confidence=float(intent.get("confidence") or 0.0),
            ranking=ranking,
            entities=tuple(sorted([*ours, *theirs], key=lambda e: e.start)),
            language=language or detect_language(text),
            engine=self.name,
        )

    async def aclose(self) -> None:
        await self.client.aclose()
