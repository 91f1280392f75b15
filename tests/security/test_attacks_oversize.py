"""Huge headers, tokens and bodies are refused fast, without a memory blow-up.

A megabyte-long token must not be base64-decoded, JSON-parsed or signature-checked
before it is refused (OWASP ASVS 13.1.x / CWE-400, uncontrolled resource consumption;
RFC 8725 §3.x leaves the limits to the implementation). Memory is measured with
``tracemalloc`` around the request: the peak may hold a few copies of the input, not
the hundreds a parser working in the wrong order would need.
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

MEGABYTE = 1024 * 1024
# A few copies of the 1 MB input (header value, str and bytes forms) are expected.
PEAK_LIMIT = 12 * MEGABYTE
TIME_LIMIT = 2.0
REFUSED = {401, 413, 422, 431}


async def measured(
    call: Callable[[], Awaitable[httpx.Response]],
) -> tuple[httpx.Response, int, float]:
    """Run one request; return it with the tracemalloc peak and the wall time."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        response = await call()
        elapsed = time.perf_counter() - started
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return response, peak, elapsed


@pytest.mark.parametrize(
    "token",
    [
        pytest.param("A" * MEGABYTE, id="one-segment"),
        pytest.param("eyJhbGciOiJFUzI1NiJ9." + "A" * MEGABYTE + ".AAAA", id="huge-payload"),
        pytest.param("." * MEGABYTE, id="all-dots"),
        pytest.param(("eyJhbGciOiJFUzI1NiJ9." * 3) * (MEGABYTE // 60), id="many-segments"),
    ],
)
async def test_megabyte_bearer_token_is_refused_fast_and_small(
    attack_client: httpx.AsyncClient, token: str
) -> None:
    response, peak, elapsed = await measured(
        lambda: attack_client.get("/api/me", headers={"authorization": f"Bearer {token}"})
    )
    assert response.status_code in REFUSED, response.text[:200]
    assert response.status_code < 500
    assert elapsed < TIME_LIMIT
    assert peak < PEAK_LIMIT, f"peak {peak / MEGABYTE:.1f} MB"


async def test_megabyte_unrelated_header_does_not_break_a_valid_request(
    attack_client: httpx.AsyncClient, victim_tokens: dict[str, Any]
) -> None:
    headers = {
        "authorization": f"Bearer {victim_tokens['access_token']}",
        "x-padding": "p" * MEGABYTE,
    }
    response, peak, elapsed = await measured(lambda: attack_client.get("/api/me", headers=headers))
    assert response.status_code in {200, *REFUSED}
    assert elapsed < TIME_LIMIT
    assert peak < PEAK_LIMIT, f"peak {peak / MEGABYTE:.1f} MB"


async def test_megabyte_session_cookie_is_ignored_not_crashed(
    attack_client: httpx.AsyncClient,
) -> None:
    cookie = {"cookie": "gatepass_session=" + "c" * MEGABYTE}
    response, peak, elapsed = await measured(lambda: attack_client.get("/login", headers=cookie))
    assert response.status_code in {200, 400, 413, 431}
    assert elapsed < TIME_LIMIT
    assert peak < PEAK_LIMIT, f"peak {peak / MEGABYTE:.1f} MB"


@pytest.mark.parametrize("field", ["email", "password"])
async def test_megabyte_json_credentials_are_refused_without_hashing(
    attack_client: httpx.AsyncClient, field: str
) -> None:
    # A long password must not reach argon2 at full length (CVE-2013-1443, Django).
    body = {"email": "victim@example.com", "password": "x", field: "x" * MEGABYTE}
    response, _peak, elapsed = await measured(lambda: attack_client.post("/auth/token", json=body))
    assert response.status_code in REFUSED
    assert response.json()["error"] in {"invalid_request", "payload_too_large"}
    assert elapsed < TIME_LIMIT


async def test_megabyte_refresh_token_is_refused(attack_client: httpx.AsyncClient) -> None:
    body = {"refresh_token": "r" * MEGABYTE}
    response, _peak, elapsed = await measured(
        lambda: attack_client.post("/auth/refresh", json=body)
    )
    assert response.status_code in REFUSED
    assert elapsed < TIME_LIMIT
