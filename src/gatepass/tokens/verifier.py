"""``Verifier``: verify JWTs with pinned keys, a claim policy, a cache and revocation."""

from __future__ import annotations

import inspect
import time
from collections.abc import Awaitable, Callable, Collection, Sequence
from typing import Any, Final, TypeAlias, cast

from gatepass.errors import (
    BadSignatureError,
    ConfigurationError,
    GatepassError,
    RevokedTokenError,
    StoreUnavailableError,
    UnknownKeyError,
    UnsupportedAlgorithmError,
    WrongTokenTypeError,
)

from ._echo import echo
from ._encoding import loads_object
from .algorithms import ALGORITHMS, Algorithm
from .cache import CachedToken, VerifiedTokenCache
from .claims import Audience, ClaimPolicy
from .durations import Duration
from .jws import check_algorithm, parse_header, split
from .keys import Key
from .keyset import KeySet
from .remote import RemoteKeySet

__all__ = ["KeyResolver", "RevocationCheck", "Verifier"]

KeyResolver: TypeAlias = Callable[[dict[str, Any], Any], Key | Awaitable[Key]]
"""An app's own key lookup: ``(header, request) -> Key``, sync or async."""
RevocationCheck: TypeAlias = Callable[[dict[str, Any]], bool | Awaitable[bool]]
"""``(claims) -> True if revoked``, sync or async."""
Keys: TypeAlias = Key | KeySet | RemoteKeySet | KeyResolver

_HEADER_MEMO_SIZE: Final = 64


def _media_type(typ: str) -> str:
    # RFC 7515 §4.1.9: "application/" may be omitted; compare case-insensitively.
    lowered = typ.lower()
    return lowered.removeprefix("application/")


