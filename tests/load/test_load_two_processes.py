"""Load: 200 simulated users on two server processes that share PostgreSQL and Redis.

Each user logs in, calls the API, refreshes and logs out, alternating between the two
processes, all at once. Nothing may be lost between processes (a session made on one
is good on the other), no refresh token may be accepted twice even when both processes
receive it at the same moment (RFC 9700 §4.14.2), no answer may be a 5xx, and the
counts must add up at the end. A second test restarts one process mid-load: sessions
and tokens live in the stores, so they survive it.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from typing import Any

import httpx
import pytest

from load.load_helpers import USERS, Cluster, Tally, email_of
from server.server_helpers import BROWSER, PASSWORD

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.timeout(90)]
BROWSER_USERS = 50
TIME_LIMIT = 60.0
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
JSON = {"accept": "application/json"}
# A connection per request: uvicorn closes idle keep-alive connections after 5 s, and a
# request sent on one at that moment fails in the client, which is not what is tested.
FRESH_CONNECTIONS = httpx.Limits(max_connections=USERS, max_keepalive_connections=0)


def csrf_of(page: httpx.Response) -> str:
    match = _CSRF.search(page.text)
    assert match is not None, page.status_code
    return match.group(1)


def auth(token: str) -> dict[str, str]:
    return {**JSON, "authorization": f"Bearer {token}"}


async def api_user(
    http: httpx.AsyncClient, number: int, here: str, there: str, tally: Tally
) -> None:
    """Log in, use, refresh, double-spend a refresh token, log in again and log out."""
    email = email_of(number)
    credentials = {"email": email, "password": PASSWORD}
    first = tally.record("token", await http.post(f"{here}/auth/token", json=credentials))
    assert first.status_code == 200, (first.status_code, first.text)
    pair = first.json()
    me = tally.record("me", await http.get(f"{there}/api/me", headers=auth(pair["access_token"])))
    assert me.status_code == 200, (me.status_code, me.text)
    assert me.json()["email"] == email
    rotated = tally.record(
        "refresh",
        await http.post(f"{there}/auth/refresh", json={"refresh_token": pair["refresh_token"]}),
    )
    assert rotated.status_code == 200, (rotated.status_code, rotated.text)
    pair = rotated.json()
    me = tally.record("me", await http.get(f"{here}/api/me", headers=auth(pair["access_token"])))
    assert me.status_code == 200, (me.status_code, me.text)

    # The same refresh token at both processes at once: one wins, the other is reuse.
    body = {"refresh_token": pair["refresh_token"]}
    race = await asyncio.gather(
        http.post(f"{here}/auth/refresh", json=body), http.post(f"{there}/auth/refresh", json=body)
    )
    accepted = [r for r in race if r.status_code == 200]
    for response in race:
        tally.record("refresh-race", response)
    tally.events["refresh accepted twice"] += len(accepted) > 1
    tally.events["refresh race won"] += len(accepted) == 1
    if accepted:
        # The reuse revoked the family, the winner's new pair with it.
        winner = accepted[0].json()
        stale = await http.get(f"{there}/api/me", headers=auth(winner["access_token"]))
        tally.record("me-after-reuse", stale)
        tally.events["revoked family still usable"] += stale.status_code == 200

    again = tally.record("token", await http.post(f"{there}/auth/token", json=credentials))
    pair = again.json()
    tally.record("me", await http.get(f"{here}/api/me", headers=auth(pair["access_token"])))
    out = await http.post(f"{here}/auth/logout", headers=auth(pair["access_token"]))
    assert tally.record("logout", out).status_code == 204
    after = await http.get(f"{there}/api/me", headers=auth(pair["access_token"]))
    tally.record("me-after-logout", after)
    tally.events["token usable after logout"] += after.status_code != 401
    dead = await http.post(f"{there}/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    tally.record("refresh-after-logout", dead)
    tally.events["refresh usable after logout"] += dead.status_code != 401
    tally.events["api user done"] += 1


async def browser_user(number: int, here: str, there: str, tally: Tally) -> None:
    """Log in by form on one process, use the session on both, log out on the other."""
    async with httpx.AsyncClient(headers=BROWSER, timeout=30, limits=FRESH_CONNECTIONS) as browser:
        page = tally.record("login-page", await browser.get(f"{here}/login"))
        form = {"email": email_of(number), "password": PASSWORD, "csrf_token": csrf_of(page)}
        login = tally.record("login", await browser.post(f"{here}/login", data=form))
        assert login.status_code == 303
        for base in (there, here):
            page = tally.record("dashboard", await browser.get(f"{base}/dashboard"))
            tally.events["session lost"] += page.status_code != 200
        out = await browser.post(f"{there}/logout", data={"csrf_token": csrf_of(page)})
        assert tally.record("logout-form", out).status_code == 303
        gone = tally.record("dashboard-after-logout", await browser.get(f"{here}/dashboard"))
        tally.events["session alive after logout"] += gone.status_code != 303
        tally.events["browser user done"] += 1


async def test_two_hundred_users_on_two_processes_lose_nothing(cluster: Cluster) -> None:
    first, second = cluster.bases
    tally = Tally()
    started = time.monotonic()
    async with httpx.AsyncClient(limits=FRESH_CONNECTIONS, timeout=30) as http:
        users: list[Any] = []
        for number in range(USERS):
            here, there = (first, second) if number % 2 else (second, first)
            if number < BROWSER_USERS:
                users.append(browser_user(number, here, there, tally))
            else:
                users.append(api_user(http, number, here, there, tally))
        await asyncio.gather(*users)
    elapsed = time.monotonic() - started

    api_users = USERS - BROWSER_USERS
    assert tally.server_errors == {}
    assert tally.requests >= 2000, tally.requests
    assert elapsed < TIME_LIMIT
    assert tally.events["api user done"] == api_users
    assert tally.events["browser user done"] == BROWSER_USERS
    assert tally.events["refresh accepted twice"] == 0
    assert tally.events["refresh race won"] <= api_users
    assert tally.events["revoked family still usable"] == 0
    assert tally.events["session lost"] == 0
    assert tally.events["session alive after logout"] == 0
    assert tally.events["token usable after logout"] == 0
    assert tally.events["refresh usable after logout"] == 0
    assert tally.statuses[("token", 200)] == 2 * api_users
    assert tally.statuses[("dashboard", 200)] == 2 * BROWSER_USERS
    race = Counter({s: n for (route, s), n in tally.statuses.items() if route == "refresh-race"})
    assert race[200] + race[401] == 2 * api_users
    # The figures SECURITY.md quotes (shown by ``pytest -rP``).
    won = tally.events["refresh race won"]
    print(
        f"load: {tally.requests} requests from {USERS} users in {elapsed:.1f} s;",
        f"{won} refresh races won once",
    )


async def test_sessions_and_tokens_survive_a_server_restart_mid_load(cluster: Cluster) -> None:
    first, second = cluster.bases
    tally = Tally()
    users = 60
    async with httpx.AsyncClient(limits=FRESH_CONNECTIONS, timeout=30) as http:
        browsers = [
            httpx.AsyncClient(headers=BROWSER, timeout=30, limits=FRESH_CONNECTIONS)
            for _ in range(users // 2)
        ]
        pairs: list[dict[str, Any]] = []
        try:
            # Everyone logs in on the first process.
            for number, browser in enumerate(browsers):
                page = await browser.get(f"{first}/login")
                form = {
                    "email": email_of(number),
                    "password": PASSWORD,
                    "csrf_token": csrf_of(page),
                }
                assert tally.record("login", await browser.post(f"{first}/login", data=form))
            for number in range(users // 2, users):
                body = {"email": email_of(number), "password": PASSWORD}
                response = tally.record("token", await http.post(f"{first}/auth/token", json=body))
                pairs.append(response.json())

            stop = asyncio.Event()

            async def keep_busy(index: int) -> None:
                # Load on the other process while the first one restarts.
                while not stop.is_set():
                    pair = pairs[index % len(pairs)]
                    tally.record(
                        "me-during-restart",
                        await http.get(f"{second}/api/me", headers=auth(pair["access_token"])),
                    )
                    browser = browsers[index % len(browsers)]
                    tally.record(
                        "dashboard-during-restart", await browser.get(f"{second}/dashboard")
                    )

            workers = [asyncio.create_task(keep_busy(index)) for index in range(20)]
            await asyncio.to_thread(cluster.restart, 0)
            stop.set()
            await asyncio.gather(*workers)

            # The restarted process knows every session, token and refresh family.
            for browser in browsers:
                page = tally.record(
                    "dashboard-after-restart", await browser.get(f"{first}/dashboard")
                )
                tally.events["session lost"] += page.status_code != 200
            for pair in pairs:
                me = await http.get(f"{first}/api/me", headers=auth(pair["access_token"]))
                tally.events["token lost"] += (
                    tally.record("me-after-restart", me).status_code != 200
                )
                body = {"refresh_token": pair["refresh_token"]}
                fresh = await http.post(f"{first}/auth/refresh", json=body)
                tally.events["refresh lost"] += tally.record("refresh", fresh).status_code != 200
        finally:
            for browser in browsers:
                await browser.aclose()

    assert tally.server_errors == {}
    during = sum(n for (route, _), n in tally.statuses.items() if route.endswith("during-restart"))
    assert during >= 100
    assert {s for (route, s) in tally.statuses if route.endswith("during-restart")} == {200}
    assert tally.events["session lost"] == 0
    assert tally.events["token lost"] == 0
    assert tally.events["refresh lost"] == 0
    # The figures SECURITY.md quotes (shown by ``pytest -rP``).
    print(f"restart: {tally.requests} requests, {during} served by the other process meanwhile")
