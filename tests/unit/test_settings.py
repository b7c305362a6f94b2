"""Settings: config.yml once, CPS_* overrides, secrets only from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings


def test_defaults_come_from_config_yml():
    settings = load_settings()
    assert settings.mail_sender == "donotreply@canoneurope.com"
    assert settings.resolved_database_url.endswith("/var/cps.db")


def test_environment_overrides_any_key(monkeypatch):
    monkeypatch.setenv("CPS_CARD_DUE_DAYS", "21")
    monkeypatch.setenv("CPS_DATABASE_URL", "postgresql+psycopg://bot@db/cps")
    settings = load_settings()
    assert settings.card_due_days == 21
    assert settings.resolved_database_url == "postgresql+psycopg://bot@db/cps"


def test_a_bad_value_names_the_key(monkeypatch):
    monkeypatch.setenv("CPS_CARD_DUE_DAYS", "soon")
    with pytest.raises(SettingsError, match=r"card_due_days.*CPS_CARD_DUE_DAYS"):
        load_settings()


def test_a_missing_key_names_the_key(monkeypatch, tmp_path: Path):
    config = tmp_path / "config.yml"
    config.write_text("mail_sender: x@example.com\n")
    monkeypatch.setenv("CPS_CONFIG", str(config))
    with pytest.raises(SettingsError, match="'web_base_url' is missing"):
        load_settings()


def test_an_unknown_key_is_refused(monkeypatch, tmp_path: Path):
    config = tmp_path / "config.yml"
    config.write_text(Path("config.yml").read_text() + "\ninvitaton_points: 400\n")
    monkeypatch.setenv("CPS_CONFIG", str(config))
    with pytest.raises(SettingsError, match="invitaton_points"):
        load_settings()


def test_a_secret_written_in_the_file_is_refused(monkeypatch, tmp_path: Path):
    config = tmp_path / "config.yml"
    config.write_text(Path("config.yml").read_text() + "\ntelegram_token: '123:abc'\n")
    monkeypatch.setenv("CPS_CONFIG", str(config))
    with pytest.raises(SettingsError, match=r"telegram_token.*CPS_TELEGRAM_TOKEN"):
        load_settings()


def test_secrets_come_from_the_environment_and_never_print(monkeypatch):
    monkeypatch.setenv("CPS_TELEGRAM_TOKEN", "123456:very-secret")
    settings = load_settings()
    assert settings.telegram_token is not None
    assert settings.telegram_token.get_secret_value() == "123456:very-secret"
    assert "very-secret" not in repr(settings) and "very-secret" not in str(settings)