class Verifier:
    """Verifies tokens against one configuration (keys, audience, issuer, ...).

    Build it once and share it: ``verify(token)`` is synchronous for local keys
    (``Key`` or ``KeySet``, or a sync resolver); ``await verify_async(token, request)``
    works with every key source, including ``RemoteKeySet`` and async resolvers.
    """

    def __init__(
        self,
        *,
        keys: Keys,
        audience: Audience | None = None,
        issuer: str | Sequence[str] | None = None,
        subject: str | None = None,
        jwt_id: str | None = None,
        algorithms: Collection[Algorithm] | None = None,
        typ: str | None = None,
        leeway: Duration = 0,
        max_age: Duration | None = None,
        require: Sequence[str] = ("exp",),
        cache: VerifiedTokenCache | None = None,
        revocation_check: RevocationCheck | None = None,
        revocation_version: Callable[[], int] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Configure verification.

        Args:
            keys: a ``Key``, a ``KeySet`` (selected by ``kid``), a ``RemoteKeySet``
                or a function ``(header, request) -> Key`` (sync or async).
            audience: accepted ``aud`` value(s): strings, or compiled patterns that
                must match a whole value; a token with ``aud`` is refused when this
                is ``None`` (RFC 7519 §4.1.3).
            issuer: accepted ``iss`` value(s).
            subject: the required ``sub``.
            jwt_id: the required ``jti``.
            algorithms: an allow-list on top of the key's pinned algorithm.
            typ: the required header ``typ`` (e.g. ``"at+jwt"``, RFC 9068 §4).
            leeway: clock skew allowed on ``exp``/``nbf``/``iat``.
            max_age: the oldest ``iat`` accepted (``iat`` is then required).
            require: claims that must be present (default ``("exp",)``).
            cache: a ``VerifiedTokenCache`` for repeated tokens (one per verifier).
            revocation_check: ``(claims) -> bool`` (True = revoked), sync or async,
                asked on every verification, cached or not; if it raises, the
                token is refused (fail closed).
            revocation_version: ``() -> int``, a number that changes whenever anything
                is revoked; only a store this process alone writes can give one
                (``MemoryRevocationStore.version``). A cached token found not revoked
                at the current number is not asked about again.
            clock: epoch seconds, a parameter so tests never sleep.

        Raises:
            ConfigurationError: unsupported keys/algorithms, a key outside
                ``algorithms``, an ``audience``/``issuer`` that is not strings (or
                patterns), or a cache that already serves another verifier.
            DurationError: ``leeway`` or ``max_age`` is not a duration.
        """
        self._policy = ClaimPolicy.build(
            audience=audience,
            issuer=issuer,
            subject=subject,
            jwt_id=jwt_id,
            leeway=leeway,
            max_age=max_age,
            require=require,
        )
        if algorithms is not None:
            unknown = set(algorithms) - ALGORITHMS
            if unknown or not algorithms:
                raise ConfigurationError(f"algorithms must be among {sorted(ALGORITHMS)}.")
        self._algorithms = None if algorithms is None else frozenset(algorithms)
        self._keys = keys
        # A single key needs no lookup: the hot path takes it directly.
        self._key = keys if isinstance(keys, Key) else None
        self._check_keys_allowed()
        self._typ = None if typ is None else _media_type(typ)
        if cache is not None:
            cache.bind(self)
        self.cache = cache
        self._revocation = revocation_check
        self._revocation_version = revocation_version if revocation_check else None
        self._async_revocation = revocation_check is not None and inspect.iscoroutinefunction(
            revocation_check
        )
        self._clock = clock
        self._headers: dict[bytes, dict[str, Any]] = {}

    def _check_keys_allowed(self) -> None:
        keys = self._keys
        local = [keys] if isinstance(keys, Key) else list(keys) if isinstance(keys, KeySet) else []
        if self._algorithms is not None:
            for key in local:
                if key.algorithm not in self._algorithms:
                    raise ConfigurationError(
                        f"Key {key.kid!r} is for {key.algorithm}, outside algorithms="
                        f"{sorted(self._algorithms)}."
                    )
        if not local and not isinstance(keys, KeySet | RemoteKeySet) and not callable(keys):
            raise ConfigurationError(
                "keys= must be a Key, a KeySet, a RemoteKeySet or a function "
                "(header, request) -> Key; for a shared secret use Key.from_secret(...)."
            )

    def verify(self, token: str | bytes) -> dict[str, Any]:
        """Verify a token with local keys and return its claims.

        Args:
            token: the compact JWT.

        Returns:
            The claims (new objects on every call, nested ones included: the caller
            may change them).

        Raises:
            TokenError: any subclass, naming what is wrong (malformed, algorithm,
                key, signature, claims, revoked).
            ConfigurationError: the keys or revocation check are async; use
                :meth:`verify_async`.
            StoreUnavailableError: the revocation check failed (fail closed).
        """
        cache = self.cache
        if cache is not None:
            now = self._clock()
            hit = cache.get(token, now)
            if hit is not None and (self._key is hit.key or self._still_trusted(hit)):
                claims = hit.claims()
                version = self._revocation_version
                if version is None:
                    if self._revocation is not None:
                        self._revoked_sync(claims, token)
                    return claims
                current = version()  # as in verify_async
                if current != hit.unrevoked_at:
                    self._revoked_sync(claims, token)
                    cache.mark_unrevoked(token, hit, current)
                return claims
        version = self._revocation_version
        seen = None if version is None or cache is None else version()  # before the check
        # The hot path, kept flat: every call here costs on each request.
        header_b64, payload, signing_input, signature = split(token)
        header = self._headers.get(header_b64) or self._header(header_b64)
        key = self._key or self._resolve_sync(header)
        if header["alg"] != key.algorithm:
            check_algorithm(header, key)
        if not key.verify_signature(signing_input, signature):
            raise BadSignatureError()
        claims = loads_object(payload, "payload")
        deadline = self._policy.check(claims, self._clock())
        if self._revocation is not None:
            self._revoked_sync(claims, token)
        if cache is not None:
            cache.put(token, payload, deadline, key, now, header, seen)
        return claims

    async def verify_async(self, token: str | bytes, request: Any = None) -> dict[str, Any]:
        """Verify a token with any key source and return its claims.

        Args:
            token: the compact JWT.
            request: passed to a key resolver function (e.g. for multi-tenant lookups).

        Returns:
            The claims.

        Raises:
            TokenError: any subclass, naming what is wrong.
            KeySetUnavailableError: a remote key set cannot be fetched.
            StoreUnavailableError: the revocation check failed (fail closed).
        """
        cache = self.cache
        if cache is not None:
            now = self._clock()
            hit = cache.get(token, now)
            if hit is not None and (
                self._key is hit.key or await self._still_trusted_async(hit, request)
            ):
                claims = hit.claims()
                version = self._revocation_version
                if version is None:
                    await self._revoked_async(claims, token)
                    return claims
                # Nothing revoked since this token last passed: the answer stands. The
                # number is read before asking, so a revocation during the check moves
                # it and the next hit asks again.
                current = version()
                if current != hit.unrevoked_at:
                    await self._revoked_async(claims, token)
                    cache.mark_unrevoked(token, hit, current)
                return claims
        version = self._revocation_version
        seen = None if version is None or cache is None else version()  # before the check
        parts = split(token)
        header = self._headers.get(parts[0]) or self._header(parts[0])
        keys = self._keys
        if isinstance(keys, Key | KeySet):
            key = self._resolve_sync(header)
        elif isinstance(keys, RemoteKeySet):
            key = await keys.get(header.get("kid"))
        else:
            found = keys(dict(header), request)
            key = await found if inspect.isawaitable(found) else found
            _check_resolved(key)
        claims, deadline = self._finish(header, key, parts)
        await self._revoked_async(claims, token)
        if cache is not None:
            cache.put(token, parts[1], deadline, key, now, header, seen)
        return claims

    def _header(self, header_b64: bytes) -> dict[str, Any]:
        # Headers repeat across tokens of one issuer; parse and police each once.
        header = self._headers.get(header_b64)
        if header is None:
            header = parse_header(header_b64)
            if self._algorithms is not None and header["alg"] not in self._algorithms:
                raise UnsupportedAlgorithmError(
                    f"The token algorithm {header['alg']} is not in algorithms= for this verifier."
                )
            if self._typ is not None and _media_type(header.get("typ", "")) != self._typ:
                raise WrongTokenTypeError(
                    f"Expected a token of typ {self._typ!r}, got {echo(header.get('typ'))}."
                )
            if len(self._headers) >= _HEADER_MEMO_SIZE:
                self._headers.clear()
            self._headers[header_b64] = header
        return header

    def _resolve_sync(self, header: dict[str, Any]) -> Key:
        keys = self._keys
        if isinstance(keys, Key):
            return keys
        if isinstance(keys, KeySet):
            key = keys.find(header.get("kid"))
            if key is None:
                raise UnknownKeyError(f"No key with kid {echo(header.get('kid'))} is known.")
            return key
        if isinstance(keys, RemoteKeySet):
            raise ConfigurationError("A RemoteKeySet needs await verifier.verify_async(token).")
        found = keys(dict(header), None)
        if inspect.isawaitable(found):
            if inspect.iscoroutine(found):
                found.close()
            raise ConfigurationError("This key resolver is async; use await verify_async(token).")
        _check_resolved(found)
        return found

    def _finish(
        self, header: dict[str, Any], key: Key, parts: tuple[bytes, bytes, bytes, bytes]
    ) -> tuple[dict[str, Any], float]:
        if header["alg"] != key.algorithm:
            check_algorithm(header, key)
        if not key.verify_signature(parts[2], parts[3]):
            raise BadSignatureError()
        claims = loads_object(parts[1], "payload")
        deadline = self._policy.check(claims, self._clock())
        return claims, deadline

    def _still_trusted(self, hit: CachedToken) -> bool:
        keys = self._keys
        if isinstance(keys, KeySet | RemoteKeySet):
            # A retired or remotely removed key stops serving cached tokens too.
            return keys.holds(hit.key)
        if isinstance(keys, Key):
            return keys is hit.key
        # A resolver may pick another key for this request (another tenant, a
        # rotation): ask it again and serve the hit only for the same key, or the
        # cache would skip the check that key makes (RFC 8725 §3.1, §2.8).
        return _same_key(self._resolve_sync(hit.header), hit.key)

    async def _still_trusted_async(self, hit: CachedToken, request: Any) -> bool:
        keys = self._keys
        if isinstance(keys, Key | KeySet | RemoteKeySet):
            return self._still_trusted(hit)
        found = keys(dict(hit.header), request)  # see _still_trusted
        key = await found if inspect.isawaitable(found) else found
        _check_resolved(key)
        return _same_key(key, hit.key)

    def _revoked_sync(self, claims: dict[str, Any], token: str | bytes) -> None:
        if self._async_revocation:
            raise ConfigurationError("The revocation check is async; use await verify_async().")
        assert self._revocation is not None
        try:
            revoked = self._revocation(claims)
            if inspect.isawaitable(revoked):
                if inspect.iscoroutine(revoked):
                    revoked.close()
                raise ConfigurationError("The revocation check is async; use verify_async().")
        except GatepassError:
            raise
        except Exception as exc:
            raise _fail_closed(exc) from exc
        self._refuse_if(revoked, token)

    async def _revoked_async(self, claims: dict[str, Any], token: str | bytes) -> None:
        check = self._revocation
        if check is None:
            return
        try:
            answer = check(claims)
            if self._async_revocation:  # decided once, in __init__
                revoked: object = await cast(Awaitable[bool], answer)
            else:
                revoked = await answer if inspect.isawaitable(answer) else answer
        except GatepassError:
            raise
        except Exception as exc:
            raise _fail_closed(exc) from exc
        self._refuse_if(revoked, token)

    def _refuse_if(self, revoked: object, token: str | bytes) -> None:
        if revoked is not False:
            # Anything but a clear False refuses the token (fail closed).
            if self.cache is not None:
                self.cache.discard(token)
            raise RevokedTokenError()


def _same_key(found: Key, cached: Key) -> bool:
    # The same object, or a key rebuilt from the same material for the same algorithm.
    return found is cached or (
        found.algorithm == cached.algorithm
        and found.kid == cached.kid
        and found.thumbprint() == cached.thumbprint()
    )


def _check_resolved(key: object) -> None:
    if not isinstance(key, Key):
        raise ConfigurationError(
            f"The key resolver returned {type(key).__name__}; it must return a Key."
        )


def _fail_closed(exc: Exception) -> StoreUnavailableError:
    # ASVS 3.5.x / DESIGN "fail closed": an unknown revocation state refuses the token.
    return StoreUnavailableError(
        f"The revocation check failed ({type(exc).__name__}); the token is refused."
    )
