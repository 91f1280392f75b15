"""Token lifecycle: the cost of the revocation check, per call, per store.

Every verified access token pays one ``RevocationList.is_revoked(claims)``; this
measures it on the in-process, SQLite and Redis stores (Redis skipped when not
reachable), and compares it with one uncached ES256 signature check.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

from redis.asyncio import Redis
from redis.exceptions import RedisError

from gatepass.tokens.keys import Key
from gatepass.tokens.revocation import RevocationList
from gatepass.tokens.signing import sign
from gatepass.tokens.stores import (
    MemoryRevocationStore,
    RedisRevocationStore,
    RevocationStore,
    SQLiteRevocationStore,
)
from gatepass.tokens.verifier import Verifier

ROUNDS = 7
REVOKED = 10_000
NOW = 1_700_000_000


def _clock() -> float:
    return NOW


CLAIMS: dict[str, object] = {
    "iss": "https://auth.example",
    "sub": "user-42",
    "aud": "api",
    "jti": "not-revoked",
    "sid": "family-42",
    "client_id": "web",
    "iat": NOW,
    "exp": NOW + 900,
}


async def _median_us(call: Callable[[], Awaitable[object]], per_round: int) -> float:
    samples = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for _ in range(per_round):
            await call()
        samples.append((time.perf_counter() - start) / per_round * 1e6)
    return statistics.median(samples)


def _median_us_sync(call: Callable[[], object], per_round: int) -> float:
    samples = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for _ in range(per_round):
            call()
        samples.append((time.perf_counter() - start) / per_round * 1e6)
    return statistics.median(samples)


async def _fill(store: RevocationStore) -> None:
    # A realistic list: many revoked tokens, a few revoked families and users.
    for i in range(REVOKED):
        await store.revoke_token(f"jti-{i}", expires_at=NOW + 900)
    for i in range(100):
        await store.revoke_family(f"old-family-{i}", expires_at=NOW + 86400)
        await store.revoke_subject(f"user-{i}", before=NOW - 60, expires_at=NOW + 86400)


async def _check_cost(store: RevocationStore, per_round: int) -> float:
    await _fill(store)
    revocations = RevocationList(store, clock=_clock)
    assert not await revocations.is_revoked(CLAIMS)
    return await _median_us(lambda: revocations.is_revoked(CLAIMS), per_round)


async def _redis_cost() -> float | None:
    url = os.environ.get("GATEPASS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    client = Redis.from_url(url, socket_connect_timeout=1)
    prefix = f"gatepass-bench:{uuid.uuid4().hex}:"
    try:
        await client.ping()
    except (RedisError, OSError):
        await client.aclose()
        return None
    try:
        store = RedisRevocationStore(client, prefix=prefix, clock=_clock)
        return await _check_cost(store, 500)
    finally:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*", count=1000)]
        for start in range(0, len(keys), 1000):
            await client.delete(*keys[start : start + 1000])
        await client.aclose()


async def _measure() -> dict[str, float | None]:
    results: dict[str, float | None] = {}
    results["memory"] = await _check_cost(MemoryRevocationStore(clock=_clock), 20_000)
    with tempfile.TemporaryDirectory() as folder:
        async with SQLiteRevocationStore(Path(folder) / "r.sqlite3", clock=_clock) as sqlite:
            results["sqlite"] = await _check_cost(sqlite, 1_000)
    results["redis"] = await _redis_cost()

    key = Key.generate("ES256")
    token = _sign(key)
    plain = Verifier(keys=key, audience="api", typ="at+jwt", clock=_clock)
    results["verify"] = _median_us_sync(lambda: plain.verify(token), 1_000)
    revocations = RevocationList(MemoryRevocationStore(clock=_clock), clock=_clock)
    checked = Verifier(
        keys=key,
        audience="api",
        typ="at+jwt",
        clock=_clock,
        revocation_check=revocations.is_revoked,
    )
    results["verify_checked"] = await _median_us(lambda: checked.verify_async(token), 1_000)
    return results


def _sign(key: Key) -> str:
    return sign(CLAIMS, key, expires_in=None, issued_at=False, headers={"typ": "at+jwt"})


def _us(value: float | None) -> str:
    return "not reachable" if value is None else f"{value:.2f}"


def run() -> str:
    """Measure and return a Markdown section.

    Returns:
        Tables of median µs per call and the ratio to an uncached ES256 verify.
    """
    results = asyncio.run(_measure())
    verify = results["verify"] or 1.0
    memory = results["memory"] or 0.0
    checked = results["verify_checked"] or 0.0
    lines = [
        "## Token lifecycle: revocation check",
        "",
        f"Median µs per call over {ROUNDS} rounds; the store holds {REVOKED:,} revoked jtis,",
        "100 revoked families and 100 log-out-everywhere cut-offs; the checked token is live.",
        "",
        "| store | `is_revoked(claims)` µs/op |",
        "|---|---:|",
        f"| memory | {_us(results['memory'])} |",
        f"| SQLite (file, one connection) | {_us(results['sqlite'])} |",
        f"| Redis (one MGET round trip, localhost) | {_us(results['redis'])} |",
        "",
        "| uncached ES256 verification | µs/op |",
        "|---|---:|",
        f"| `Verifier.verify` (no revocation check) | {verify:.2f} |",
        f"| `Verifier.verify_async` + memory revocation check | {checked:.2f} |",
        "",
        f"Memory revocation check / ES256 verify: **{memory / verify:.1%}** (target < 10%).",
        f"End-to-end overhead of the check in `verify_async`: {(checked - verify) / verify:+.1%}.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(run())
