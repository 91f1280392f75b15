"""``TokenService``: access + refresh token pairs, rotation, logout, log out everywhere.

The access token is a short-lived JWT with ``typ`` ``at+jwt`` and the RFC 9068 claims;
the refresh token is opaque, rotated on every use and grouped in a family whose id
rides in the access token as ``sid``, so revoking the family revokes both kinds.
"""

from __future__ import annotations

import math
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal

from gatepass.errors import ConfigurationError
from gatepass.tokens.cache import VerifiedTokenCache
from gatepass.tokens.keys import Key
from gatepass.tokens.keyset import KeySet
from gatepass.tokens.refresh import IssuedRefreshToken, RefreshTokenService
from gatepass.tokens.revocation import FAMILY_CLAIM, RevocationList
from gatepass.tokens.signing import sign
from gatepass.tokens.stores.base import Clock, RefreshFamily, RefreshStore, RevocationStore
from gatepass.tokens.verifier import Verifier

__all__ = ["AT_JWT_TYP", "TokenPair", "TokenService", "new_token_id"]

AT_JWT_TYP = "at+jwt"
"""The JWT ``typ`` of access tokens (RFC 9068 §2.1); verification requires it."""


def new_token_id() -> str:
    """Make a fresh ``jti``: 128 random bits, URL-safe base64.

    Returns:
        The id text.
    """
    return secrets.token_urlsafe(16)


