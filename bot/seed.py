"""Loads data/ (catalogue, levels, dealers, demo members) into the database through services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from bot.domain.repository import normalise_email
from bot.domain.services import accounts, migration, products
from bot.domain.services.reference_data import (
    DealerSpec,
    LevelSpec,
    ProductSpec,
    sync_reference_data,
)
from bot.domain.types import DatePrecision
from bot.domain.unit_of_work import UnitOfWork


class DataError(Exception):
    """A file in data/ is missing or malformed; the message names file and entry."""


def read_yaml(path: Path) -> Any:
    if not path.exists():
        raise DataError(f"{path} not found")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise DataError(f"{path} is not valid YAML: {exc}") from exc


def catalogue_specs(data_dir: Path) -> list[ProductSpec]:
    raw = read_yaml(data_dir / "catalogue.yml")
    families = raw["families"]
    specs = []
    for item in raw["products"]:
        family = families.get(item["family"])
        if family is None:
            raise DataError(f"catalogue.yml: {item['code']} names unknown family {item['family']}")
        specs.append(
            ProductSpec(
                code=item["code"],
                name=item["name"],
                family=item["family"],
                category=family["category"],
                points=int(item["points"]),
                serial_pattern=family["serial_pattern"],
                serial_example=str(family["serial_example"]),
                serial_location=family["serial_location"],
            )
        )
    return specs


def level_specs(data_dir: Path) -> list[LevelSpec]:
    raw = read_yaml(data_dir / "levels.yml")
    return [
        LevelSpec(
            lv["code"],
            lv["name"],
            int(lv["min_points"]),
            Decimal(str(lv["annual_fee"])),
            int(lv["rank"]),
        )
        for lv in raw["levels"]
    ]


def dealer_specs(data_dir: Path) -> list[DealerSpec]:
    raw = read_yaml(data_dir / "dealers.yml")
    return [
        DealerSpec(country=country, name=d["name"], city=d["city"])
        for country, dealers in raw.items()
        for d in dealers
    ]


def load_reference_data(uow: UnitOfWork, data_dir: Path) -> None:
    sync_reference_data(
        uow, catalogue_specs(data_dir), level_specs(data_dir), dealer_specs(data_dir)
    )


@dataclass(frozen=True)
class DemoLoad:
    created: list[str]
    existing: list[str]


def load_demo_members(uow: UnitOfWork, data_dir: Path) -> DemoLoad:
    """Creates the demo members that are not there yet; existing ones are left untouched."""
    raw = read_yaml(data_dir / "demo_members.yml")
    for legacy in raw.get("legacy_accounts", []):
        migration.import_legacy_account(
            uow,
            legacy["email"],
            legacy.get("old_member_number"),
            [(item["product"], _details(item)) for item in legacy.get("products", [])],
        )
    created, existing = [], []
    for member in raw["members"]:
        email = normalise_email(member["email"])
        with uow:
            if uow.repo.find_account(email) is not None:
                existing.append(email)
                continue
        accounts.create_business_account(
            uow, email, member["language"], member["country"], member.get("legacy_email")
        )
        if member.get("password_set"):
            accounts.record_password_set(uow, email)
        for item in member.get("products", []):
            products.register_product(uow, email, item["product"], _details(item))
        created.append(email)
    return DemoLoad(created, existing)


def _details(item: dict[str, Any]) -> products.Details:
    purchase = item.get("purchase_date")
    return products.Details(
        serial_number=str(item["serial_number"]) if item.get("serial_number") else None,
        purchase_date=purchase if isinstance(purchase, date) else None,
        purchase_date_precision=DatePrecision(item.get("purchase_date_precision", "day")),
        country=item.get("country"),
        dealer=item.get("dealer"),
    )
