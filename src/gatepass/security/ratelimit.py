"""Rate limits against brute force and abuse, on the ``limits`` library's async API.

A :class:`RateLimiter` holds named limits ("refresh": "30/minute") over one storage
(in-process or Redis, so several server processes share the counters). A
:class:`LoginThrottle` applies three of them to a login: per client address, per
account from that address, and per account from everywhere (OWASP ASVS 5.0 6.1.1).
Counters live in ``limits``' storage and follow the wall clock, since that library
reads ``time.time()`` itself.
When the storage cannot be reached the limiter fails closed with
:class:`StoreUnavailableError`.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
import time
import unicodedata
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Literal, TypeVar

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter, SlidingWindowCounterRateLimiter
from limits.errors import StorageError

from gatepass.errors import ConfigurationError, RateLimitedError, StoreUnavailableError

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = [
    "LimitStrategy",
    "LoginThrottle",
    "RateLimiter",
    "account_key",
    "address_key",
    "memory_storage",
    "redis_storage",
]

T = TypeVar("T")
# Store outages go to one logger for every store; "gatepass.security" is the JSON
# event log of the server.
logger = logging.getLogger("gatepass.stores")

# Longer than any login identifier a store accepts (emails stop at 254 characters).
MAX_ACCOUNT_CHARS = 1024

LimitStrategy = Literal["moving-window", "sliding-window-counter"]
"""``moving-window`` is exact; ``sliding-window-counter`` approximates it in O(1) memory."""


def memory_storage() -> Storage:
    """An in-process counter storage, for one process and for tests.

    Returns:
        A ``limits`` async memory storage.
    """
    return MemoryStorage(wrap_exceptions=True)


def redis_storage(client: Redis, *, key_prefix: str = "gatepass-limits") -> Storage:
    """A counter storage on Redis, shared by every process using the same prefix.

    Args:
        client: a ``redis.asyncio.Redis`` client; its connection pool is reused, and the
            caller closes it.
        key_prefix: prepended to every counter key.

    Returns:
        A ``limits`` async Redis storage.
    """
    return RedisStorage(
        "async+redis://",
        implementation="redispy",
        key_prefix=key_prefix,
        wrap_exceptions=True,
        connection_pool=client.connection_pool,  # type: ignore[arg-type]
    )


class RateLimiter:
    """Named sliding-window limits over one storage.

    Args:
        storage: from :func:`memory_storage` or :func:`redis_storage`.
        limits: limit name to rate text, e.g. ``{"refresh": "30/minute"}``.
        strategy: ``moving-window`` (default, exact) or ``sliding-window-counter``.
        namespace: keeps these counters apart from other limiters on the same storage.

    Raises:
        ConfigurationError: a rate cannot be parsed.
    """

    def __init__(
        self,
        storage: Storage,
        limits: Mapping[str, str],
        *,
        strategy: LimitStrategy = "moving-window",
        namespace: str = "gatepass",
    ) -> None:
        self._storage = storage
        self._items = {name: _parse(name, text) for name, text in limits.items()}
        self._strategy = (
            MovingWindowRateLimiter(storage)
            if strategy == "moving-window"
            else SlidingWindowCounterRateLimiter(storage)
        )
        self._namespace = namespace
        base = storage.base_exceptions
        self._errors: tuple[type[Exception], ...] = (
            StorageError,
            OSError,
            *(base if isinstance(base, tuple) else (base,)),
        )

    async def hit(self, name: str, key: str) -> None:
        """Count one attempt against limit ``name`` for ``key``, or refuse it.

        The check and the count are one atomic step in the storage, so concurrent
        attempts cannot slip past the limit together.

        Args:
            name: a configured limit name.
            key: whom the limit applies to (an account, an address).

        Raises:
            RateLimitedError: the limit is exhausted; ``retry_after`` says for how long.
            ConfigurationError: no limit is called ``name``.
            StoreUnavailableError: the storage cannot be reached (fail closed).
        """
        if not await self._apply(self._strategy.hit, name, key):
            raise RateLimitedError(retry_after=await self.retry_after(name, key))

    async def test(self, name: str, key: str) -> None:
        """Refuse if limit ``name`` for ``key`` is exhausted, without counting an attempt.

        Args:
            name: a configured limit name.
            key: whom the limit applies to.

        Raises:
            RateLimitedError: the limit is exhausted.
            ConfigurationError: no limit is called ``name``.
            StoreUnavailableError: the storage cannot be reached.
        """
        if not await self._apply(self._strategy.test, name, key):
            raise RateLimitedError(retry_after=await self.retry_after(name, key))

    async def remaining(self, name: str, key: str) -> int:
        """How many attempts are left in the current window.

        Args:
            name: a configured limit name.
            key: whom the limit applies to.

        Returns:
            The number of attempts left.

        Raises:
            ConfigurationError: no limit is called ``name``.
            StoreUnavailableError: the storage cannot be reached.
        """
        stats = await self._apply(self._strategy.get_window_stats, name, key)
        return max(0, stats.remaining)

    async def retry_after(self, name: str, key: str) -> int:
        """Whole seconds until limit ``name`` lets ``key`` try again (at least 1).

        Args:
            name: a configured limit name.
            key: whom the limit applies to.

        Returns:
            Seconds for a ``Retry-After`` header.

        Raises:
            ConfigurationError: no limit is called ``name``.
            StoreUnavailableError: the storage cannot be reached.
        """
        stats = await self._apply(self._strategy.get_window_stats, name, key)
        return max(1, math.ceil(stats.reset_time - time.time()))

    async def reset(self, name: str, key: str) -> None:
        """Forget every attempt counted against limit ``name`` for ``key``.

        Args:
            name: a configured limit name.
            key: whom the limit applies to.

        Raises:
            ConfigurationError: no limit is called ``name``.
            StoreUnavailableError: the storage cannot be reached.
        """
        await self._apply(self._strategy.clear, name, key)

    def _item(self, name: str) -> RateLimitItem:
        try:
            return self._items[name]
        except KeyError:
            known = ", ".join(sorted(self._items)) or "none"
            raise ConfigurationError(
                f"No rate limit named {name!r}; configured: {known}."
            ) from None

    async def _apply(self, operation: Callable[..., Awaitable[T]], name: str, key: str) -> T:
        # One ``limits`` call on limit ``name`` for ``key``, in this limiter's namespace.
        item = self._item(name)
        try:
            return await operation(item, self._namespace, name, key)
        except self._errors as exc:
            # The driver's text (hosts, ports, paths) is for the log, not the 503 body
            # (OWASP ASVS 4.0.3 V7.4.1); the cause stays chained for the traceback.
            logger.warning("The rate-limit storage failed.", exc_info=exc)
            raise StoreUnavailableError("The rate-limit storage is unavailable.") from exc


def _parse(name: str, text: str) -> RateLimitItem:
    try:
        return parse(text)
    except ValueError as exc:
        raise ConfigurationError(
            f"Rate limit {name!r} = {text!r} is not a rate; write it like '5/minute'."
        ) from exc


def account_key(account: str) -> str:
    """The counter key of a login identifier: normalized, then hashed.

    The identifier is folded the way accounts are looked up (NFKC, stripped,
    case-folded, as ``gatepass.users.normalize_email``), so look-alike spellings such
    as a full-width ``a`` (U+FF41) count against the one account they reach instead of
    each getting a fresh budget (OWASP ASVS 4.0.3 V2.2.1, anti-automation). Known and
    unknown accounts get keys the same way, so the throttle never reveals whether an
    account exists (OWASP Authentication Cheat Sheet: account enumeration). Hashing
    keeps identifiers such as email addresses out of the counter store's keys.

    Args:
        account: the identifier as typed (an email or user name).

    Returns:
        A hex key.
    """
    if len(account) > MAX_ACCOUNT_CHARS:
        # Too long to be any account: hashed as sent, never normalized, since NFKC
        # can expand a character eighteen-fold (U+FDFA) and stall the event loop.
        normalized = account
    else:
        normalized = unicodedata.normalize("NFKC", account).strip().casefold()
    # surrogatepass: a lone surrogate from a JSON body must not raise here (500).
    return hashlib.sha256(normalized.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def address_key(address: str) -> str:
    """The counter key of a client address; IPv6 clients are grouped by their /64.

    One IPv6 host usually holds a whole /64, so counting single addresses would give it
    2^64 budgets (OWASP Credential Stuffing Prevention).

    Args:
        address: the client's IP address as text.

    Returns:
        The normalized address or network; the text itself when it is not an IP.
    """
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return address.strip()
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


class LoginThrottle:
    """Login brute-force defence that a stranger cannot turn into a lockout.

    Three limits are counted on every attempt, before the password is verified:
    per client address (across accounts), per account *from that address* (the strict
    one), and per account from every address (looser). Keying the strict limit by
    account and address keeps a stranger hammering someone's email from locking the
    owner out, who signs in from another address; the account-wide limit still stops
    a guessing attack spread over many addresses (OWASP ASVS 5.0 6.1.1, OWASP
    Authentication Cheat Sheet "Account Lockout", CWE-307, CWE-645). ``check`` counts
    the attempt in the same atomic step that tests the limit, so parallel guesses
    cannot all slip in before a failure is recorded.

    Args:
        storage: from :func:`memory_storage` or :func:`redis_storage`.
        per_account: attempts allowed per account from one address, e.g. ``"5/minute"``.
        per_address: attempts allowed per client address, e.g. ``"20/minute"``.
        account_wide: attempts allowed per account from every address together;
            default ten times ``per_account``. Keep it looser than ``per_account``, or
            one address can use it up.
        strategy: ``moving-window`` (default) or ``sliding-window-counter``.
        namespace: keeps these counters apart from other limiters on the storage.

    Raises:
        ConfigurationError: a rate cannot be parsed.
    """

    ACCOUNT = "login-account"
    ACCOUNT_ADDRESS = "login-account-address"
    ADDRESS = "login-address"

    def __init__(
        self,
        storage: Storage,
        *,
        per_account: str = "5/minute",
        per_address: str = "20/minute",
        account_wide: str | None = None,
        strategy: LimitStrategy = "moving-window",
        namespace: str = "gatepass",
    ) -> None:
        if account_wide is None:
            strict = _parse(self.ACCOUNT_ADDRESS, per_account)
            account_wide = f"{strict.amount * 10}/{strict.multiples} {strict.GRANULARITY.name}"
        self.limiter = RateLimiter(
            storage,
            {
                self.ACCOUNT_ADDRESS: per_account,
                self.ACCOUNT: account_wide,
                self.ADDRESS: per_address,
            },
            strategy=strategy,
            namespace=namespace,
        )

    async def check(self, *, account: str, address: str) -> None:
        """Count a login attempt, or refuse it before the password is verified.

        An attempt refused by one limit is not counted by the next ones: a blocked
        address does not use up the account-wide budget.

        Args:
            account: the identifier as typed; unknown accounts count the same way.
            address: the client's IP address.

        Raises:
            RateLimitedError: too many attempts for this address, for this account from
                this address, or for this account from everywhere.
            StoreUnavailableError: the storage cannot be reached (fail closed).
        """
        where, who = address_key(address), account_key(account)
        await self.limiter.hit(self.ADDRESS, where)
        await self.limiter.hit(self.ACCOUNT_ADDRESS, f"{who}@{where}")
        await self.limiter.hit(self.ACCOUNT, who)

    async def failed(self, *, account: str, address: str) -> None:
        """Do nothing today: a failed login was already counted by ``check``.

        ``check`` counts every attempt before the password is verified, so a failure
        needs no second count. The method exists for symmetry with ``succeeded``:
        routes call ``check``, then ``failed`` or ``succeeded``, and keep working
        unchanged if failures are one day weighed more than attempts.

        Args:
            account: the identifier as typed.
            address: the client's IP address.
        """

    async def succeeded(self, *, account: str, address: str) -> None:
        """Record a successful login: the account's counter at this address starts over.

        The address counter is kept, so one valid account cannot clear the way for
        guesses at others from the same address; so is the account-wide counter, so
        the owner signing in does not hand a spread-out attack a fresh budget.

        Args:
            account: the identifier as typed.
            address: the client's IP address.

        Raises:
            StoreUnavailableError: the storage cannot be reached.
        """
        key = f"{account_key(account)}@{address_key(address)}"
        await self.limiter.reset(self.ACCOUNT_ADDRESS, key)
