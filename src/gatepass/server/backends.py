"""Where the server keeps its state, chosen by the settings.

With nothing set: users in SQLite, sessions and token records in SQLite files, rate
limit counters in process, all under the data folder. ``GATEPASS_DATABASE_URL`` moves
users to PostgreSQL; ``GATEPASS_REDIS_URL`` moves sessions, refresh families,
revocations and rate-limit counters to Redis, so any number of processes share them.
"""

from __future__ import annotations

import asyncio
import inspect
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from limits.aio.storage import Storage

from gatepass._versions import SQLiteDataVersion
from gatepass.errors import StoreUnavailableError
from gatepass.mail.stores import MemoryOneTimeStore, OneTimeStore
from gatepass.security.ratelimit import memory_storage, redis_storage
from gatepass.server.datadir import private_files
from gatepass.server.settings import Settings
from gatepass.sessions import MemorySessionStore, SessionStore
from gatepass.tokens.stores import RefreshStore, RevocationStore
from gatepass.users import SQLUserStore
from gatepass.users.cache import UserCache

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from gatepass._versions import RedisVersions

# A health check that waits longer than this counts the store as down.
HEALTH_TIMEOUT = 2.0
# Connections one process keeps to Redis; more concurrent requests queue for one.
REDIS_POOL_SIZE = 64
_PROBE = "readyz-probe"
USER_CACHE_SIZE = 10_000
USERS = "users"  # the name of the users' change counter in Redis


@dataclass(slots=True)
class Backends:
    """The stores of one server process.

    Attributes:
        users: the user table.
        sessions: server-side sessions.
        refresh: refresh-token records.
        revocations: revoked tokens and families.
        limits: rate-limit counters.
        redis: the shared Redis client, when configured.
        one_time: mailed one-time tokens and codes (Redis, else SQLite).
        user_cache: users by id in process memory, for the hot routes; ``None`` where
            no change signal reaches every process (PostgreSQL without Redis).
    """

    users: SQLUserStore
    sessions: SessionStore
    refresh: RefreshStore
    revocations: RevocationStore
    limits: Storage
    redis: Redis | None = None
    one_time: OneTimeStore = field(default_factory=MemoryOneTimeStore)
    _closers: list[object] = field(default_factory=list)
    user_cache: UserCache | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Backends:
        """Build (without connecting) the stores the settings ask for.

        Args:
            settings: the validated settings.

        Returns:
            The backends; call :meth:`open` before use.

        Raises:
            ConfigurationError: the database URL is not usable.
        """
        # The SQLite files this process will open in the data folder: created 0600.
        files = [] if settings.database_url else ["gatepass.db"]
        if not settings.redis_url:
            files += ["sessions.db", "tokens.db", "revocations.db", "onetime.db"]
        private_files(settings.data_dir, files)
        users = SQLUserStore(settings.effective_database_url)
        if settings.redis_url:
            from redis.asyncio import BlockingConnectionPool, Redis
            from redis.asyncio.retry import Retry
            from redis.backoff import NoBackoff

            from gatepass._versions import RedisVersions
            from gatepass.authenticator import SESSION_TEXT
            from gatepass.mail.stores.redis import RedisOneTimeStore
            from gatepass.sessions import CachedRedisSessionStore, RedisSessionStore
            from gatepass.tokens.stores import RedisRefreshStore, RedisRevocationStore

            # Short timeouts and one immediate retry: an outage answers 503 at once,
            # a restarted Redis is reconnected by the next request. A burst larger than
            # the pool waits for a free connection instead of failing at once.
            pool = BlockingConnectionPool.from_url(
                settings.redis_url,
                max_connections=REDIS_POOL_SIZE,
                timeout=HEALTH_TIMEOUT,
                socket_timeout=HEALTH_TIMEOUT,
                socket_connect_timeout=HEALTH_TIMEOUT,
            )
            client: Redis = Redis(connection_pool=pool, retry=Retry(NoBackoff(), 1))
            prefix = settings.redis_prefix
            shared = RedisSessionStore(
                client, prefix=f"{prefix}session:", session_text=SESSION_TEXT
            )
            sessions: SessionStore = shared
            versions = RedisVersions(client, prefix=prefix)
            closers: list[object] = [versions]
            if settings.session_cache:
                sessions = CachedRedisSessionStore(shared)
                closers.append(sessions)  # its invalidation listener has a connection
            return cls(
                users=users,
                sessions=sessions,
                refresh=RedisRefreshStore(client, prefix=prefix),
                revocations=RedisRevocationStore(client, prefix=prefix, versions=versions),
                limits=redis_storage(client, key_prefix=f"{prefix}limits"),
                redis=client,
                one_time=RedisOneTimeStore(client, prefix=prefix),
                _closers=closers,
                user_cache=_redis_user_cache(users, versions),
            )
        from gatepass.mail.stores.sqlite import SQLiteOneTimeStore
        from gatepass.sessions import SQLiteSessionStore
        from gatepass.tokens.stores import SQLiteRefreshStore, SQLiteRevocationStore

        data = settings.data_dir
        sessions = SQLiteSessionStore(data / "sessions.db")
        refresh = SQLiteRefreshStore(data / "tokens.db")
        revocations = SQLiteRevocationStore(data / "revocations.db")
        one_time = SQLiteOneTimeStore(data / "onetime.db")
        cache = _sqlite_user_cache(users)
        return cls(
            users=users,
            sessions=sessions,
            refresh=refresh,
            revocations=revocations,
            limits=memory_storage(),
            one_time=one_time,
            _closers=[
                sessions,
                refresh,
                revocations,
                one_time,
                *([cache.closer] if cache else []),
            ],
            user_cache=cache.cache if cache else None,
        )

    @classmethod
    def in_memory(cls, settings: Settings) -> Backends:
        """Users in the configured database, everything else in this process (tests).

        Args:
            settings: the validated settings.

        Returns:
            The backends.
        """
        from gatepass.tokens.stores import MemoryRefreshStore, MemoryRevocationStore

        users = SQLUserStore(settings.effective_database_url)
        cache = _sqlite_user_cache(users)
        return cls(
            users=users,
            user_cache=cache.cache if cache else None,
            _closers=[cache.closer] if cache else [],
            sessions=MemorySessionStore(),
            refresh=MemoryRefreshStore(),
            revocations=MemoryRevocationStore(),
            limits=memory_storage(),
        )

    async def open(self) -> None:
        """Connect the user database and bring its schema up to date.

        Raises:
            StoreUnavailableError: the database cannot be reached.
        """
        await self.users.open()

    async def close(self) -> None:
        """Close every connection this process opened."""
        await self.users.close()
        for closer in self._closers:
            close = getattr(closer, "aclose", None) or getattr(closer, "close", None)
            if close is not None:
                result = close()
                if inspect.isawaitable(result):
                    await result
        if self.redis is not None:
            await self.redis.aclose(close_connection_pool=True)

    async def check(self) -> dict[str, str]:
        """Ask every store one cheap question.

        Returns:
            ``{store: "ok" | "unavailable"}`` for users, sessions, refresh tokens,
            revocations and (with Redis) rate limits.
        """
        probes = {
            "users": self.users.find_by_id(_PROBE),
            "sessions": self.sessions.load(_PROBE),
            "refresh_tokens": self.refresh.spend("0" * 64),
            "revocations": self.revocations.is_revoked(jti=_PROBE),
        }
        if self.redis is not None:
            probes["rate_limits"] = self.limits.check()
        results: dict[str, str] = {}
        for name, probe in probes.items():
            try:
                answer = await asyncio.wait_for(probe, HEALTH_TIMEOUT)
            except Exception:  # any failure of a probe means "down", never a crash
                results[name] = "unavailable"
                continue
            # Only the rate-limit storage answers its health with a boolean.
            down = name == "rate_limits" and answer is False
            results[name] = "unavailable" if down else "ok"
        return results


