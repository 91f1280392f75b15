"""Unreadable JSON bodies are ``invalid_json``; refusals are never cached."""

from __future__ import annotations

import httpx
import pytest

from server.server_helpers import register

JSON = {"content-type": "application/json"}


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"[" * 30_000 + b"]" * 30_000, id="nested-30000-deep"),
        pytest.param(b'{"email": "\xff\xfe@example.com", "password": "x"}', id="invalid-utf8"),
        pytest.param(
            b'{"email": "a@example.com", "password": ' + b"9" * 5_000 + b"}", id="huge-int"
        ),
    ],
)
async def test_a_body_json_cannot_read_is_400_invalid_json(
    client: httpx.AsyncClient, content: bytes
) -> None:
    for path in ("/auth/token", "/auth/refresh"):
        response = await client.post(path, content=content, headers=JSON)
        assert response.status_code == 400
        assert response.json() == {
            "error": "invalid_json",
            "message": "The request body is not valid JSON.",
        }


async def test_a_401_from_the_api_is_not_cached(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/me")
    assert response.status_code == 401
    assert response.headers["cache-control"] == "no-store"


async def test_a_403_csrf_refusal_is_not_cached(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/login", data={"email": "a@example.com", "password": "x"}, headers={"accept": "*/*"}
    )
    assert response.status_code == 403
    assert response.json()["error"] == "csrf_failed"
    assert response.headers["cache-control"] == "no-store"


async def test_a_429_is_not_cached(client: httpx.AsyncClient) -> None:
    await register(client)
    wrong = {"email": "ada@example.com", "password": "x" * 12}
    answers = [await client.post("/auth/token", json=wrong) for _ in range(6)]
    assert answers[-1].status_code == 429
    assert answers[-1].headers["cache-control"] == "no-store"
    assert int(answers[-1].headers["retry-after"]) > 0
