"""The server's second-factor objects, built once from the settings and the stores.

Keys: ``GATEPASS_MFA_KEYS`` (``kid:base64key,...``, newest first) seals TOTP secrets;
unset, a random AES-256 key is made on first start and kept in the data folder
(``mfa-keys``, owner-only), like the session secret. Recovery codes and ``mfa_token``
hashes are keyed by another kept secret (``mfa-hmac-secret``). Challenges wait in Redis
when it is configured (every process sees them), else in a SQLite file.
"""

from __future__ import annotations

import base64
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from starlette.requests import HTTPConnection

from gatepass.mail.stores.base import OneTimeStore
from gatepass.mfa import MFAChallenges, RecoveryCodes, SecretBox, SQLMFAStore, TOTPFactor
from gatepass.mfa.encryption import parse_keys
from gatepass.mfa.passkeys import PasskeyCeremonies
from gatepass.mfa.passkeys_sql import SQLPasskeyStore
from gatepass.mfa.totp import Clock
from gatepass.server.datadir import data_dir_lock, kept_secret, private_files, write_private
from gatepass.server.state import ServerState

KEYS_FILE = "mfa-keys"
HMAC_FILE = "mfa-hmac-secret"
METHODS = ("totp", "recovery_code")


@dataclass(slots=True)
class MFAServer:
    """The TOTP factor and the ``mfa_token`` challenges of one server process."""

    factor: TOTPFactor
    challenges: MFAChallenges
    clock: Clock
    passkeys: PasskeyCeremonies
    ceremonies: MFAChallenges

    @classmethod
    def build(cls, state: ServerState, *, clock: Clock = time.time) -> MFAServer:
        """Wire the MFA pieces to the server's stores.

        Args:
            state: the server state (settings and stores).
            clock: seconds since the epoch, for TOTP steps and challenge expiry.

        Returns:
            The MFA objects; their SQLite file (if any) closes with the other stores.

        Raises:
            ConfigurationError: ``GATEPASS_MFA_KEYS`` cannot be read.
        """
        settings, backends = state.settings, state.backends
        configured = settings.mfa_keys.get_secret_value() if settings.mfa_keys else None
        keys = parse_keys(configured) if configured else _kept_keys(settings.data_dir)
        hmac_key = kept_secret(settings.data_dir / HMAC_FILE).encode()
        store: OneTimeStore
        if backends.redis is not None:
            from gatepass.mail.stores.redis import RedisOneTimeStore

            store = RedisOneTimeStore(
                backends.redis, prefix=f"{settings.redis_prefix}mfa:", clock=clock
            )
        else:
            from gatepass.mail.stores.sqlite import SQLiteOneTimeStore

            # Made 0600 before SQLite opens it, like the other stores' files (CWE-276).
            private_files(settings.data_dir, ["mfa.db"])
            sqlite = SQLiteOneTimeStore(
                settings.data_dir / "mfa.db", table="gatepass_mfa_challenges", clock=clock
            )
            backends._closers.append(sqlite)  # closed by Backends.close with the others
            store = sqlite
        factor = TOTPFactor(
            SQLMFAStore(backends.users),
            box=SecretBox(keys),
            recovery=RecoveryCodes(hmac_key),
            issuer=settings.site_name,
            limits=backends.limits,
            rate=settings.mfa_limit,
            clock=clock,
        )
        # Origin and RP ID of passkeys: the public origin (W3C WebAuthn §5.1.3, §7.1).
        origin = settings.public_url or settings.issuer
        passkeys = PasskeyCeremonies(
            SQLPasskeyStore(backends.users),
            rp_id=urlsplit(origin).hostname or "localhost",
            rp_name=settings.site_name,
            origin=origin.rstrip("/"),
        )
        # A passkey ceremony's token is spent by its one answer, right or wrong.
        ceremonies = MFAChallenges(
            store, secret=hmac_key, clock=clock, max_attempts=1, purpose="passkey"
        )
        return cls(
            factor,
            MFAChallenges(store, secret=hmac_key, clock=clock),
            clock,
            passkeys,
            ceremonies,
        )


def mfa_of(connection: HTTPConnection) -> MFAServer:
    """The MFA objects of the app serving this request.

    Args:
        connection: the request.

    Returns:
        The ``MFAServer`` that ``create_app`` put on ``app.state.gatepass_mfa``.
    """
    server: MFAServer = connection.app.state.gatepass_mfa
    return server


def _kept_keys(data_dir: Path) -> list[tuple[str, bytes]]:
    path = data_dir / KEYS_FILE
    with data_dir_lock(data_dir):
        if not path.exists():
            key = base64.urlsafe_b64encode(os.urandom(32)).decode()
            write_private(path, f"k{secrets.token_hex(4)}:{key}\n".encode())
        return parse_keys(path.read_text().strip())
