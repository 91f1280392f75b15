"""Which failure speaks when every strategy of a chain fails, as an API written with two."""

from __future__ import annotations

import base64

import httpx
from starlette.applications import Starlette
from starlette.requests import HTTPConnection
from starlette.routing import Route

from authenticator.support import BY_ID, User
from gatepass.authenticator import Authenticator
from gatepass.strategies import CustomStrategy, Fail, HTTPBasicStrategy, JWTStrategy
from gatepass.testing import mint_token
from gatepass.tokens import Key

KEY = Key.generate("EdDSA")
OTHER_KEY = Key.generate("EdDSA")


def api(*more: str) -> Starlette:
    """``/me`` accepts Basic credentials or a Bearer token (passport-http + passport-jwt)."""
    auth = Authenticator()

    def check(username: str, password: str) -> User | None:
        return BY_ID["u1"] if (username, password) == ("alice", "pw") else None

    auth.use(HTTPBasicStrategy(check, realm="api"))
    auth.use(JWTStrategy(KEY.public_key(), audience="api", realm="api"), name="bearer")

    def banned(request: HTTPConnection) -> Fail:
        return Fail(message="This account is suspended.", status=403, code="account_suspended")

    auth.use(CustomStrategy(banned, name="banned"))
    endpoint = auth.authenticate("basic", "bearer", *more, session=False)
    return Starlette(routes=[Route("/me", endpoint)])


def client(app: Starlette) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost")


CHALLENGES = 'Basic realm="api", charset="UTF-8", Bearer realm="api"'


async def test_bad_bearer_token_answers_about_the_token_not_missing_basic() -> None:
    token = mint_token(OTHER_KEY, subject="u1", audience="api")
    async with client(api()) as c:
        response = await c.get("/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    body = response.json()
    assert body["error"] == "bad_signature"
    assert "Basic" not in body["message"]
    # Every strategy's challenge is still offered (RFC 9110 §11.6.1).
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith('Basic realm="api", charset="UTF-8", Bearer realm="api"')
    assert 'error="invalid_token"' in challenge


async def test_bad_basic_password_answers_about_basic() -> None:
    basic = base64.b64encode(b"alice:wrong").decode()
    async with client(api()) as c:
        response = await c.get("/me", headers={"Authorization": f"Basic {basic}"})
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_credentials", "message": "Invalid credentials."}


async def test_no_credentials_at_all_is_one_401_with_every_challenge() -> None:
    async with client(api()) as c:
        response = await c.get("/me")
    assert response.status_code == 401
    assert response.json()["error"] == "unauthenticated"
    assert response.headers["www-authenticate"] == CHALLENGES


async def test_a_chain_member_failing_with_403_keeps_its_status() -> None:
    async with client(api("banned")) as c:
        response = await c.get("/me")
    assert response.status_code == 403
    assert response.json() == {
        "error": "account_suspended",
        "message": "This account is suspended.",
    }
    assert response.headers["www-authenticate"] == CHALLENGES
