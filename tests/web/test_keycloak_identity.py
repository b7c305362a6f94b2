"""The Keycloak identity store against a fake Keycloak on loopback: client credentials,
the user found by e-mail, the password reset as not temporary; refusals and outages
told apart; and the password page set on `identity_backend: keycloak` end to end."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from bot.bootstrap import build_identity_store
from bot.domain.identity_keycloak import KeycloakIdentityStore
from bot.domain.models import PasswordCredential
from bot.domain.ports import IdentityAccount, IdentityRefused, IdentityUnavailable
from bot.domain.services.member_state import member_state
from bot.settings import SettingsError, load_settings
from tests.channels.loopback import free_port
from tests.leftovers import leftovers
from tests.web.conftest import EMMA, GOOD_PASSWORD, submit
from tests.web.fake_keycloak import CLIENT_ID, CLIENT_SECRET, REALM, FakeKeycloak

ACCOUNT = IdentityAccount(7, EMMA)


@pytest.fixture
async def keycloak() -> AsyncIterator[FakeKeycloak]:
    server = FakeKeycloak()
    await server.start()
    yield server
    await server.stop()


def store_for(keycloak: FakeKeycloak, secret: str = CLIENT_SECRET) -> KeycloakIdentityStore:
    return KeycloakIdentityStore(keycloak.url, REALM, CLIENT_ID, secret, timeout=5)


async def set_password(store: KeycloakIdentityStore, password: str) -> None:
    """The store is synchronous (the page calls it off the loop): so here too, while the
    fake answers on this loop."""
    await asyncio.to_thread(store.set_password, None, ACCOUNT, password)  # type: ignore[arg-type]


async def test_the_password_is_reset_for_the_user_with_the_accounts_email(keycloak):
    user = keycloak.add_user(EMMA)
    keycloak.add_user("someone.else@example.com")
    store = store_for(keycloak)

    await set_password(store, GOOD_PASSWORD)
    await set_password(store, "Second-Quiet-Harbour-77")

    assert keycloak.credentials[user] == [
        {"type": "password", "value": GOOD_PASSWORD, "temporary": False},
        {"type": "password", "value": "Second-Quiet-Harbour-77", "temporary": False},
    ]
    [token_call] = keycloak.called("/openid-connect/token")  # one token, kept and reused
    assert token_call.body == {
        "grant_type": "client_credentials",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }
    lookups = keycloak.called("/users")
    assert lookups[0].path == f"/admin/realms/{REALM}/users"
    assert lookups[0].query == {"email": EMMA, "exact": "true"}
    assert {c.token for c in lookups} == {"kc-access-1"}
    store.close()


async def test_a_revoked_token_is_renewed_once(keycloak):
    user = keycloak.add_user(EMMA)
    store = store_for(keycloak)
    await set_password(store, GOOD_PASSWORD)
    keycloak.revoke_tokens()

    await set_password(store, "Second-Quiet-Harbour-77")

    assert len(keycloak.credentials[user]) == 2
    assert len(keycloak.called("/openid-connect/token")) == 2
    store.close()


async def test_keycloaks_password_policy_is_a_refusal_and_the_rest_are_outages(keycloak, caplog):
    keycloak.add_user(EMMA)
    keycloak.refuse("Short-But-Fine-1")
    caplog.set_level(logging.INFO)
    store, wrong = store_for(keycloak), store_for(keycloak, secret="wrong")
    with pytest.raises(IdentityRefused) as refused:
        await set_password(store, "Short-But-Fine-1")
    assert refused.value.reason == "invalidPasswordMinLengthMessage"

    with pytest.raises(IdentityUnavailable, match="token: HTTP 401"):
        await set_password(wrong, GOOD_PASSWORD)
    nobody = IdentityAccount(8, "nobody@example.com")
    with pytest.raises(IdentityUnavailable, match="user_not_found"):
        await asyncio.to_thread(store.set_password, None, nobody, GOOD_PASSWORD)  # type: ignore[arg-type]
    down = KeycloakIdentityStore(f"http://127.0.0.1:{free_port()}", REALM, CLIENT_ID, "s")
    with pytest.raises(IdentityUnavailable, match="ConnectError"):
        await set_password(down, GOOD_PASSWORD)
    for opened in (store, wrong, down):
        opened.close()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for secret in ("Short-But-Fine-1", GOOD_PASSWORD, CLIENT_SECRET, "kc-access", EMMA):
        assert secret not in logged


def test_keycloak_needs_its_settings_and_names_the_missing_one(monkeypatch):
    settings = load_settings(identity_backend="keycloak", keycloak_url="https://id.example.com")
    with pytest.raises(SettingsError, match=r"'keycloak_realm' is missing.*CPS_KEYCLOAK_REALM"):
        build_identity_store(settings)
    monkeypatch.setenv("CPS_KEYCLOAK_CLIENT_SECRET", "")
    settings = load_settings(
        identity_backend="keycloak",
        keycloak_url="https://id.example.com",
        keycloak_realm=REALM,
        keycloak_client_id=CLIENT_ID,
    )
    with pytest.raises(SettingsError, match="CPS_KEYCLOAK_CLIENT_SECRET is not set"):
        build_identity_store(settings)


async def test_the_page_hands_the_password_to_keycloak_and_keeps_no_hash(
    keycloak, site_factory, monkeypatch
):
    user = keycloak.add_user(EMMA)
    keycloak.refuse("Refused-By-Keycloak-42")
    monkeypatch.setenv("CPS_KEYCLOAK_CLIENT_SECRET", CLIENT_SECRET)
    site = site_factory(
        identity_backend="keycloak",
        keycloak_url=keycloak.url,
        keycloak_realm=REALM,
        keycloak_client_id=CLIENT_ID,
    )
    path = site.link(EMMA)
    async with site.client() as client:
        refused = await submit(client, path, "Refused-By-Keycloak-42")
        done = await submit(client, path, GOOD_PASSWORD)

    assert refused.status_code == 422 and "did not accept this password" in refused.text
    assert done.status_code == 200 and "Your password is set" in done.text
    assert keycloak.credentials[user] == [
        {"type": "password", "value": GOOD_PASSWORD, "temporary": False}
    ]
    assert member_state(site.app.uow(), EMMA)["password_set"] is True
    with site.app.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(PasswordCredential)) == 0
    assert leftovers(site.app.engine, GOOD_PASSWORD, "Refused-By-Keycloak-42") == []
