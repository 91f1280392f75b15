"""``RemoteKeySet``: an external issuer's JWKS, fetched with httpx and cached well.

Better than a fetch-per-miss client (compare pyjwt issues #1051, #1120): it honours
``Cache-Control: max-age`` and ``ETag`` (conditional GET), refetches on an unknown
``kid`` at most once per cooldown, merges concurrent misses into one fetch, serves
stale keys while it revalidates, and drops keys the issuer removed as soon as a
refresh sees them gone.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from datetime import timedelta
from types import TracebackType
from typing import Any, Final

import httpx
import orjson

from gatepass.errors import InvalidKeyError, KeySetUnavailableError, UnknownKeyError

from ._echo import echo
from .algorithms import Algorithm
from .durations import Duration, to_seconds
from .keys import Key
from .keyset import KeySet

__all__ = ["RemoteKeySet"]

_MAX_AGE: Final = re.compile(r"(?:^|,)\s*max-age\s*=\s*\"?(\d+)\"?", re.IGNORECASE)
_NO_CACHE: Final = re.compile(r"(?:^|,)\s*(?:no-store|no-cache)\b", re.IGNORECASE)


class RemoteKeySet:
    """The public keys of an external issuer, from its JWKS URL (async)."""

    def __init__(
        self,
        url: str,
        *,
        client: httpx.AsyncClient | None = None,
        default_algorithm: Algorithm | None = "RS256",
        default_ttl: Duration = timedelta(minutes=10),
        min_ttl: Duration = timedelta(minutes=1),
        max_ttl: Duration = timedelta(hours=24),
        refresh_cooldown: Duration = timedelta(seconds=30),
        max_stale: Duration = timedelta(hours=1),
        timeout: Duration = timedelta(seconds=5),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Describe where the keys live and how long to trust a copy.

        Args:
            url: the issuer's ``jwks_uri`` (HTTPS in production).
            client: an ``httpx.AsyncClient`` to use (not closed here); one is made
                and owned otherwise.
            default_algorithm: pinned to keys without ``alg`` (RSA keys of some
                issuers); ``None`` leaves such keys out.
            default_ttl: freshness when the response has no ``Cache-Control: max-age``.
            min_ttl: lower bound on freshness (also for ``no-cache``).
            max_ttl: upper bound on freshness.
            refresh_cooldown: least time between two fetches caused by unknown
                ``kid`` values or failures, so a flood of random ``kid`` s makes no
                flood of fetches.
            max_stale: how long past freshness keys are still served while one
                background request revalidates them (and while the issuer is down).
            timeout: per request.
            clock: monotonic seconds, a parameter for tests.

        Raises:
            DurationError: a duration option is not a duration.
        """
        self.url = url
        self._client = client
        self._owns_client = client is None
        self._default_algorithm = default_algorithm
        self._default_ttl = to_seconds(default_ttl)
        self._min_ttl = to_seconds(min_ttl)
        self._max_ttl = to_seconds(max_ttl)
        self._cooldown = to_seconds(refresh_cooldown)
        self._max_stale = to_seconds(max_stale)
        self._timeout = to_seconds(timeout)
        self._clock = clock
        self._keys: KeySet | None = None
        self._etag: str | None = None
        self._fresh_until = float("-inf")
        self._last_attempt = float("-inf")
        self._last_failed = False
        self._inflight: asyncio.Task[None] | None = None
        self.fetches = 0  # HTTP requests made, for monitoring

    async def get(self, kid: str | None) -> Key:
        """The issuer's key with this ``kid``, fetching or refreshing as needed.

        Args:
            kid: the token header's ``kid`` (``None`` only works for one-key sets).

        Returns:
            The key.

        Raises:
            UnknownKeyError: the issuer has no such key (after at most one refetch
                per cooldown).
            KeySetUnavailableError: the issuer cannot be reached and no usable copy
                is cached.
        """
        now = self._clock()
        keys = self._keys
        if keys is None or now >= self._fresh_until + self._max_stale:
            await self._refresh_or_raise(now)
        elif now >= self._fresh_until:
            key = keys.find(kid)
            if key is not None:
                # Stale-while-revalidate: answer now, refresh behind.
                self._revalidate(now)
                return key
        assert self._keys is not None
        key = self._keys.find(kid)
        if key is not None:
            return key
        if self._inflight is not None or now - self._last_attempt >= self._cooldown:
            await self._refresh()
            key = self._keys.find(kid)
            if key is not None:
                return key
        raise UnknownKeyError(f"The issuer at {self.url} has no key with kid {echo(kid)}.")

    def find_cached(self, kid: str | None) -> Key | None:
        """The cached key with this ``kid``, without any I/O."""
        return None if self._keys is None else self._keys.find(kid)

    def holds(self, key: Key) -> bool:
        """Whether this key is in the current copy of the set."""
        return self._keys is not None and self._keys.holds(key)

    async def refresh(self) -> KeySet:
        """Fetch the set now (joining a fetch in progress).

        Returns:
            The current key set.

        Raises:
            KeySetUnavailableError: the fetch failed.
        """
        await self._refresh()
        assert self._keys is not None
        return self._keys

    async def _refresh_or_raise(self, now: float) -> None:
        if (
            self._inflight is None
            and self._last_failed
            and now - self._last_attempt < self._cooldown
        ):
            raise KeySetUnavailableError(
                f"The keys at {self.url} could not be fetched recently; retrying after "
                f"{self._cooldown:g}s."
            )
        await self._refresh()

    async def _refresh(self) -> None:
        task = self._inflight
        if task is None:
            task = asyncio.ensure_future(self._fetch())
            self._inflight = task
            task.add_done_callback(self._done)
        # Single flight: every caller waits on the same request; one caller being
        # cancelled does not cancel it for the others.
        await asyncio.shield(task)
        if self._keys is None:
            raise KeySetUnavailableError()

    def _revalidate(self, now: float) -> None:
        if self._inflight is None and now - self._last_attempt >= self._cooldown:
            task = asyncio.ensure_future(self._fetch())
            self._inflight = task
            task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        if self._inflight is task:
            self._inflight = None
        if not task.cancelled():
            task.exception()  # retrieved: background failures are kept in state

    def _ttl(self, response: httpx.Response) -> float:
        control = response.headers.get("cache-control", "")
        if _NO_CACHE.search(control):
            return self._min_ttl
        match = _MAX_AGE.search(control)
        ttl = float(match.group(1)) if match else self._default_ttl
        return min(max(ttl, self._min_ttl), self._max_ttl)

    async def _fetch(self) -> None:
        self._last_attempt = self._clock()
        self._last_failed = True
        headers = {"Accept": "application/json"}
        if self._etag is not None and self._keys is not None:
            headers["If-None-Match"] = self._etag
        if self._client is None:
            self._client = httpx.AsyncClient()
        self.fetches += 1
        try:
            response = await self._client.get(self.url, headers=headers, timeout=self._timeout)
        except Exception as exc:
            # Network errors, a closed client, a failing transport: all mean "no keys
            # now"; the caller sees one 503 error, never a library's exception.
            raise KeySetUnavailableError(
                f"The keys at {self.url} cannot be fetched: {type(exc).__name__}."
            ) from None
        now = self._clock()
        if response.status_code == 304 and self._keys is not None:
            self._fresh_until = now + self._ttl(response)
            self._last_failed = False
            return
        if response.status_code != 200:
            raise KeySetUnavailableError(
                f"The keys at {self.url} answered HTTP {response.status_code}."
            )
        keys = self._parse(response.content)
        self._keys = keys
        self._etag = response.headers.get("etag")
        self._fresh_until = now + self._ttl(response)
        self._last_failed = False

    def _parse(self, body: bytes) -> KeySet:
        try:
            document: Any = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise KeySetUnavailableError(f"The keys at {self.url} are not JSON.") from None
        entries = document.get("keys") if isinstance(document, dict) else None
        if not isinstance(entries, list):
            raise KeySetUnavailableError(f"The document at {self.url} is not a JWKS.")
        usable = []
        for entry in entries:
            try:
                key = Key.from_jwk(
                    entry, algorithm=None if "alg" in entry else self._default_algorithm
                )
            except (InvalidKeyError, TypeError, AttributeError):
                continue  # encryption keys, other algorithms: not ours to use
            if not key.is_symmetric:  # a public JWKS never carries secrets
                usable.append(key)
        try:
            return KeySet(usable)
        except InvalidKeyError as exc:
            raise KeySetUnavailableError(f"The JWKS at {self.url} is refused: {exc}") from None

    async def aclose(self) -> None:
        """Close the HTTP client if this object made it, and stop a pending fetch."""
        task = self._inflight
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        if self._owns_client and self._client is not None:
            await self._client.aclose()
            self._client = None

    async def __aenter__(self) -> RemoteKeySet:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        kids = [] if self._keys is None else [key.kid for key in self._keys]
        return f"RemoteKeySet({self.url!r}, kids={kids!r})"