@dataclass(frozen=True, slots=True)
class _SQLiteUserCache:
    cache: UserCache
    closer: SQLiteDataVersion


def _sqlite_user_cache(users: SQLUserStore) -> _SQLiteUserCache | None:
    # SQLite's data_version moves on any commit to the file, from any process (a
    # ``gatepass users disable`` next to the server, too). Other databases without
    # Redis have no such signal: no cache there.
    url = users.url
    database = url.database
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:"):
        return None
    data_version = SQLiteDataVersion(database)
    cache = UserCache(users, version=data_version, max_entries=USER_CACHE_SIZE)
    _invalidate_on_change(users, cache, None)
    return _SQLiteUserCache(cache, data_version)


def _redis_user_cache(users: SQLUserStore, versions: RedisVersions) -> UserCache:
    cache = UserCache(users, version=lambda: versions.version(USERS), max_entries=USER_CACHE_SIZE)
    _invalidate_on_change(users, cache, versions)
    return cache


def _invalidate_on_change(
    users: SQLUserStore, cache: UserCache, versions: RedisVersions | None
) -> None:
    async def changed() -> None:
        cache.invalidate()  # this process: at once
        if versions is None:
            return
        from redis.exceptions import RedisError

        try:
            await versions.bump(USERS)  # every other process, through Redis
        except (RedisError, OSError) as exc:
            # The change is stored; other processes hear of it when their listener
            # notices Redis is gone (and stop trusting their caches) or at max_age.
            raise StoreUnavailableError(
                "The change is saved, but other server processes could not be told."
            ) from exc

    users.on_change = changed
    users.change_version = cache.version  # linked identities are kept by it too
