"""gatepass's own CPU per login, apart from argon2, counted inside one process.

Wall-clock or whole-process figures cannot split a 20 ms login into argon2 and the
rest finely enough on a shared machine. Here the gatepass app runs in this process
(ASGI calls, no sockets) with a hasher that adds up the CPU time of its own thread
inside each argon2 verify (``time.thread_time``); the process's CPU time over the
same logins, minus that, minus an unprotected request's CPU, is what gatepass's login
code costs (JSON body, user lookup, the worker-thread hop, rehash check, refresh
family, signing, response).
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

from bench.apps import common
from bench.apps.gatepass_app import bench_hasher, create
from gatepass.passwords import PasswordHasher

LOGINS = 30
CONCURRENT = 10
OPEN_REQUESTS = 3000


class _TimedHasher(PasswordHasher):
    """A PasswordHasher that adds up the CPU its threads spend verifying."""

    def __init__(self, inner: PasswordHasher) -> None:
        super().__init__(inner.parameters)
        self.spent = 0.0
        self._lock = threading.Lock()

    def verify(self, password_hash: str, password: str) -> bool:
        start = time.thread_time()
        try:
            return super().verify(password_hash, password)
        finally:
            with self._lock:
                self.spent += time.thread_time() - start


@dataclass(frozen=True, slots=True)
class LoginCost:
    """CPU per login, in µs.

    Attributes:
        total_us: the whole login in process (argon2 included).
        argon2_us: inside argon2 verify.
        open_us: an unprotected request through the same app.
    """

    total_us: float
    argon2_us: float
    open_us: float

    @property
    def own_us(self) -> float:
        """What gatepass's login code adds to an unprotected request, argon2 aside."""
        return self.total_us - self.argon2_us - self.open_us


def _scope(method: str, path: str, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }


async def _measure() -> LoginCost:
    hasher = _TimedHasher(bench_hasher())
    app = create(hasher=hasher)
    body = json.dumps({"email": common.EMAIL, "password": common.PASSWORD}).encode()
    login = _scope("POST", "/auth/token", [(b"content-type", b"application/json")])
    bare = _scope("GET", "/open", [])
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    async with app.router.lifespan_context(app):
        for _ in range(CONCURRENT):  # warm-up: threads started, imports done
            await app(dict(login), receive, send)
        hasher.spent = 0.0
        start = time.process_time()
        for _ in range(LOGINS // CONCURRENT):
            await asyncio.gather(*(app(dict(login), receive, send) for _ in range(CONCURRENT)))
        total = time.process_time() - start
        argon2 = hasher.spent
        start = time.process_time()
        for _ in range(OPEN_REQUESTS):
            await app(dict(bare), receive, send)
        bare_total = time.process_time() - start
    if any(status != 200 for status in statuses):
        raise RuntimeError(f"in-process login failed: {sorted(set(statuses))}")
    logins = LOGINS // CONCURRENT * CONCURRENT
    return LoginCost(
        total_us=total / logins * 1e6,
        argon2_us=argon2 / logins * 1e6,
        open_us=bare_total / OPEN_REQUESTS * 1e6,
    )


def login_cost(core: int) -> LoginCost:
    """Measure gatepass's login CPU in this process, pinned to ``core``.

    Args:
        core: the CPU the servers ran on.

    Returns:
        CPU per login: total, inside argon2, and an unprotected request.
    """
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {core})  # worker threads started below inherit it
    try:
        return asyncio.run(_measure())
    finally:
        os.sched_setaffinity(0, before)
