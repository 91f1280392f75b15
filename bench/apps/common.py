"""What every benchmarked server shares: the one user, the JWT secret and claims, argon2 costs.

Every implementation (gatepass and each peer) reads these, so each answers the same
requests with the same work: the same HS256 secret, audience and issuer, the same
argon2id parameters, and a user kept in process memory (no database round trip on
any route, so the numbers compare the authentication code, not a driver).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

# 48 bytes: longer than the 32 that RFC 7518 §3.2 requires for HS256. Bench only.
SECRET = "bench-only-hs256-secret-" + "0123456789abcdef01234567"
AUDIENCE = "gatepass-bench"
ISSUER = "http://127.0.0.1"
ACCESS_TTL_SECONDS = 900
SESSION_KEY = "bench-only-session-key-" + "fedcba9876543210fedcba98"

EMAIL = "ada@example.com"
PASSWORD = "correct horse battery staple"
USER_ID = "u_bench_ada"
DISPLAY_NAME = "Ada"

# OWASP Password Storage Cheat Sheet, "Argon2id": m=19456 KiB, t=2, p=1 (gatepass's
# default); every implementation hashes and verifies with these.
ARGON2_TIME_COST = 2
ARGON2_MEMORY_KIB = 19 * 1024
ARGON2_PARALLELISM = 1

STORE_VARIABLE = "GATEPASS_BENCH_STORE"
REDIS_URL_VARIABLE = "GATEPASS_BENCH_REDIS_URL"


@dataclass(frozen=True, slots=True)
class Config:
    """What the bench harness tells a server process through its environment.

    Attributes:
        store: where sessions live: ``"memory"``, ``"redis"`` (every request reads
            Redis) or ``"redis-cached"`` (Redis behind gatepass's local cache, as the
            reference server runs it).
        redis_url: the private Redis the harness started, for the Redis stores.
    """

    store: str
    redis_url: str | None

    @classmethod
    def from_environment(cls) -> Config:
        """Read ``GATEPASS_BENCH_STORE`` and ``GATEPASS_BENCH_REDIS_URL``.

        Returns:
            The config; memory sessions when nothing is set.
        """
        return cls(
            store=os.environ.get(STORE_VARIABLE, "memory"),
            redis_url=os.environ.get(REDIS_URL_VARIABLE),
        )