@dataclass(frozen=True, slots=True)
class TokenPair:
    """What a token endpoint returns; ``repr`` never shows the tokens."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_in: int
    claims: dict[str, Any] = field(repr=False)
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - the RFC 6750 scheme, not a secret

    def to_dict(self) -> dict[str, str | int]:
        """The JSON body of ``POST /auth/token`` and ``POST /auth/refresh``.

        Returns:
            ``{access_token, refresh_token, token_type, expires_in}``.
        """
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "token_type": self.token_type,
            "expires_in": self.expires_in,
        }


class TokenService:
    """Issues and refreshes token pairs and revokes them.

    Args:
        keys: a private ``Key`` or a ``KeySet`` whose current key signs.
        issuer: the ``iss`` of every access token, and the one accepted.
        audience: the ``aud`` of every access token (the resource server(s)).
        refresh_store: where refresh-token records live.
        revocation_store: where revocations live (shared with every verifier).
        access_ttl: access-token lifetime (default 15 minutes).
        refresh_ttl: refresh-token lifetime (default 14 days).
        max_family_lifetime: how long one login's refresh family lasts, however
            often it is rotated (default 30 days; RFC 9700 §4.14.2).
        cache: an optional ``VerifiedTokenCache`` for :meth:`verify`.
        clock: seconds since the epoch; defaults to ``time.time``.
        jti_factory: makes ``jti`` values; defaults to :func:`new_token_id`.
        refresh_token_factory: makes refresh-token text (256 random bits by default).

    Raises:
        ConfigurationError: a lifetime is not positive, or the key cannot sign.
    """

    def __init__(
        self,
        *,
        keys: Key | KeySet,
        issuer: str,
        audience: str | Sequence[str],
        refresh_store: RefreshStore,
        revocation_store: RevocationStore,
        access_ttl: timedelta = timedelta(minutes=15),
        refresh_ttl: timedelta = timedelta(days=14),
        max_family_lifetime: timedelta = timedelta(days=30),
        cache: VerifiedTokenCache | None = None,
        clock: Clock = time.time,
        jti_factory: Callable[[], str] = new_token_id,
        refresh_token_factory: Callable[[], str] | None = None,
    ) -> None:
        signer = keys.current if isinstance(keys, KeySet) else keys
        if not signer.can_sign:
            raise ConfigurationError(
                f"Key {signer.kid!r} cannot sign; TokenService needs the private key."
            )
        self._keys = keys
        self._refresh_store = refresh_store
        self._issuer = issuer
        self._audience = audience
        self._access_ttl = access_ttl
        self._clock = clock
        self._jti_factory = jti_factory
        self.revocations = RevocationList(
            revocation_store, access_ttl=access_ttl, refresh_ttl=refresh_ttl, clock=clock
        )
        extra = {} if refresh_token_factory is None else {"token_factory": refresh_token_factory}
        self.refresh_tokens = RefreshTokenService(
            refresh_store,
            self.revocations,
            lifetime=refresh_ttl,
            max_family_lifetime=max_family_lifetime,
            clock=clock,
            **extra,
        )
        # Explicit typing (RFC 8725 §3.11, RFC 9068 §4): only at+jwt is an access token.
        self.verifier = Verifier(
            keys=keys,
            audience=audience,
            issuer=issuer,
            typ=AT_JWT_TYP,
            require=("exp", "iat", "sub", "jti"),
            cache=cache,
            revocation_check=self.revocations.is_revoked,
            revocation_version=self.revocations.version,
            clock=clock,
        )

    async def issue(
        self,
        subject: str,
        *,
        client_id: str | None = None,
        scope: str | None = None,
        device: str | None = None,
        address: str | None = None,
    ) -> TokenPair:
        """Log a user in: start a refresh family and issue its first pair.

        Args:
            subject: the user id (``sub``).
            client_id: the OAuth client, when known (RFC 9068 ``client_id``).
            scope: space-separated scopes, when known.
            device: a short user-agent summary, listed with the login.
            address: the client address, listed with the login.

        Returns:
            The token pair.

        Raises:
            ConfigurationError: ``subject`` is empty.
            StoreUnavailableError: a store cannot be reached.
        """
        if not subject:
            raise ConfigurationError("A token needs a non-empty subject.")
        issued = await self.refresh_tokens.issue(
            subject, client_id=client_id, scope=scope, device=device, address=address
        )
        return self._pair(issued)

    async def refresh(self, refresh_token: str, *, client_id: str | None = None) -> TokenPair:
        """Rotate a refresh token: spend it and issue the next pair of its family.

        Args:
            refresh_token: the opaque token the client presented.
            client_id: the authenticated client, when known; a token issued to another
                client is refused and its family revoked.

        Returns:
            The new pair.

        Raises:
            WrongTokenTypeError: an access token was presented.
            TokenError: the refresh token is unknown or expired.
            RevokedTokenError: it was already used or belongs to another client (its
                family is now revoked), or its family was revoked.
            StoreUnavailableError: a store cannot be reached (fail closed).
        """
        return self._pair(await self.refresh_tokens.rotate(refresh_token, client_id=client_id))

    async def verify(self, access_token: str) -> dict[str, Any]:
        """Verify an access token, including revocation, and return its claims.

        Args:
            access_token: the compact JWT from the ``Authorization`` header.

        Returns:
            The claims.

        Raises:
            TokenError: any subclass naming what is wrong (a refresh token presented
                here is malformed as a JWT; another JWT type is ``WrongTokenTypeError``).
            StoreUnavailableError: the revocation store cannot be reached.
        """
        return await self.verifier.verify_async(access_token)

    async def logout(self, access_token: str) -> None:
        """Revoke an access token and its whole refresh family (``POST /auth/logout``).

        Args:
            access_token: the caller's valid access token.

        Raises:
            TokenError: the access token is not valid (already revoked included).
            StoreUnavailableError: a store cannot be reached.
        """
        claims = await self.verify(access_token)
        await self.revocations.revoke_token(claims)
        family_id = claims.get(FAMILY_CLAIM)
        if isinstance(family_id, str) and family_id:
            await self.revocations.revoke_family(family_id)

    async def revoke_refresh_token(self, refresh_token: str) -> None:
        """Revoke a refresh token's family (RFC 7009); unknown tokens are ignored.

        Args:
            refresh_token: the opaque token.

        Raises:
            WrongTokenTypeError: an access token was presented.
            StoreUnavailableError: a store cannot be reached.
        """
        await self.refresh_tokens.revoke(refresh_token)

    async def logout_everywhere(self, subject: str, *, before: int | None = None) -> None:
        """Revoke every token and refresh family of a user issued before a time.

        For "log out everywhere" and after a password change (OWASP ASVS 3.3.3).

        Args:
            subject: the user id.
            before: epoch seconds; default the current second (a pair issued right
                after, in the same second, stays valid).

        Raises:
            StoreUnavailableError: the revocation store cannot be reached.
        """
        await self.revocations.revoke_subject(subject, before=before)

    async def families(self, subject: str) -> list[RefreshFamily]:
        """A user's live API logins (refresh families), newest first; never a token.

        Families revoked by reuse detection or a log-out-everywhere cut-off are left
        out, and forgotten.

        Args:
            subject: the user id.

        Returns:
            The families.

        Raises:
            StoreUnavailableError: a store cannot be reached.
        """
        live: list[RefreshFamily] = []
        for family in await self._refresh_store.families(subject):
            if await self.revocations.is_listed_family_revoked(family):
                await self._refresh_store.forget_family(subject, family.family_id)
            else:
                live.append(family)
        return live

    async def end_family(self, subject: str, family_id: str) -> bool:
        """End one API login of a user: its refresh tokens and its access tokens.

        Only a family listed for ``subject`` is ended, so an id posted by one user can
        never end another user's login (OWASP ASVS 5.0 8.2.2, CWE-639).

        Args:
            subject: the user id.
            family_id: a :attr:`RefreshFamily.family_id` from :meth:`families`.

        Returns:
            Whether a live family was ended.

        Raises:
            StoreUnavailableError: a store cannot be reached.
        """
        if not any(f.family_id == family_id for f in await self.families(subject)):
            return False
        # Revoke first: a family forgotten but not revoked would still refresh.
        await self.revocations.revoke_family(family_id)
        return await self._refresh_store.forget_family(subject, family_id)

    async def end_all_families(self, subject: str) -> int:
        """End every API login of a user and every access token issued before now.

        Args:
            subject: the user id.

        Returns:
            How many live families ended.

        Raises:
            StoreUnavailableError: a store cannot be reached.
        """
        families = await self.families(subject)
        for family in families:
            await self.revocations.revoke_family(family.family_id)
            await self._refresh_store.forget_family(subject, family.family_id)
        # The cut-off also reaches tokens of families that are no longer listed.
        await self.logout_everywhere(subject)
        return len(families)

    def _pair(self, issued: IssuedRefreshToken) -> TokenPair:
        record = issued.record
        now = math.floor(self._clock())
        ttl = math.floor(self._access_ttl.total_seconds())
        audience = self._audience
        # RFC 9068 §2.2 claims, plus the family id so the family's revocation reaches it.
        claims: dict[str, Any] = {
            "iss": self._issuer,
            "sub": record.subject,
            "aud": audience if isinstance(audience, str) else list(audience),
            "exp": now + ttl,
            "iat": now,
            "jti": self._jti_factory(),
            FAMILY_CLAIM: record.family_id,
        }
        if record.client_id is not None:
            claims["client_id"] = record.client_id
        if record.scope is not None:
            claims["scope"] = record.scope
        access_token = sign(
            claims, self._keys, expires_in=None, issued_at=False, headers={"typ": AT_JWT_TYP}
        )
        return TokenPair(
            access_token=access_token,
            refresh_token=issued.token,
            expires_in=ttl,
            claims=claims,
        )
