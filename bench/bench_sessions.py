"""Session load+save per request on each store: bare store calls and through the middleware.

Each op is timed alone with ``perf_counter_ns``; tables show the median in µs/op.
Redis is measured when ``GATEPASS_TEST_REDIS_URL`` (default ``redis://127.0.0.1:6379/0``)
answers, under a throwaway key prefix that is removed afterwards.
"""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from gatepass.sessions import MemorySessionStore, SessionMiddleware, SessionRecord, SessionStore
from gatepass.sessions.signing import CookieSigner
from gatepass.sessions.stores.redis import RedisSessionStore
from gatepass.sessions.stores.sqlite import SQLiteSessionStore

KEY = "bench-key-" + "x" * 32
OPS = {"memory": 3000, "sqlite": 400, "redis": 1000}
REDIS_URL = os.environ.get("GATEPASS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _redis_reachable() -> bool:
    parts = urlsplit(REDIS_URL)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), 1):
            return True
    except OSError:
        return False


@asynccontextmanager
async def _open(kind: str, folder: Path) -> AsyncIterator[SessionStore]:
    if kind == "memory":
        yield MemorySessionStore()
    elif kind == "sqlite":
        sqlite = SQLiteSessionStore(folder / "bench-sessions.db")
        try:
            yield sqlite
        finally:
            await sqlite.close()
    else:
        redis = RedisSessionStore.from_url(REDIS_URL, prefix=f"bench:{uuid.uuid4().hex}:")
        try:
            yield redis
        finally:
            await redis.clear()
            await redis.close()


async def _median_us(op: Callable[[int], Awaitable[None]], count: int) -> float:
    for i in range(min(50, count)):  # warm-up: connections, table creation, caches
        await op(i)
    samples = []
    for i in range(count):
        start = time.perf_counter_ns()
        await op(i)
        samples.append(time.perf_counter_ns() - start)
    return statistics.median(samples) / 1000


async def _bare(store: SessionStore, count: int) -> float:
    now = datetime.now(UTC)
    record = SessionRecord(
        data={"_gatepass_uid": "42", "n": 0}, user_id="42", created_at=now, last_seen=now
    )

    async def op(i: int) -> None:
        await store.load("bench-session")
        await store.save("bench-session", record, ttl=timedelta(minutes=30))

    return await _median_us(op, count)


async def _counter_app(scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
    session = scope["session"]
    session["n"] = session.get("n", 0) + 1  # a write on every request: load + save
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


async def _through_middleware(store: SessionStore, count: int) -> float:
    app = SessionMiddleware(_counter_app, store=store, secret_keys=[KEY])
    now = datetime.now(UTC)
    await store.save(
        "bench-mw",
        SessionRecord(data={"n": 0}, user_id="42", created_at=now, last_seen=now),
        ttl=timedelta(minutes=30),
    )
    cookie = f"gatepass_session={CookieSigner([KEY]).sign('bench-mw')}".encode()
    scope = {
        "type": "http",
        "method": "GET",
        "scheme": "http",
        "path": "/",
        "headers": [(b"host", b"localhost"), (b"cookie", cookie)],
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: MutableMapping[str, Any]) -> None:
        return None

    async def op(i: int) -> None:
        await app(dict(scope), receive, send)

    return await _median_us(op, count)


async def _measure() -> list[tuple[str, str, str, int]]:
    kinds = ["memory", "sqlite"] + (["redis"] if _redis_reachable() else [])
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for kind in kinds:
            async with _open(kind, Path(folder)) as store:
                bare = await _bare(store, OPS[kind])
                through = await _through_middleware(store, OPS[kind])
            rows.append((kind, f"{bare:.1f}", f"{through:.1f}", OPS[kind]))
    if "redis" not in kinds:
        rows.append(("redis", "not reachable", "not reachable", 0))
    return rows


def run() -> str:
    """Measure every store and return a Markdown section.

    Returns:
        The section with a table of medians.
    """
    rows = asyncio.run(_measure())
    lines = [
        "## Sessions: load + save per request",
        "",
        "Median µs/op. *Bare*: `store.load` + `store.save` of a small record. "
        "*Middleware*: one request through `SessionMiddleware` on a minimal ASGI app "
        "that writes the session (cookie unsign, load, dirty check, a save that must find "
        "the session). SQLite is a file in a temporary folder (WAL, one commit per save); Redis "
        "is the local server.",
        "",
        "| store | bare load+save (µs/op) | through middleware (µs/request) | ops |",
        "|---|---:|---:|---:|",
    ]
    lines += [f"| {kind} | {bare} | {through} | {ops} |" for kind, bare, through, ops in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    print(run())
