"""``GET /metrics``: Prometheus text behind a Bearer token, counters fed by real traffic."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from gatepass.server.app import create_app
from gatepass.server.logging import SecurityLog
from gatepass.server.settings import Settings
from gatepass.server.state import ServerState
from server.conftest import BASE_URL
from server.server_helpers import (
    BROWSER,
    PASSWORD,
    bearer,
    fast_hasher,
    login,
    register,
    token_pair,
)
from service_helpers import RedisProcess, running_redis

TOKEN = "scrape-token-of-the-metrics-test"
SCRAPE = {"authorization": f"Bearer {TOKEN}"}


def _app(tmp_path: Path, **settings: object) -> FastAPI:
    values: dict[str, object] = {
        "data_dir": tmp_path / "data",
        "metrics_token": SecretStr(TOKEN),
        **settings,
    }
    return create_app(
        Settings(**values),  # type: ignore[arg-type]
        hasher=fast_hasher(),
        security=SecurityLog(),
    )


@pytest.fixture
async def metered(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """A client of a server with metrics on."""
    app = _app(tmp_path, login_limit="3/minute")
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            yield client


async def _scrape(
    client: httpx.AsyncClient,
) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = await client.get("/metrics", headers=SCRAPE)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def _value(
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_metrics_are_404_when_no_token_is_configured(client: httpx.AsyncClient) -> None:
    response = await client.get("/metrics", headers=SCRAPE)
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


@pytest.mark.parametrize(
    "headers",
    [{}, {"authorization": "Bearer wrong-token-of-same-size-xxxxx"}, {"authorization": TOKEN}],
)
async def test_metrics_refuse_a_missing_or_wrong_token_with_401(
    metered: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await metered.get("/metrics", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["error"] == "unauthenticated"
    assert "gatepass_" not in response.text


async def test_login_refresh_and_throttle_counters_follow_the_traffic(
    metered: httpx.AsyncClient,
) -> None:
    before = await _scrape(metered)
    assert _value(before, "gatepass_logins_total", result="success", channel="api") == 0
    assert _value(before, "gatepass_mfa_verifications_total", result="success") == 0
    await register(metered)
    pair = await token_pair(metered)
    await metered.post("/auth/token", json={"email": "ada@example.com", "password": "nope"})
    refreshed = await metered.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert refreshed.status_code == 200
    reused = await metered.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert reused.status_code == 401
    metered.cookies.clear()  # a browser that is not signed in
    await login(metered, password="wrong password here")
    for _ in range(4):  # past the 3/minute login limit of this account and address
        await metered.post("/auth/token", json={"email": "ada@example.com", "password": "x"})
    after = await _scrape(metered)
    assert _value(after, "gatepass_logins_total", result="success", channel="api") == 1
    assert _value(after, "gatepass_logins_total", result="failure", channel="form") == 1
    assert _value(after, "gatepass_logins_total", result="failure", channel="api") >= 2
    assert _value(after, "gatepass_logins_total", result="throttled", channel="other") >= 1
    assert _value(after, "gatepass_rate_limited_total", limit="login") >= 1
    assert _value(after, "gatepass_refreshes_total") == 1
    assert _value(after, "gatepass_refresh_reuse_total") == 1
    assert _value(after, "gatepass_store_errors_total") == 0
    assert _value(after, "gatepass_audit_write_failures_total") == 0


async def test_request_durations_are_labelled_by_route_template_not_raw_path(
    metered: httpx.AsyncClient,
) -> None:
    await register(metered)
    await metered.get("/no/such/page/ada@example.com", headers=BROWSER)
    await metered.request("BREW", "/dashboard")
    samples = await _scrape(metered)
    routes = {dict(labels).get("route") for name, labels in samples if "duration" in name}
    methods = {dict(labels).get("method") for name, labels in samples if "duration" in name}
    assert {"/register", "unmatched"} <= routes
    assert not any(route and "ada@" in route for route in routes)
    assert "OTHER" in methods
    assert (
        _value(samples, "gatepass_request_duration_seconds_count", method="POST", route="/register")
        == 1
    )


async def test_a_templated_route_reports_its_template(metered: httpx.AsyncClient) -> None:
    await register(metered)
    page = await metered.get("/dashboard", headers=BROWSER)
    from server.server_helpers import csrf_from

    await metered.post(
        "/sessions/some-handle/revoke", data={"csrf_token": csrf_from(page.text)}, headers=BROWSER
    )
    samples = await _scrape(metered)
    assert (
        _value(
            samples,
            "gatepass_request_duration_seconds_count",
            method="POST",
            route="/sessions/{handle}/revoke",
        )
        == 1
    )


async def test_no_secret_appears_in_any_metric_label(metered: httpx.AsyncClient) -> None:
    await register(metered)
    pair = await token_pair(metered)
    await metered.get("/api/me", headers=bearer(pair["access_token"]))
    await metered.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    await metered.post("/auth/token", json={"email": "eve@example.com", "password": PASSWORD})
    text = (await metered.get("/metrics", headers=SCRAPE)).text
    secrets = [PASSWORD, "ada@example.com", "eve@example.com", TOKEN, "127.0.0.1"]
    secrets += [pair["access_token"], pair["refresh_token"]]
    for secret in secrets:
        assert secret not in text


async def test_each_app_counts_in_its_own_registry(tmp_path: Path) -> None:
    first, second = _app(tmp_path / "a"), _app(tmp_path / "b")
    async with first.router.lifespan_context(first), second.router.lifespan_context(second):
        transport = httpx.ASGITransport(app=first)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            await register(client)
            await token_pair(client)
        states: list[ServerState] = [first.state.gatepass, second.state.gatepass]
        counts = [
            state.metrics.registry.get_sample_value(
                "gatepass_logins_total", {"result": "success", "channel": "api"}
            )
            for state in states
        ]
        assert counts == [1.0, 0.0]


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisProcess]:
    """A Redis of this test only, killed during the test."""
    with running_redis(tmp_path) as server:
        yield server


@pytest.mark.redis
async def test_store_outages_are_counted(own_redis: RedisProcess, tmp_path: Path) -> None:
    app = _app(tmp_path, redis_url=own_redis.url)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            await register(client)
            pair = await token_pair(client)
            own_redis.kill()
            me = await client.get("/api/me", headers=bearer(pair["access_token"]))
            assert me.status_code == 503
        # A scraper carries no session cookie: it reads the metrics during the outage.
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as scraper:
            samples = await _scrape(scraper)
            # The fast /api/me path and the full route it hands a failure to both count.
            assert _value(samples, "gatepass_store_errors_total") >= 1
