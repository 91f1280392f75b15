"""Fixtures of the load tests: a fresh database, a Redis key prefix, two server processes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from gatepass.passwords import PasswordHasher
from gatepass.users import SQLUserStore
from load.load_helpers import USERS, Cluster, email_of
from server.server_helpers import FAST_ARGON2, PASSWORD
from service_helpers import fresh_database, scratch_prefix


@pytest.fixture
async def load_database(postgres_url: str) -> AsyncIterator[str]:
    """A fresh ``gp_load_<random>`` database holding USERS accounts, dropped afterwards."""
    async with fresh_database(postgres_url, "gp_load_") as url:
        hasher = PasswordHasher(FAST_ARGON2)
        password_hash = await hasher.hash_async(PASSWORD)
        async with SQLUserStore(url) as store:
            for number in range(USERS):
                await store.create(email=email_of(number), password_hash=password_hash)
        yield url


@pytest.fixture
async def load_prefix(redis_url: str) -> AsyncIterator[str]:
    """A Redis key prefix of this run only (``GATEPASS_REDIS_PREFIX``); its keys go after."""
    async with scratch_prefix(redis_url, "gpload") as prefix:
        yield prefix


@pytest.fixture
def cluster(
    load_database: str, redis_url: str, load_prefix: str, tmp_path: Path
) -> Iterator[Cluster]:
    """Two ``gatepass serve`` processes sharing PostgreSQL, Redis and the data folder."""
    logs = tmp_path / "logs"
    logs.mkdir()
    environment = {
        "GATEPASS_DATA_DIR": str(tmp_path / "shared"),
        "GATEPASS_DATABASE_URL": load_database,
        "GATEPASS_REDIS_URL": redis_url,
        "GATEPASS_REDIS_PREFIX": load_prefix,
        # Every simulated user comes from 127.0.0.1: the address limit would stop them.
        "GATEPASS_ADDRESS_LIMIT": "1000000/minute",
        "GATEPASS_MAX_CONNECTIONS_PER_ADDRESS": "0",
        "GATEPASS_LOGIN_LIMIT": "1000/minute",
        "GATEPASS_REFRESH_LIMIT": "1000000/minute",
        "GATEPASS_ARGON2_TIME_COST": "1",
        "GATEPASS_ARGON2_MEMORY_KIB": "1024",
    }
    servers = Cluster(environment, logs)
    try:
        servers.start_all()
        yield servers
    finally:
        servers.stop_all()
