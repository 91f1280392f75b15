"""Scale: Redis session and refresh-token stores at 1,000 and at 1,000,000 entries.

Two private ``redis-server`` processes on free ports (no RDB, no AOF; the machine's
shared Redis is never touched), pinned to CPU 1; the client runs pinned to CPU 0. The
small one holds 1,000 sessions and 1,000 refresh tokens, the big one 1,000,000 of
each, written in the stores' own layout and format (the server's record layout for every
session, the sorted-set bucket that indexes it by user, refresh-token hashes with their TTLs) by
pipelined writes in bounded batches. Latency is one store call from the app's side
(``load`` of a session, ``spend`` of a refresh token, each on a random stored entry),
alternating between the two servers in rounds so a busy moment hits both alike; the
ratio is the median of per-round ratios. Memory per entry is the growth of
``used_memory`` (``INFO memory``) over the entries written, and ``MEMORY USAGE``
sampled on stored keys.
"""

from __future__ import annotations

import asyncio
import base64
import os
import random
import secrets
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from redis.asyncio import Redis

from bench._http_servers import private_redis, redis_server_path
from gatepass.authenticator import SESSION_TEXT
from gatepass.sessions import SessionRecord
from gatepass.sessions.session import USER_ID_KEY
from gatepass.sessions.stores.redis import RedisSessionStore
from gatepass.tokens.stores import RedisRefreshStore

SMALL = 1_000
BIG = int(os.environ.get("GATEPASS_BENCH_SCALE_ENTRIES", "1000000"))
BATCH = 5_000  # entries per pipeline: bounded memory on both sides
ROUNDS = 21
OPS_PER_ROUND = 150
CLIENT_CORE = 0
REDIS_CORE = 1
SESSION_PREFIX = "gatepass:session:"
TOKEN_PREFIX = "gatepass:"
SESSION_TTL = timedelta(minutes=30)
# A current desktop browser's User-Agent: the record keeps it for the session list.
USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
REFRESH_TTL = timedelta(days=14)


def _resp(command: tuple[bytes, ...]) -> bytes:
    # The Redis protocol (RESP2) written directly: encoding a million commands through
    # a client library costs minutes of CPU here, the bytes on the wire are the same.
    head = b"*%d\r\n" % len(command)
    return head + b"".join(b"$%d\r\n%s\r\n" % (len(part), part) for part in command)


async def _pipeline(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, commands: list[tuple[bytes, ...]]
) -> None:
    """Send one batch of commands and read every reply (all one-line replies here)."""
    writer.write(b"".join(_resp(command) for command in commands))
    await writer.drain()
    replies = b""
    while replies.count(b"\r\n") < len(commands):
        chunk = await reader.read(1 << 16)
        if not chunk:
            raise ConnectionError("Redis closed the connection while filling")
        replies += chunk
    if replies.startswith(b"-") or b"\r\n-" in replies:
        raise RuntimeError(f"Redis refused a write: {replies[:200]!r}")


def _ids(count: int, size: int) -> list[str]:
    """``count`` ids shaped like ``secrets.token_urlsafe(size)``, from one random block."""
    block = secrets.token_bytes(count * size)
    return [
        base64.urlsafe_b64encode(block[i : i + size]).rstrip(b"=").decode()
        for i in range(0, count * size, size)
    ]


def _log(text: str) -> None:
    print(text, flush=True)


