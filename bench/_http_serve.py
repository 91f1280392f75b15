"""``gatepass serve`` itself in the HTTP benchmark: its settings, its user, its databases.

Two set-ups, each one process (``serve --workers 1``) pinned like every other server:
the default (SQLite and in-process stores in a fresh data folder; nothing else set)
and PostgreSQL + Redis (a scratch database on the machine's PostgreSQL, dropped
afterwards, and the bench's private Redis). Both run with the bench's HS256 secret,
argon2id costs and the access log on, as an operator would run them; the login and
address limits are lifted so a login cell measures logins, not 429s. The user is made
with ``gatepass users add`` before the server starts.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.apps import common

POSTGRES_VARIABLE = "GATEPASS_BENCH_POSTGRES_URL"
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
UNLIMITED = "1000000/minute"


def serve_command(port: int) -> list[str]:
    """``gatepass serve`` on one worker, at the default log level (access log on).

    Args:
        port: the port.

    Returns:
        The command.
    """
    return [sys.executable, "-m", "gatepass.server.cli", "serve", "--port", str(port)]


def base_environment(data_dir: Path) -> dict[str, str]:
    """The settings both set-ups share.

    Args:
        data_dir: a fresh data folder.

    Returns:
        ``GATEPASS_*`` variables.
    """
    return {
        "GATEPASS_DATA_DIR": str(data_dir),
        "GATEPASS_JWT_SECRET": common.SECRET,
        "GATEPASS_JWT_ALGORITHM": "HS256",
        "GATEPASS_ISSUER": common.ISSUER,
        "GATEPASS_AUDIENCE": common.AUDIENCE,
        "GATEPASS_ARGON2_TIME_COST": str(common.ARGON2_TIME_COST),
        "GATEPASS_ARGON2_MEMORY_KIB": str(common.ARGON2_MEMORY_KIB),
        "GATEPASS_LOGIN_LIMIT": UNLIMITED,
        "GATEPASS_ADDRESS_LIMIT": UNLIMITED,
    }


def add_user(environment: dict[str, str]) -> None:
    """Create the bench user with ``gatepass users add`` (it also creates the schema).

    Args:
        environment: the set-up's variables.

    Raises:
        subprocess.CalledProcessError: the command failed.
    """
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GATEPASS_")}
    subprocess.run(
        [sys.executable, "-m", "gatepass.server.cli", "users", "add", common.EMAIL,
         "--password-stdin", "--display-name", common.DISPLAY_NAME],
        input=common.PASSWORD + "\n", text=True, capture_output=True, check=True,
        env={**clean, **environment},
    )  # fmt: skip


def postgres_url() -> str:
    """The PostgreSQL server the bench may create a scratch database on."""
    return os.environ.get(POSTGRES_VARIABLE, DEFAULT_POSTGRES)


@contextmanager
def scratch_database(server_url: str) -> Iterator[str | None]:
    """A fresh ``gatepass_bench_<random>`` database, dropped afterwards.

    Args:
        server_url: an admin connection URL of the PostgreSQL server.

    Yields:
        The new database's URL, or ``None`` when the server cannot be reached.
    """
    name = f"gatepass_bench_{secrets.token_hex(6)}"
    base = server_url.rsplit("/", 1)[0]
    if not _psql(server_url, f'CREATE DATABASE "{name}"'):
        yield None
        return
    try:
        yield f"{base}/{name}"
    finally:
        _psql(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _psql(url: str, statement: str) -> bool:
    code = (
        "import asyncio, sys, asyncpg\n"
        "async def main():\n"
        "    c = await asyncpg.connect(sys.argv[1], timeout=5)\n"
        "    try: await c.execute(sys.argv[2])\n"
        "    finally: await c.close()\n"
        "asyncio.run(main())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, url, statement], capture_output=True, check=False
    )
    return done.returncode == 0
