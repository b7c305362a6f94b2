"""`cps-bot db init --demo` then `member show` gives the state DESIGN.md describes."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from bot.bootstrap import bootstrap
from bot.cli.main import app
from bot.domain import errors
from bot.domain.services import membership, migration
from bot.domain.types import PaymentMethod
from bot.settings import load_settings
from tests.support import create_throwaway_database, drop_database, postgres_or_skip


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def database_url(request, tmp_path_factory) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('demo') / 'cps.db'}"
        return
    postgres_or_skip()
    url = create_throwaway_database()
    yield url
    drop_database(url)


@pytest.fixture(scope="module")
def demo(database_url: str) -> Iterator[CliRunner]:
    runner = CliRunner(env={"CPS_DATABASE_URL": database_url})
    result = runner.invoke(app, ["db", "init", "--demo"])
    assert result.exit_code == 0, result.output
    assert "6 created" in result.output
    yield runner


def show(runner: CliRunner, email: str) -> dict:
    result = runner.invoke(app, ["member", "show", email, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def products(state: dict) -> dict[str, dict]:
    return {p["model"]: p for p in state["products"]}


def test_giulia_has_no_password_and_her_old_account_was_given(demo):
    state = show(demo, "giulia.rossi@example.com")
    assert state["password_set"] is False
    assert state["products"] == [] and state["points"] == 0
    assert state["invitation"]["status"] == "none"
    assert state["legacy"] == {
        "email": "giulia.rossi@oldmail.example",
        "linked": True,
        "migrated": False,
    }


def test_marco_gave_no_old_email_so_migration_is_not_offered(demo, database_url):
    state = show(demo, "marco.bianchi@example.com")
    assert state["legacy"] == {"email": None, "linked": False, "migrated": False}
    assert state["products"] == []
    app_ = bootstrap(load_settings(database_url=database_url))
    with pytest.raises(errors.MigrationNotOffered) as refused:
        migration.migrate_products(app_.uow(), "marco.bianchi@example.com")
    app_.close()
    assert refused.value.reason == "old_email_not_given"


def test_emma_has_400_points_and_no_invitation(demo):
    state = show(demo, "emma.clark@example.com")
    assert state["points"] == 400
    assert state["invitation"]["status"] == "none"
    assert {m: p["points_assigned"] for m, p in products(state).items()} == {
        "EOS R8": True,
        "RF 50mm F1.2L USM": True,
    }
    assert state["available_levels"] == []


def test_lukas_has_2600_points_every_level_and_an_old_number(demo):
    state = show(demo, "lukas.weber@example.com")
    assert state["points"] == 2600
    assert state["invitation"]["status"] == "sent"
    assert sorted(products(state)) == ["EOS R1", "EOS R3", "EOS R5 Mark II", "RF 50mm F1.2L USM"]
    assert state["available_levels"] == ["silver", "gold", "platinum", "corporate"]
    assert state["membership"] is None


def test_sofia_has_2000_points_and_every_level_but_corporate(demo):
    state = show(demo, "sofia.conti@example.com")
    assert state["points"] == 2000
    assert state["invitation"]["status"] == "sent"
    assert state["available_levels"] == ["silver", "gold", "platinum"]


def test_pierre_has_1200_points_and_a_5d_mark_iv_missing_serial_and_date(demo):
    state = show(demo, "pierre.martin@example.com")
    assert state["points"] == 1200
    assert state["invitation"]["status"] == "sent"
    five_d = products(state)["EOS 5D Mark IV"]
    assert five_d["missing"] == ["serial_number", "purchase_date"]
    assert five_d["points_assigned"] is False and five_d["points"] == 400
    assert all(p["points_assigned"] for m, p in products(state).items() if m != "EOS 5D Mark IV")


def test_giulia_migrates_three_products_and_the_70_200_lacks_its_dealer(demo, database_url):
    app_ = bootstrap(load_settings(database_url=database_url))
    outcome = migration.migrate_products(app_.uow(), "giulia.rossi@example.com")
    app_.close()
    assert outcome.total_points == 700 and outcome.invitation_issued
    state = show(demo, "giulia.rossi@example.com")
    assert products(state)["RF 70-200mm F2.8L IS USM"]["missing"] == ["dealer"]
    assert state["legacy"]["migrated"] is True


def test_lukas_enrols_with_a_number_that_is_not_his_old_one(demo, database_url):
    app_ = bootstrap(load_settings(database_url=database_url))
    done = membership.enrol(app_.uow(), "lukas.weber@example.com", "corporate", PaymentMethod.CARD)
    app_.close()
    assert done.number != "CPS-OLD-0042" and done.number.startswith("CPS-")
    state = show(demo, "lukas.weber@example.com")
    assert state["membership"]["number"] == done.number
    assert state["membership"]["level"] == "corporate"


def test_init_again_keeps_the_members_as_they_are(demo):
    before = show(demo, "emma.clark@example.com")
    result = demo.invoke(app, ["db", "init", "--demo"])
    assert result.exit_code == 0 and "0 created, 6 already there" in result.output
    assert show(demo, "emma.clark@example.com") == before


def test_member_list_names_every_demo_member(demo):
    result = demo.invoke(app, ["member", "list", "--json"])
    rows = {r["email"]: r["points"] for r in json.loads(result.output)}
    assert rows["lukas.weber@example.com"] == 2600 and len(rows) == 6


def test_readable_table_shows_ticks_and_what_is_missing(demo):
    result = demo.invoke(app, ["member", "show", "pierre.martin@example.com"])
    assert result.exit_code == 0
    assert "EOS 5D Mark IV" in result.output and "serial_number, purchase_date" in result.output
