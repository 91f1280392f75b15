"""The JSON API: token, me, refresh, reuse, logout, JWKS, health, and bad input."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from gatepass.server.settings import Settings
from gatepass.tokens import KeySet, decode_unverified, verify
from server.server_helpers import PASSWORD, bearer, register, token_pair

ERROR_KEYS = {"error", "message"}


@pytest.fixture
async def tokens(client: httpx.AsyncClient) -> dict[str, Any]:
    """A registered user's token pair."""
    await register(client)
    return await token_pair(client)


async def test_token_returns_a_bearer_pair(tokens: dict[str, Any], settings: Settings) -> None:
    assert set(tokens) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == settings.access_token_ttl.total_seconds()
    header, claims = decode_unverified(tokens["access_token"])
    assert header["typ"] == "at+jwt"
    assert claims["iss"] == settings.issuer
    assert claims["aud"] == settings.audience


async def test_token_response_is_not_cached(client: httpx.AsyncClient) -> None:
    await register(client)
    response = await client.post(
        "/auth/token", json={"email": "ada@example.com", "password": PASSWORD}
    )
    assert response.headers["cache-control"] == "no-store"


async def test_bad_credentials_get_one_answer_for_unknown_email_and_wrong_password(
    client: httpx.AsyncClient,
) -> None:
    await register(client)
    wrong = await client.post(
        "/auth/token", json={"email": "ada@example.com", "password": "x" * 12}
    )
    unknown = await client.post(
        "/auth/token", json={"email": "no@example.com", "password": PASSWORD}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["error"] == "invalid_credentials"


async def test_me_returns_the_user_of_the_token(
    client: httpx.AsyncClient, tokens: dict[str, Any]
) -> None:
    response = await client.get("/api/me", headers=bearer(tokens["access_token"]))
    assert response.status_code == 200
    body = response.json()
    assert body["email"] == "ada@example.com"
    assert body["is_active"] is True
    assert "password_hash" not in body


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-jwt", "Basic YTpi"])
async def test_me_without_a_valid_token_is_401_with_a_bearer_challenge(
    client: httpx.AsyncClient, authorization: str | None
) -> None:
    headers = {"accept": "application/json"}
    if authorization:
        headers["authorization"] = authorization
    response = await client.get("/api/me", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer ")
    assert set(response.json()) == ERROR_KEYS


async def test_me_answers_json_even_to_a_browser(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/me", headers={"accept": "text/html"})
    assert response.status_code == 401
    assert set(response.json()) == ERROR_KEYS


async def test_refresh_rotates_the_pair(client: httpx.AsyncClient, tokens: dict[str, Any]) -> None:
    response = await client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert response.status_code == 200
    fresh = response.json()
    assert fresh["refresh_token"] != tokens["refresh_token"]
    assert fresh["access_token"] != tokens["access_token"]
    me = await client.get("/api/me", headers=bearer(fresh["access_token"]))
    assert me.status_code == 200


async def test_reusing_a_spent_refresh_token_revokes_the_family(
    client: httpx.AsyncClient, tokens: dict[str, Any]
) -> None:
    first = await client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    fresh = first.json()
    reuse = await client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert reuse.status_code == 401
    assert reuse.json()["error"] == "token_revoked"
    # The whole family is gone: the newer refresh token and its access token too.
    newer = await client.post("/auth/refresh", json={"refresh_token": fresh["refresh_token"]})
    assert newer.status_code == 401
    me = await client.get("/api/me", headers=bearer(fresh["access_token"]))
    assert me.status_code == 401


async def test_unknown_refresh_token_is_401(client: httpx.AsyncClient) -> None:
    response = await client.post("/auth/refresh", json={"refresh_token": "made-up"})
    assert response.status_code == 401
    assert set(response.json()) == ERROR_KEYS


async def test_logout_revokes_the_access_token_and_its_refresh_family(
    client: httpx.AsyncClient, tokens: dict[str, Any]
) -> None:
    response = await client.post("/auth/logout", headers=bearer(tokens["access_token"]))
    assert response.status_code == 204
    me = await client.get("/api/me", headers=bearer(tokens["access_token"]))
    assert me.status_code == 401
    assert "invalid_token" in me.headers["www-authenticate"]
    refresh = await client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refresh.status_code == 401


async def test_logout_without_a_token_is_401(client: httpx.AsyncClient) -> None:
    response = await client.post("/auth/logout", headers={"accept": "application/json"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer ")


async def test_jwks_publishes_public_keys_that_verify_the_tokens(
    client: httpx.AsyncClient, tokens: dict[str, Any], settings: Settings
) -> None:
    response = await client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    assert "max-age" in response.headers["cache-control"]
    jwks = response.json()
    for jwk in jwks["keys"]:
        assert not {"d", "p", "q", "dp", "dq", "qi", "k"} & set(jwk)
    claims = verify(
        tokens["access_token"],
        KeySet.from_jwks(jwks),
        audience=settings.audience,
        issuer=settings.issuer,
    )
    assert claims["sub"]


async def test_healthz_says_the_process_is_up(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["cache-control"] == "no-store"


async def test_readyz_reports_every_store(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) >= {"users", "sessions", "refresh_tokens", "revocations"}


async def test_readyz_is_503_when_a_store_is_down_and_healthz_still_200(
    tmp_path: Path,
) -> None:
    from gatepass.server.app import create_app
    from server.server_helpers import fast_hasher

    data = tmp_path / "data"
    data.mkdir()
    # A directory where the SQLite file should be: that store cannot open.
    (data / "revocations.db").mkdir()
    app = create_app(Settings(data_dir=data), hasher=fast_hasher())
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            response = await http.get("/readyz")
            live = await http.get("/healthz")
    assert live.status_code == 200  # liveness asks no store: restarting would not help
    assert response.status_code == 503
    body = response.json()
    assert body["error"] == "store_unavailable"
    assert body["checks"]["revocations"] == "unavailable"
    assert body["checks"]["users"] == "ok"


@pytest.mark.parametrize(
    ("content", "status", "code"),
    [
        (b"{not json", 400, "invalid_json"),
        (b"{}", 422, "invalid_request"),
        (b'{"email": "a@example.com"}', 422, "invalid_request"),
        (b'{"email": 5, "password": ["x"]}', 422, "invalid_request"),
        (b'{"email": "a@example.com", "password": "x", "admin": true}', 422, "invalid_request"),
        (b"[]", 422, "invalid_request"),
        (b"null", 422, "invalid_request"),
    ],
)
async def test_bad_token_requests_get_a_clean_json_error(
    client: httpx.AsyncClient, content: bytes, status: int, code: str
) -> None:
    response = await client.post(
        "/auth/token", content=content, headers={"content-type": "application/json"}
    )
    assert response.status_code == status
    body = response.json()
    assert set(body) == ERROR_KEYS
    assert body["error"] == code
    assert "detail" not in body


async def test_refresh_with_a_wrong_type_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post("/auth/refresh", json={"refresh_token": 42})
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_request"


async def test_wrong_method_is_405_json(client: httpx.AsyncClient) -> None:
    response = await client.get("/auth/refresh")
    assert response.status_code in {404, 405}
    assert set(response.json()) == ERROR_KEYS


async def test_token_endpoint_is_rate_limited_with_retry_after(client: httpx.AsyncClient) -> None:
    await register(client)
    for _ in range(5):
        await client.post("/auth/token", json={"email": "ada@example.com", "password": "x" * 12})
    refused = await client.post(
        "/auth/token", json={"email": "ada@example.com", "password": PASSWORD}
    )
    assert refused.status_code == 429
    assert refused.json()["error"] == "rate_limited"
    assert int(refused.headers["retry-after"]) > 0


async def test_an_unexpected_error_is_a_generic_500_without_a_trace(app: FastAPI) -> None:
    async def explode() -> None:
        raise RuntimeError("internal detail /srv/secret.py line 3")

    app.add_api_route("/api/explode", explode)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
        response = await http.get("/api/explode", headers={"accept": "text/html"})
    assert response.status_code == 500
    assert response.json() == {"error": "internal_error", "message": "An internal error occurred."}
    assert "secret" not in response.text


async def test_openapi_documents_error_bodies(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    token = schema["paths"]["/auth/token"]["post"]["responses"]
    assert {"401", "422", "429"} <= set(token)
    assert token["401"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
    assert "HTTPValidationError" not in schema["components"]["schemas"]


async def test_token_endpoint_is_rate_limited_per_address(tmp_path: Path) -> None:
    from gatepass.server.app import create_app
    from server.server_helpers import fast_hasher

    settings = Settings(data_dir=tmp_path / "data", address_limit="3/minute")
    app = create_app(settings, hasher=fast_hasher())
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            statuses = [
                (
                    await http.post(
                        "/auth/token", json={"email": f"u{i}@example.com", "password": "x" * 12}
                    )
                ).status_code
                for i in range(4)
            ]
    assert statuses == [401, 401, 401, 429]


async def test_refresh_endpoint_is_rate_limited_per_address(tmp_path: Path) -> None:
    from gatepass.server.app import create_app
    from server.server_helpers import fast_hasher

    settings = Settings(data_dir=tmp_path / "data", refresh_limit="3/minute")
    app = create_app(settings, hasher=fast_hasher())
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            answers = [
                await http.post("/auth/refresh", json={"refresh_token": f"guess-{i}"})
                for i in range(4)
            ]
    assert [answer.status_code for answer in answers] == [401, 401, 401, 429]
    assert answers[-1].json()["error"] == "rate_limited"
    assert int(answers[-1].headers["retry-after"]) > 0


async def test_an_oversized_body_is_refused_before_it_is_read(client: httpx.AsyncClient) -> None:
    body = b'{"email": "a@example.com", "password": "' + b"x" * 200_000 + b'"}'
    response = await client.post(
        "/auth/token", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"


async def test_a_chunked_body_of_unknown_length_is_refused(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"email": "a@example.com",'
        yield b' "password": "x"}'

    response = await client.post(
        "/auth/token", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 411
    assert response.json()["error"] == "length_required"
