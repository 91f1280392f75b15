"""One-time tokens in Redis: several server processes share them.

A record is one string key with a TTL equal to its remaining life; taking it is
``GETDEL``, atomic in Redis, so of concurrent takes from any process exactly one wins.
A set per subject and purpose lists the outstanding keys, for :meth:`discard`.
"""

from __future__ import annotations

import math
import time

import orjson
from redis.asyncio import Redis
from redis.exceptions import RedisError

from gatepass.mail.stores.base import OneTimeRecord
from gatepass.tokens.stores._errors import unavailable
from gatepass.tokens.stores.base import Clock

__all__ = ["RedisOneTimeStore"]

_DISCARD = """
local keys = redis.call('SMEMBERS', KEYS[1])
for _, key in ipairs(keys) do redis.call('DEL', ARGV[1] .. key) end
redis.call('DEL', KEYS[1])
return #keys
"""


class RedisOneTimeStore:
    """One-time token records as expiring Redis strings.

    Args:
        client: a ``redis.asyncio.Redis`` client.
        prefix: the prefix of every key this store writes.
        clock: seconds since the epoch.
    """

    def __init__(
        self, client: Redis, *, prefix: str = "gatepass:", clock: Clock = time.time
    ) -> None:
        self._client = client
        self._prefix = prefix
        self._clock = clock

    def _record_key(self, key: str) -> str:
        return f"{self._prefix}ot:{key}"

    def _index_key(self, purpose: str, subject: str) -> str:
        return f"{self._prefix}ots:{purpose}:{subject}"

    async def add(self, record: OneTimeRecord) -> None:
        ttl = math.ceil(record.expires_at - self._clock())
        if ttl <= 0:
            return
        index = self._index_key(record.purpose, record.subject)
        value = orjson.dumps(
            [record.purpose, record.subject, record.binding, record.data, record.expires_at]
        )
        try:
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.set(self._record_key(record.key), value, ex=ttl)
                pipe.sadd(index, record.key)
                # The index lives as long as its newest record; stale members are harmless.
                pipe.expire(index, ttl, gt=True)
                pipe.expire(index, ttl, nx=True)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            raise unavailable("Redis", exc) from exc

    async def take(self, key: str) -> OneTimeRecord | None:
        try:
            raw = await self._client.getdel(self._record_key(key))
        except (RedisError, OSError) as exc:
            raise unavailable("Redis", exc) from exc
        if raw is None:
            return None
        purpose, subject, binding, data, expires_at = orjson.loads(raw)
        if expires_at <= self._clock():
            return None
        return OneTimeRecord(key, purpose, subject, binding, data, expires_at)

    async def discard(self, purpose: str, subject: str) -> None:
        try:
            await self._client.eval(
                _DISCARD, 1, self._index_key(purpose, subject), f"{self._prefix}ot:"
            )
        except (RedisError, OSError) as exc:
            raise unavailable("Redis", exc) from exc
