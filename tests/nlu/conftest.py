"""Shared, session-wide NLU objects: loading them once keeps the suite fast."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.nlu.engines import EmbeddedEngine
from bot.nlu.entities.dealers import DealerDirectory
from bot.nlu.entities.extractor import EntityExtractor
from bot.nlu.entities.products import ProductCatalogue
from bot.settings import PROJECT_ROOT

DATA = PROJECT_ROOT / "data"
NLU = PROJECT_ROOT / "nlu"
DEV_SET = PROJECT_ROOT.parent / "shared" / "eval" / "nlu_dev.jsonl"


@pytest.fixture(scope="session")
def catalogue() -> ProductCatalogue:
    return ProductCatalogue.from_yaml(DATA / "catalogue.yml")


@pytest.fixture(scope="session")
def dealers() -> DealerDirectory:
    return DealerDirectory.from_yaml(DATA / "dealers.yml")


@pytest.fixture(scope="session")
def extractor(catalogue, dealers) -> EntityExtractor:
    return EntityExtractor(catalogue, dealers)


@pytest.fixture(scope="session")
def nlu_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("nlu-cache")


@pytest.fixture(scope="session")
def embedded(nlu_cache: Path) -> EmbeddedEngine:
    return EmbeddedEngine.load(NLU, DATA, nlu_cache)
