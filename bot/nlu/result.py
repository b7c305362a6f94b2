"""A parse in Rasa's shape, so both engines and the CLI speak the same JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Entity:
    entity: str
    value: str
    start: int
    end: int
    extractor: str = "cps"

    def as_json(self) -> dict[str, Any]:
        return {
            "entity": self.entity,
            "value": self.value,
            "start": self.start,
            "end": self.end,
            "extractor": self.extractor,
        }


@dataclass(frozen=True)
class ParseResult:
    text: str
    intent: str
    confidence: float
    ranking: tuple[tuple[str, float], ...] = ()
    entities: tuple[Entity, ...] = ()
    language: str | None = None
    engine: str = "embedded"
    extra: dict[str, Any] = field(default_factory=dict)

    def entity(self, name: str) -> Entity | None:
        return next((e for e in self.entities if e.entity == name), None)

    def as_json(self) -> dict[str, Any]:
        """Rasa's /model/parse shape, plus the detected language and the engine."""
        return {
            "text": self.text,
            "intent": {"name": self.intent, "confidence": round(self.confidence, 4)},
            "entities": [e.as_json() for e in self.entities],
            "intent_ranking": [
                {"name": name, "confidence": round(conf, 4)} for name, conf in self.ranking
            ],
            "language": self.language,
            "engine": self.engine,
        }
