"""Builds the parser the settings ask for."""

from __future__ import annotations

from pathlib import Path

from bot.nlu.engines import EmbeddedEngine, Parser, RasaEngine
from bot.settings import PROJECT_ROOT, Settings

NLU_PROJECT = PROJECT_ROOT / "nlu"


def build_parser(
    settings: Settings, engine: str | None = None, project: Path = NLU_PROJECT
) -> Parser:
    embedded = EmbeddedEngine.load(project, settings.resolved_data_dir, settings.resolved_cache_dir)
    if (engine or settings.nlu_engine) == "embedded":
        return embedded
    token = settings.rasa_auth_token.get_secret_value() if settings.rasa_auth_token else None
    return RasaEngine(settings.rasa_url, token, settings.rasa_timeout_seconds, embedded)
