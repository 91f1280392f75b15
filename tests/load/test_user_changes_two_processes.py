"""A user or token changed by another process is refused on the very next request.

The servers keep users and "not revoked" answers in memory (``users/cache.py``,
revocation versions). Here another process changes the stores directly, with no
request to the servers in between, and every server must refuse at once: the default
SQLite set-up (one server; the writer is a second process on the same files) and
PostgreSQL + Redis (two servers; the writer is a third process).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from load.load_helpers import Cluster, inherited_environment
from server.server_helpers import BROWSER, PASSWORD, csrf_from
from service_helpers import fresh_database, scratch_prefix

pytestmark = [pytest.mark.timeout(90)]
EMAIL = "grace@example.com"
FAST = {"GATEPASS_ARGON2_TIME_COST": "1", "GATEPASS_ARGON2_MEMORY_KIB": "1024"}
# Run in another process: the server's own stores, as `gatepass` commands open them.
_WRITER = textwrap.dedent(
    """
    import asyncio, sys, time
    from gatepass.server.backends import Backends
    from gatepass.server.settings import Settings

    async def main(action: str, email: str) -> None:
        backends = Backends.from_settings(Settings())
        await backends.open()
        try:
            user = await backends.users.find_by_email(email)
            assert user is not None
            if action == "disable":
                await backends.users.disable(user.id)
            else:
                now = int(time.time()) + 1
                await backends.revocations.revoke_subject(
                    user.id, before=now, expires_at=now + 3600
                )
        finally:
            await backends.close()

    asyncio.run(main(sys.argv[1], sys.argv[2]))
    """
)


@dataclass
class SetUp:
    bases: list[str]
    environment: dict[str, str]

    def write_elsewhere(self, action: str) -> None:
        subprocess.run(
            [sys.executable, "-c", _WRITER, action, EMAIL],
            env={**inherited_environment(), **self.environment},
            check=True,
            timeout=30,
        )


@pytest.fixture
async def shared_stores(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[dict[str, str]]:
    if request.param == "sqlite":
        yield {"GATEPASS_DATA_DIR": str(tmp_path / "data"), **FAST}
        return
    postgres: str = request.getfixturevalue("postgres_url")
    redis: str = request.getfixturevalue("redis_url")
    async with fresh_database(postgres, "gp_") as url, scratch_prefix(redis, "gpuser") as prefix:
        yield {
            "GATEPASS_DATA_DIR": str(tmp_path / "data"),
            "GATEPASS_DATABASE_URL": url,
            "GATEPASS_REDIS_URL": redis,
            "GATEPASS_REDIS_PREFIX": prefix,
            **FAST,
        }


@pytest.fixture
def set_up(shared_stores: dict[str, str], tmp_path: Path) -> Iterator[SetUp]:
    logs = tmp_path / "logs"
    logs.mkdir()
    # Without Redis the server runs one process (rate limits are per process).
    size = 2 if "GATEPASS_REDIS_URL" in shared_stores else 1
    cluster = Cluster(shared_stores, logs, size=size)
    try:
        cluster.start_all()
        yield SetUp(cluster.bases, shared_stores)
    finally:
        cluster.stop_all()


def sign_in(base: str, browser: httpx.Client) -> dict[str, str]:
    """Register by form (a session cookie in ``browser``) and get an access token."""
    form = browser.get(f"{base}/register")
    registered = browser.post(
        f"{base}/register",
        data={"email": EMAIL, "password": PASSWORD, "csrf_token": csrf_from(form.text)},
    )
    assert registered.status_code == 303
    pair = httpx.post(f"{base}/auth/token", json={"email": EMAIL, "password": PASSWORD})
    assert pair.status_code == 200, pair.text
    return {"accept": "application/json", "authorization": f"Bearer {pair.json()['access_token']}"}


def warm(bases: list[str], browser: httpx.Client, bearer: dict[str, str]) -> None:
    """Each server answers twice: the user and the token are in its memory now."""
    for base in bases:
        for _ in range(2):
            assert httpx.get(f"{base}/api/me", headers=bearer).status_code == 200
            assert browser.get(f"{base}/dashboard").status_code == 200


@pytest.mark.parametrize("shared_stores", ["sqlite", "postgres+redis"], indirect=True)
def test_a_user_disabled_by_another_process_is_refused_on_the_next_request(
    set_up: SetUp,
) -> None:
    with httpx.Client(headers=BROWSER, timeout=10) as browser:
        bearer = sign_in(set_up.bases[0], browser)
        warm(set_up.bases, browser, bearer)

        # Only the users table changes: no token is revoked, no session ended.
        set_up.write_elsewhere("disable")
        for base in set_up.bases:
            assert httpx.get(f"{base}/api/me", headers=bearer).status_code == 401
            page = browser.get(f"{base}/dashboard")
            assert page.status_code == 303
            assert page.headers["location"].startswith("/login")


@pytest.mark.parametrize("shared_stores", ["sqlite", "postgres+redis"], indirect=True)
def test_a_token_revoked_by_another_process_is_refused_on_the_next_request(
    set_up: SetUp,
) -> None:
    with httpx.Client(headers=BROWSER, timeout=10) as browser:
        bearer = sign_in(set_up.bases[0], browser)
        warm(set_up.bases, browser, bearer)

        set_up.write_elsewhere("revoke")
        for base in set_up.bases:
            refused = httpx.get(f"{base}/api/me", headers=bearer)
            assert refused.status_code == 401
            assert refused.headers["www-authenticate"].startswith("Bearer")
