"""Shared, session-wide NLU objects: loading them once keeps the suite fast."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.nlu.entities.dealers import DealerDirectory
from bot.nlu.entities.extractor import EntityExtractor
from bot.nlu.entities.products import ProductCatalogue
from bot.settings import PROJECT_ROOT

DATA = PROJECT_ROOT / "data"
NLU = PROJECT_ROOT / "nlu"
DEV_SET = Path(
    os.environ.get("CPS_DEV_SET") or PROJECT_ROOT.parent / "shared" / "eval" / "nlu_dev.jsonl"
)


def dev_set_or_skip() -> Path:
    """The held-out set lives beside the checkout (../shared); say so loudly when it is not."""
    if not DEV_SET.exists():
        reason = f"NLU dev set {DEV_SET} not found (set CPS_DEV_SET)"
        if os.environ.get("CPS_REQUIRE_DEV_SET") == "1":
            pytest.fail(reason)
        pytest.skip(f"!!! {reason}")
    return DEV_SET


@pytest.fixture(scope="session")
def dev_set() -> Path:
    return dev_set_or_skip()


@pytest.fixture(scope="session")
def catalogue() -> ProductCatalogue:
    return ProductCatalogue.from_yaml(DATA / "catalogue.yml")


@pytest.fixture(scope="session")
def dealers() -> DealerDirectory:
    return DealerDirectory.from_yaml(DATA / "dealers.yml")


@pytest.fixture(scope="session")
def extractor(catalogue, dealers) -> EntityExtractor:
    return EntityExtractor(catalogue, dealers)
