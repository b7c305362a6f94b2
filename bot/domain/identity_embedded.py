"""The embedded identity store (`identity_backend: embedded`): an argon2id hash of the
password in the `password_credentials` table, one row per account, never the password.

It lives beside `driver_sql` and `driver_async` because it is what they are: an adapter
of a port onto the domain's own database, used inside a use case's unit of work (the
hash commits with the used link, or neither does). Adapters of channels, which turn
events into turns and deliveries into API calls, live in `bot/handlers/`; the Keycloak
adapter (`identity_keycloak`) sits here too, as the same port's other implementation.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from bot.domain.models import PasswordCredential
from bot.domain.ports import IdentityAccount

if TYPE_CHECKING:
    from bot.domain.unit_of_work import UnitOfWork

# argon2-cffi's defaults: argon2id, RFC 9106's low-memory profile (64 MiB, 3 passes).
# A few hashes at a time, so a burst of submissions cannot take all the memory.
CONCURRENT_HASHES = 4


class EmbeddedIdentityStore:
    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self._hasher = hasher or PasswordHasher()
        self._hashing = threading.BoundedSemaphore(CONCURRENT_HASHES)

    def set_password(self, uow: UnitOfWork, account: IdentityAccount, password: str) -> None:
        """The account's hash, replaced or added in the caller's open unit of work."""
        with self._hashing:
            digest = self._hasher.hash(password)
        now = uow.clock.now()
        stored = uow.session.get(PasswordCredential, account.id, with_for_update=True)
        if stored is None:
            uow.add(PasswordCredential(account_id=account.id, password_hash=digest, set_at=now))
        else:
            stored.password_hash, stored.set_at = digest, now

    def close(self) -> None:
        """Nothing to release: the unit of work holds the connection."""

    def verify(self, uow: UnitOfWork, account_id: int, password: str) -> bool:
        """Whether `password` is the account's (for a sign-in that may come; and tests)."""
        stored = uow.session.get(PasswordCredential, account_id)
        if stored is None:
            return False
        try:
            with self._hashing:
                return self._hasher.verify(stored.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