class _Filled:
    """One Redis with ``count`` sessions and refresh tokens, and the stores over it."""

    def __init__(self, url: str, count: int) -> None:
        self.url = url
        self.count = count
        self.client: Redis = Redis.from_url(url)
        self.sessions = RedisSessionStore(
            self.client, prefix=SESSION_PREFIX, session_text=SESSION_TEXT
        )
        self.tokens = RedisRefreshStore(self.client, prefix=TOKEN_PREFIX)
        self.session_ids: list[str] = []
        self.user_ids: list[str] = []
        self.token_hashes: list[str] = []
        self.bytes_per_session = 0.0
        self.bytes_per_token = 0.0

    async def _used_memory(self) -> int:
        info = await self.client.info("memory")
        return int(info["used_memory"])

    async def fill(self) -> None:
        """Write the sessions, then the refresh tokens, measuring memory growth of each."""
        parts = urlsplit(self.url)
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        try:
            base = await self._used_memory()
            for start in range(0, self.count, BATCH):
                size = min(BATCH, self.count - start)
                await _pipeline(reader, writer, self._session_commands(size))
            after_sessions = await self._used_memory()
            for start in range(0, self.count, BATCH):
                size = min(BATCH, self.count - start)
                await _pipeline(reader, writer, self._token_commands(size))
            after_tokens = await self._used_memory()
        finally:
            writer.close()
            await writer.wait_closed()
        self.bytes_per_session = (after_sessions - base) / self.count
        self.bytes_per_token = (after_tokens - after_sessions) / self.count

    def _session_commands(self, size: int) -> list[tuple[bytes, ...]]:
        now = datetime.now(UTC)
        millis = int(SESSION_TTL.total_seconds() * 1000)
        expiry = str(int(now.timestamp() + SESSION_TTL.total_seconds())).encode()
        commands = []
        for session_id, user_id in zip(_ids(size, 32), _ids(size, 16), strict=True):
            # What a login through the Authenticator leaves in a session (the scope's
            # user and the session's owner), in the store's own layout
            # (RedisSessionStore.save): the record, and its entry in the user's bucket.
            record = SessionRecord(
                data={"_gatepass_users": {"default": user_id}, USER_ID_KEY: user_id},
                user_id=user_id,
                created_at=now,
                last_seen=now,
                user_agent=USER_AGENT,
            )
            index = self.sessions.index_key(user_id).encode()
            commands += [
                (
                    b"SET",
                    self.sessions.record_prefix.encode() + session_id.encode(),
                    self.sessions.layout.encode(record),
                    b"PX",
                    str(millis).encode(),
                ),
                (b"ZADD", index, expiry, session_id.encode()),
                (b"PEXPIRE", index, str(millis).encode()),
            ]
            self.session_ids.append(session_id)
            self.user_ids.append(user_id)
        return commands

    def _token_commands(self, size: int) -> list[tuple[bytes, ...]]:
        now = int(time.time())
        ttl = int(REFRESH_TTL.total_seconds())
        stamp, until = str(now).encode(), str(now + ttl).encode()
        hashes = secrets.token_bytes(32 * size).hex()  # hex SHA-256 digests are 64 hex digits
        commands = []
        for i, family, subject in zip(range(size), _ids(size, 16), _ids(size, 16), strict=True):
            token_hash = hashes[64 * i : 64 * (i + 1)]
            # The store's own layout (RedisRefreshStore.add): a hash with a TTL.
            key = self.tokens.key(token_hash).encode()
            commands += [
                (
                    b"HSET", key,
                    b"family_id", family.encode(),
                    b"subject", subject.encode(),
                    b"issued_at", stamp,
                    b"expires_at", until,
                    b"family_issued_at", stamp,
                    b"spent", b"0",
                ),
                (b"EXPIRE", key, str(ttl).encode()),
            ]  # fmt: skip
            self.token_hashes.append(token_hash)
        return commands

    async def sampled_usage(self, keys: list[str]) -> float:
        """Mean ``MEMORY USAGE`` of the given keys.

        Args:
            keys: stored keys.

        Returns:
            Bytes per key.
        """
        sizes = [await self.client.memory_usage(key, samples=0) for key in keys]
        return statistics.fmean(s or 0 for s in sizes)

    async def close(self) -> None:
        """Close the client."""
        await self.client.aclose()


async def _latencies(op: Callable[[], Awaitable[object]], count: int) -> list[float]:
    samples = []
    for _ in range(count):
        start = time.perf_counter_ns()
        await op()
        samples.append((time.perf_counter_ns() - start) / 1000)
    return samples


def _p99(samples: list[float]) -> float:
    return sorted(samples)[int(len(samples) * 0.99) - 1]


async def _compare(
    small: _Filled, big: _Filled, make: Callable[[_Filled], Callable[[], Awaitable[object]]]
) -> tuple[list[float], list[float], float]:
    ops = {small: make(small), big: make(big)}
    for op in ops.values():
        await _latencies(op, 200)  # warm-up: connections, scripts loaded
    runs: dict[_Filled, list[float]] = {small: [], big: []}
    ratios = []
    for round_number in range(ROUNDS):
        medians = {}
        # Alternate which server goes first, so neither always follows the other.
        order = (small, big) if round_number % 2 == 0 else (big, small)
        for filled in order:
            samples = await _latencies(ops[filled], OPS_PER_ROUND)
            runs[filled] += samples
            medians[filled] = statistics.median(samples)
        ratios.append(medians[big] / medians[small])
    return runs[small], runs[big], statistics.median(ratios)


