"""``/api/me``: the JSON error agrees with the ``WWW-Authenticate`` challenge."""

from __future__ import annotations

import httpx


async def test_a_refused_token_is_invalid_token_in_body_and_challenge(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.get("/api/me", headers={"authorization": "Bearer abc.def.ghi"})
    assert answer.status_code == 401
    assert 'error="invalid_token"' in answer.headers["www-authenticate"]
    assert answer.json()["error"] == "invalid_token"


async def test_no_token_is_unauthenticated_with_a_bare_challenge(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.get("/api/me")
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith("Bearer")
    assert "error=" not in answer.headers["www-authenticate"]
    assert answer.json()["error"] == "unauthenticated"


async def test_the_openapi_schema_documents_411_and_413_on_body_routes(
    client: httpx.AsyncClient,
) -> None:
    schema = (await client.get("/openapi.json")).json()
    for path in ("/auth/token", "/auth/refresh"):
        documented = schema["paths"][path]["post"]["responses"]
        assert {"411", "413"} <= set(documented)
