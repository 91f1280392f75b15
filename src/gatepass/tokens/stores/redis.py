"""Redis stores (``redis.asyncio``): several server processes share one state.

Every key carries a prefix and a TTL equal to the remaining life of what it records, so
Redis memory stays bounded. A live family is one small hash (``<prefix>rf:<family>``,
short field names, the device and address trimmed) plus its member in the subject's
index (``<prefix>rfu:<subject>``, a sorted set scored by expiry); both expire with the
family's latest token, and expired members are dropped on every login. Spending runs
as one Lua script, which Redis executes atomically: of concurrent spends, from any
number of clients, exactly one sees the unspent record (RFC 9700 §4.14.2). Driver
exceptions are translated here into :class:`StoreUnavailableError` (fail closed).
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from redis.asyncio import Redis
from redis.exceptions import RedisError

from gatepass.errors import ConfigurationError
from gatepass.tokens.stores._errors import unavailable
from gatepass.tokens.stores._revocations import KeyedRevocations, Mark, revoked
from gatepass.tokens.stores.base import (
    Clock,
    RefreshFamily,
    RefreshRecord,
    SpendResult,
    login_detail,
)

if TYPE_CHECKING:
    from gatepass._versions import RedisVersions

__all__ = ["RedisRefreshStore", "RedisRevocationStore"]

REVOCATIONS = "revocations"  # the name of the revocation change counter

T = TypeVar("T")

_SPEND = """
local spent = redis.call('HGET', KEYS[1], 'spent')
if not spent then return false end
local fields = redis.call('HGETALL', KEYS[1])
if spent == '1' then return {'reused', fields} end
redis.call('HSET', KEYS[1], 'spent', '1')
return {'ok', fields}
"""

# Keep the latest cut-off only; an older one must never shorten a newer revocation.
_REVOKE_SUBJECT = """
local current = tonumber(redis.call('GET', KEYS[1]))
if current and current >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
redis.call('INCR', KEYS[2])
return 1
"""


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


async def _call(operation: Callable[[], Awaitable[T]]) -> T:
    try:
        return await operation()
    except (RedisError, OSError) as exc:
        raise unavailable("Redis", exc) from exc


class _RedisStore:
    """The client, key prefix and clock both Redis stores keep."""

    def __init__(self, client: Redis, *, prefix: str, clock: Clock) -> None:
        self._client = client
        self._prefix = prefix
        self._clock = clock

    def _ttl(self, expires_at: float) -> int:
        return math.ceil(expires_at - self._clock())


class RedisRefreshStore(_RedisStore):
    """Refresh-token records as Redis hashes that expire with the token.

    Args:
        client: a ``redis.asyncio.Redis`` client; the caller owns and closes it.
        prefix: prepended to every key, so several apps can share one Redis.
        clock: seconds since the epoch, used to turn ``expires_at`` into a TTL.
    """

    def __init__(
        self, client: Redis, *, prefix: str = "gatepass:", clock: Clock = time.time
    ) -> None:
        super().__init__(client, prefix=prefix, clock=clock)
        self._spend = client.register_script(_SPEND)

    def key(self, token_hash: str) -> str:
        """The Redis key holding the record of ``token_hash``.

        Args:
            token_hash: hex SHA-256 of the token.

        Returns:
            The prefixed key.
        """
        return f"{self._prefix}rt:{token_hash}"

    def family_key(self, family_id: str) -> str:
        """The Redis key of a family's entry.

        Args:
            family_id: the family.

        Returns:
            The prefixed key.
        """
        return f"{self._prefix}rf:{family_id}"

    def subject_key(self, subject: str) -> str:
        """The Redis key of a subject's index of families.

        Args:
            subject: the user.

        Returns:
            The prefixed key.
        """
        return f"{self._prefix}rfu:{subject}"

    async def add(
        self, record: RefreshRecord, *, device: str | None = None, address: str | None = None
    ) -> None:
        """Store a new, unspent record with a TTL of its remaining lifetime; note its family.

        Args:
            record: the record to keep.
            device: a short user-agent summary, kept by the family's first record.
            address: the client address, kept by the family's first record.

        Raises:
            StoreUnavailableError: Redis cannot be reached.
        """
        ttl = self._ttl(record.expires_at)
        if ttl <= 0:
            return
        fields: dict[str, str | int] = {
            "family_id": record.family_id,
            "subject": record.subject,
            "issued_at": record.issued_at,
            "expires_at": record.expires_at,
            "family_issued_at": record.family_issued_at,
            "spent": 0,
        }
        if record.client_id is not None:
            fields["client_id"] = record.client_id
        if record.scope is not None:
            fields["scope"] = record.scope
        key = self.key(record.token_hash)
        family_key = self.family_key(record.family_id)
        index_key = self.subject_key(record.subject)
        family: dict[str, str | int] = {
            "s": record.subject,
            "f": record.family_issued_at,
            "l": record.issued_at,
            "e": record.expires_at,
        }
        if record.client_id is not None:
            family["c"] = record.client_id
        # Written only when the family starts (HSETNX): the login's device stays.
        first = {"d": login_detail(device), "a": login_detail(address)}

        async def write() -> None:
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.hset(key, mapping=fields)  # type: ignore[arg-type]
                pipe.expire(key, ttl)
                pipe.hset(family_key, mapping=family)  # type: ignore[arg-type]
                for name, value in first.items():
                    if value is not None:
                        pipe.hsetnx(family_key, name, value)
                pipe.expire(family_key, ttl)
                pipe.zadd(index_key, {record.family_id: record.expires_at})
                pipe.zremrangebyscore(index_key, "-inf", math.floor(self._clock()))
                # NX then GT: a new index gets a TTL, a live one only ever a longer one.
                pipe.expire(index_key, ttl, nx=True)
                pipe.expire(index_key, ttl, gt=True)
                await pipe.execute()

        await _call(write)

    async def spend(self, token_hash: str) -> SpendResult:
        """Mark the record spent in one Lua script; exactly one caller wins.

        Args:
            token_hash: hex SHA-256 of the presented token.

        Returns:
            ``ok`` for the caller that spent it, ``reused`` when it was spent before,
            ``unknown`` when no live record exists.

        Raises:
            StoreUnavailableError: Redis cannot be reached.
        """
        key = self.key(token_hash)
        result = await _call(lambda: self._spend(keys=[key]))
        if not result:
            return SpendResult("unknown")
        status, flat = result
        fields = {_text(flat[i]): _text(flat[i + 1]) for i in range(0, len(flat), 2)}
        record = RefreshRecord(
            token_hash=token_hash,
            family_id=fields["family_id"],
            subject=fields["subject"],
            client_id=fields.get("client_id"),
            scope=fields.get("scope"),
            issued_at=int(fields["issued_at"]),
            expires_at=int(fields["expires_at"]),
            family_issued_at=int(fields["family_issued_at"]),
        )
        if record.expires_at <= self._clock():
            return SpendResult("unknown")
        return SpendResult("reused" if _text(status) == "reused" else "ok", record)

    async def families(self, subject: str) -> list[RefreshFamily]:
        """The subject's families whose latest token has not expired, newest login first.

        Args:
            subject: the user.

        Returns:
            The families.

        Raises:
            StoreUnavailableError: Redis cannot be reached.
        """
        now = math.floor(self._clock())
        index_key = self.subject_key(subject)
        members = await _call(lambda: self._client.zrangebyscore(index_key, f"({now}", "+inf"))
        ids = [_text(member) for member in members]
        if not ids:
            return []

        async def read() -> list[dict[bytes | str, bytes | str]]:
            async with self._client.pipeline(transaction=False) as pipe:
                for family_id in ids:
                    pipe.hgetall(self.family_key(family_id))
                result: list[dict[bytes | str, bytes | str]] = await pipe.execute()
                return result

        found: list[RefreshFamily] = []
        for family_id, raw in zip(ids, await _call(read), strict=True):
            entry = {_text(name): _text(value) for name, value in raw.items()}
            if entry.get("s") != subject or int(entry.get("e", 0)) <= now:
                continue
            found.append(
                RefreshFamily(
                    family_id=family_id,
                    subject=subject,
                    client_id=entry.get("c"),
                    issued_at=int(entry["f"]),
                    last_used=int(entry["l"]),
                    expires_at=int(entry["e"]),
                    device=entry.get("d"),
                    address=entry.get("a"),
                )
            )
        return sorted(found, key=lambda family: (-family.issued_at, family.family_id))

    async def forget_family(self, subject: str, family_id: str) -> bool:
        """Drop a family of ``subject`` from the list (after revoking it).

        Args:
            subject: the user.
            family_id: the family.

        Returns:
            Whether it was listed.

        Raises:
            StoreUnavailableError: Redis cannot be reached.
        """
        index_key = self.subject_key(subject)
        removed = await _call(lambda: self._client.zrem(index_key, family_id))
        if removed:
            family_key = self.family_key(family_id)
            await _call(lambda: self._client.delete(family_key))
        return bool(removed)


class RedisRevocationStore(KeyedRevocations, _RedisStore):
    """Revocation entries as Redis keys with a TTL of the remaining token lifetime.

    Args:
        client: a ``redis.asyncio.Redis`` client; the caller owns and closes it.
        prefix: prepended to every key.
        clock: seconds since the epoch, used to turn ``expires_at`` into a TTL.
        versions: the change counters this process listens to; with them the store has
            a ``version()`` that moves on every revocation by any process, so a verifier
            may keep "not revoked" answers in memory. Every write moves the counter
            ``<prefix>version:revocations`` either way.
    """

    def __init__(
        self,
        client: Redis,
        *,
        prefix: str = "gatepass:",
        clock: Clock = time.time,
        versions: RedisVersions | None = None,
    ) -> None:
        super().__init__(client, prefix=prefix, clock=clock)
        self._revoke_subject = client.register_script(_REVOKE_SUBJECT)
        self._versions = versions
        self._version_key = f"{prefix}version:{REVOCATIONS}"
        if versions is not None:
            if versions.key(REVOCATIONS) != self._version_key:
                raise ConfigurationError("versions= must use the store's key prefix.")
            self.version: Callable[[], int] = lambda: versions.version(REVOCATIONS)

    def key(self, kind: str, value: str) -> str:
        """The Redis key of one revocation entry.

        Args:
            kind: ``jti``, ``fid`` or ``sub``.
            value: the token id, family id or subject.

        Returns:
            The prefixed key.
        """
        return f"{self._prefix}rv:{kind}:{value}"

    async def _mark(self, kind: Mark, value: str, expires_at: int) -> None:
        ttl = self._ttl(expires_at)
        if ttl > 0:
            key = self.key(kind, value)
            # The entry and the counter in one transaction: a reader that hears of the
            # change finds the entry (MULTI/EXEC runs both before any other command).
            pipe = self._client.pipeline(transaction=True)
            pipe.set(key, 1, ex=ttl)
            pipe.incr(self._version_key)
            await _call(pipe.execute)
            self._changed_here()

    async def _cut_off(self, subject: str, before: int, expires_at: int) -> None:
        ttl = self._ttl(expires_at)
        if ttl > 0:
            key = self.key("sub", subject)
            keys = [key, self._version_key]
            await _call(lambda: self._revoke_subject(keys=keys, args=[before, ttl]))
            self._changed_here()

    def _changed_here(self) -> None:
        if self._versions is not None:
            self._versions.changed_here(REVOCATIONS)

    async def _lookup(
        self, jti: str | None, family_id: str | None, subject: str | None, issued_at: int | None
    ) -> bool:
        # One MGET for every key asked about.
        keys = [
            self.key("jti", jti) if jti is not None else None,
            self.key("fid", family_id) if family_id is not None else None,
            self.key("sub", subject) if subject is not None else None,
        ]
        wanted = [key for key in keys if key is not None]
        if not wanted:
            return False
        values = dict(zip(wanted, await _call(lambda: self._client.mget(wanted)), strict=True))
        found = [None if key is None else values[key] for key in keys]
        return revoked(
            jti=found[0] is not None,
            family=found[1] is not None,
            cut_off=None if found[2] is None else int(_text(found[2])),
            issued_at=issued_at,
        )
