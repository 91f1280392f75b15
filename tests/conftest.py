"""Shared fixtures: real service URLs, skipped with a reason unless CI makes them mandatory.

``anyio._core._fileio`` is imported here, on the main thread: Starlette's static files
import it lazily from a worker thread, and CPython 3.11.7 can fail an import compiled in
a thread while the main thread compiles too ("AST constructor recursion depth mismatch").
"""

from __future__ import annotations

import os
import socket
from urllib.parse import urlsplit

import anyio._core._fileio  # noqa: F401
import pytest

REQUIRE_SERVICES = os.environ.get("GATEPASS_REQUIRE_SERVICES") == "1"


def _reachable(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection(
            (parts.hostname or "127.0.0.1", parts.port or default_port), 1
        ):
            return True
    except OSError:
        return False


def _service(env: str, default: str, default_port: int, what: str) -> str:
    url = os.environ.get(env, default)
    if not _reachable(url, default_port):
        reason = f"{what} is not reachable at {url}; start it or set {env}"
        if REQUIRE_SERVICES:
            pytest.fail(f"{reason} (GATEPASS_REQUIRE_SERVICES=1 makes it mandatory)")
        pytest.skip(reason)
    return url


@pytest.fixture(scope="session")
def redis_url() -> str:
    """URL of a real Redis server (``GATEPASS_TEST_REDIS_URL``)."""
    return _service("GATEPASS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0", 6379, "Redis")


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """URL of a real PostgreSQL database (``GATEPASS_TEST_POSTGRES_URL``)."""
    return _service(
        "GATEPASS_TEST_POSTGRES_URL",
        "postgresql://postgres@127.0.0.1:5432/test",
        5432,
        "PostgreSQL",
    )
