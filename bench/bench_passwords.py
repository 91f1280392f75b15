"""Password hashing and the login check: argon2id cost, and what gatepass adds on top.

``hash``/``verify`` are timed at the default parameters (OWASP minimum: m=19 MiB,
t=2, p=1) and at RFC 9106's low-memory profile (m=64 MiB, t=3, p=4).
``verify_credentials`` is timed end to end on a SQLite user store (a known user, the
right password, no rehash), and split into argon2's verify and everything else:
email normalization, the SQLite lookup and the hand-off to a worker thread. Each
part is timed on its own, interleaved with the others so load drift hits all alike;
the medians are compared. The target is gatepass's own share under 5 % of a login.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import anyio.to_thread

from gatepass.passwords import (
    OWASP_MINIMUM,
    RFC9106_LOW_MEMORY,
    Argon2Parameters,
    PasswordHasher,
    verify_credentials,
)
from gatepass.users import SQLUserStore, normalize_email

PASSWORD = "correct horse battery staple"
EMAIL = "Bench.User@Example.com"
LOGINS = 40
INNER = 50  # cheap parts are timed over this many calls per sample


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.3f}"


def _hash_rows(name: str, parameters: Argon2Parameters, tries: int) -> list[str]:
    hasher = PasswordHasher(parameters)
    stored = hasher.hash(PASSWORD)
    hashes: list[float] = []
    verifies: list[float] = []
    for _ in range(tries):
        start = time.perf_counter()
        hasher.hash(PASSWORD)
        hashes.append(time.perf_counter() - start)
        start = time.perf_counter()
        hasher.verify(stored, PASSWORD)
        verifies.append(time.perf_counter() - start)
    p = parameters
    label = f"{name} (m={p.memory_cost // 1024} MiB, t={p.time_cost}, p={p.parallelism})"
    return [
        f"| {label} | hash | {_ms(statistics.median(hashes))} | {tries} |",
        f"| {label} | verify | {_ms(statistics.median(verifies))} | {tries} |",
    ]


async def _per_call(func: Callable[[], Awaitable[object]], inner: int) -> float:
    start = time.perf_counter()
    for _ in range(inner):
        await func()
    return (time.perf_counter() - start) / inner


async def _login_split() -> dict[str, float]:
    hasher = PasswordHasher()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'users.db'}"
        async with SQLUserStore(url) as store:
            user = await store.create(email=EMAIL, password_hash=hasher.hash(PASSWORD))
            stored = user.password_hash or ""

            async def login() -> object:
                found = await verify_credentials(store, hasher, EMAIL, PASSWORD)
                assert found is not None
                return found

            async def argon2_verify() -> object:
                return hasher.verify(stored, PASSWORD)

            async def lookup() -> object:
                return await store.find_by_email(normalize_email(EMAIL))

            async def handoff() -> object:
                return await anyio.to_thread.run_sync(bool)

            async def normalize() -> object:
                return normalize_email(EMAIL)

            for _ in range(3):  # warm-up: pool, thread, caches
                await login()
            parts: dict[str, list[float]] = {
                "login": [],
                "verify": [],
                "lookup": [],
                "handoff": [],
                "normalize": [],
            }
            for _ in range(LOGINS):
                parts["login"].append(await _per_call(login, 1))
                parts["verify"].append(await _per_call(argon2_verify, 1))
                parts["lookup"].append(await _per_call(lookup, INNER))
                parts["handoff"].append(await _per_call(handoff, INNER))
                parts["normalize"].append(await _per_call(normalize, INNER))
    return {name: statistics.median(samples) for name, samples in parts.items()}


def run() -> str:
    """Measure and return the Markdown section for ``bench/RESULTS.md``."""
    rows = [
        "| parameters | operation | median ms | tries |",
        "|---|---|---:|---:|",
        *_hash_rows("OWASP minimum (default)", OWASP_MINIMUM, 20),
        *_hash_rows("RFC 9106 low memory", RFC9106_LOW_MEMORY, 6),
    ]
    split = asyncio.run(_login_split())
    ours = split["normalize"] + split["lookup"] + split["handoff"]
    residual = split["login"] - split["verify"]
    login_rows = [
        "| part of one login | median ms | share of the login |",
        "|---|---:|---:|",
        f"| `verify_credentials` total (SQLite store) | {_ms(split['login'])} | 100 % |",
        f"| argon2id verify (default parameters) | {_ms(split['verify'])} | "
        f"{split['verify'] / split['login']:.1%} |",
        f"| email normalization | {_ms(split['normalize'])} | "
        f"{split['normalize'] / split['login']:.2%} |",
        f"| SQLite lookup by email | {_ms(split['lookup'])} | "
        f"{split['lookup'] / split['login']:.2%} |",
        f"| hand-off to a worker thread | {_ms(split['handoff'])} | "
        f"{split['handoff'] / split['login']:.2%} |",
        f"| **gatepass overhead** (sum of the three above) | {_ms(ours)} | "
        f"**{ours / split['login']:.2%}** |",
        f"| cross-check: total minus argon2 verify | {_ms(residual)} | "
        f"{residual / split['login']:.2%} |",
    ]
    verdict = "meets" if ours / split["login"] < 0.05 else "misses"
    return "\n".join(
        [
            "## Passwords: argon2id and the login check",
            "",
            *rows,
            "",
            f"`verify_credentials`, {LOGINS} interleaved samples (cheap parts averaged over "
            f"{INNER} calls per sample); gatepass's own share {verdict} the 5 % target:",
            "",
            *login_rows,
        ]
    )


if __name__ == "__main__":
    print(run())