async def _measure(small_url: str, big_url: str) -> str:
    small, big = _Filled(small_url, SMALL), _Filled(big_url, BIG)
    try:
        started = time.perf_counter()
        await small.fill()
        await big.fill()
        fill_seconds = time.perf_counter() - started
        _log(f"scale: filled {SMALL:,} + {BIG:,} of each in {fill_seconds:.0f} s")

        def load(filled: _Filled) -> Callable[[], Awaitable[object]]:
            return lambda: filled.sessions.load(random.choice(filled.session_ids))

        def spend(filled: _Filled) -> Callable[[], Awaitable[object]]:
            return lambda: filled.tokens.spend(random.choice(filled.token_hashes))

        session_small, session_big, session_ratio = await _compare(small, big, load)
        token_small, token_big, token_ratio = await _compare(small, big, spend)
        rng = random.Random(7)
        session_keys = [big.sessions.record_prefix + i for i in rng.sample(big.session_ids, 200)]
        token_keys = [big.tokens.key(h) for h in rng.sample(big.token_hashes, 200)]
        session_usage = await big.sampled_usage(session_keys)
        index_keys = [big.sessions.index_key(u) for u in rng.sample(big.user_ids, 200)]
        index_usage = await big.sampled_usage(index_keys)
        bucket_entries = statistics.fmean([await big.client.zcard(key) for key in index_keys])
        token_usage = await big.sampled_usage(token_keys)
    finally:
        await small.close()
        await big.close()
    return _report(
        fill_seconds=fill_seconds,
        rows=[
            ("session `load`", session_small, session_big, session_ratio),
            ("refresh token `spend`", token_small, token_big, token_ratio),
        ],
        memory=[
            (
                "session: record + its entry in a user index bucket (for log out everywhere)",
                f"{big.bytes_per_session:.0f}",
                f"{session_usage:.0f} + {index_usage / bucket_entries:.0f} "
                f"(a bucket: {index_usage:.0f} B, {bucket_entries:.1f} sessions)",
            ),
            ("refresh token", f"{big.bytes_per_token:.0f}", f"{token_usage:.0f}"),
        ],
        per_session=big.bytes_per_session,
    )


def _table(rows: Sequence[Sequence[str]], header: Sequence[str]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _report(
    *,
    fill_seconds: float,
    rows: list[tuple[str, list[float], list[float], float]],
    memory: list[tuple[str, str, str]],
    per_session: float,
) -> str:
    latency_rows = [
        (
            name,
            f"{statistics.median(small):.0f}",
            f"{_p99(small):.0f}",
            f"{statistics.median(big):.0f}",
            f"{_p99(big):.0f}",
            f"{ratio:.3f}x",
        )
        for name, small, big, ratio in rows
    ]
    targets = []
    for name, _, _, ratio in rows:
        met = "met" if ratio <= 1.10 else "MISSED"
        targets.append((f"{name} at {BIG:,} / at {SMALL:,}", f"{ratio:.3f}x", "≤ 1.10x", met))
    met = "met" if per_session < 400 else "MISSED"
    targets.append(("Redis memory per session", f"{per_session:.0f} B", "< 400 B", met))
    return "\n\n".join(
        [
            "## Scale (`bench/bench_scale.py`)",
            f"Private Redis servers pinned to CPU {REDIS_CORE}, client on CPU {CLIENT_CORE}; "
            f"{SMALL:,} vs {BIG:,} sessions and refresh tokens each, filled in "
            f"{fill_seconds:.0f} s by pipelines of {BATCH:,} entries. Latency in µs per "
            f"store call over {ROUNDS} alternating rounds of {OPS_PER_ROUND} calls "
            "(random stored entries); the ratio is the median of per-round ratios of "
            "medians.",
            _table(
                latency_rows,
                (
                    "operation",
                    f"p50 µs at {SMALL:,}",
                    f"p99 µs at {SMALL:,}",
                    f"p50 µs at {BIG:,}",
                    f"p99 µs at {BIG:,}",
                    "p50 ratio",
                ),
            ),
            _table(
                memory,
                ("entry", "bytes per entry (`used_memory` growth)", "`MEMORY USAGE` sampled"),
            ),
            "### Targets",
            _table(targets, ("measure", "measured", "target", "met")),
        ]
    )


def run() -> str:
    """Measure and return the Markdown section."""
    if redis_server_path() is None:
        return "## Scale (`bench/bench_scale.py`)\n\nNot run: `redis-server` is not installed."
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {CLIENT_CORE})
    try:
        with (
            tempfile.TemporaryDirectory(prefix="gatepass-bench-scale-") as tmp,
            ExitStack() as stack,
        ):
            folder = Path(tmp)
            small = stack.enter_context(private_redis(core=REDIS_CORE, log=folder / "small.log"))
            big = stack.enter_context(private_redis(core=REDIS_CORE, log=folder / "big.log"))
            return asyncio.run(_measure(small, big))
    finally:
        os.sched_setaffinity(0, before)


if __name__ == "__main__":
    print(run())
