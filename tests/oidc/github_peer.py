"""A tiny GitHub on 127.0.0.1: authorize, token, ``/user`` and ``/user/emails``.

A test peer, not a mock of gatepass: a real HTTP server (uvicorn in a thread) that
behaves like GitHub's OAuth app endpoints where the preset depends on it, including
PKCE checks, single-use codes and GitHub's habit of reporting token errors with 200.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from oidc.oidc_peer import free_port

GITHUB_CLIENT_ID = "Iv1.gatepass-test"
GITHUB_CLIENT_SECRET = "github-test-secret-0123456789abcdef"

ACCOUNTS: dict[str, dict[str, Any]] = {
    "octocat": {
        "user": {"id": 583231, "login": "octocat", "name": "The Octocat"},
        "emails": [
            {"email": "old@users.example", "primary": False, "verified": True},
            {"email": "octocat@github.example", "primary": True, "verified": True},
        ],
    },
    "newbie": {
        "user": {"id": 9001, "login": "newbie", "name": None},
        "emails": [
            {"email": "verified-secondary@users.example", "primary": False, "verified": True},
            {"email": "newbie@github.example", "primary": True, "verified": False},
        ],
    },
    "macuser": {"user": {"id": 77, "login": "macuser"}, "emails": [], "token_type": "mac"},
}


@dataclass
class GitHubPeer:
    """The peer's state: issued codes and tokens, and the requests it saw."""

    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    token_forms: list[dict[str, str]] = field(default_factory=list)
    url: str = ""

    def app(self) -> Starlette:
        """The ASGI app."""
        return Starlette(
            routes=[
                Route("/login/oauth/authorize", self.authorize),
                Route("/login/oauth/access_token", self.access_token, methods=["POST"]),
                Route("/user", self.user),
                Route("/user/emails", self.emails),
            ]
        )

    async def authorize(self, request: Request) -> Response:
        query = request.query_params
        if query.get("client_id") != GITHUB_CLIENT_ID:
            return JSONResponse({"error": "unknown client"}, 404)
        target = query["redirect_uri"]
        if query.get("login") == "deny":
            params = {"error": "access_denied", "state": query.get("state", "")}
            return RedirectResponse(f"{target}?{urlencode(params)}", 302)
        code = secrets.token_hex(10)
        self.codes[code] = {
            "login": query.get("login", "octocat"),
            "challenge": query.get("code_challenge", ""),
            "method": query.get("code_challenge_method", ""),
            "redirect_uri": target,
        }
        params = {"code": code, "state": query.get("state", "")}
        return RedirectResponse(f"{target}?{urlencode(params)}", 302)

    async def access_token(self, request: Request) -> Response:
        form = {key: str(value) for key, value in (await request.form()).items()}
        self.token_forms.append(form)
        grant = self.codes.pop(form.get("code", ""), None)  # single use
        if form.get("client_secret") != GITHUB_CLIENT_SECRET:
            return JSONResponse({"error": "incorrect_client_credentials"})
        verifier = form.get("code_verifier", "").encode()
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=")
        if (
            grant is None
            or grant["method"] != "S256"
            or grant["challenge"] != challenge.decode()
            or grant["redirect_uri"] != form.get("redirect_uri")
        ):
            # GitHub answers a bad code with HTTP 200 and an error body.
            return JSONResponse(
                {
                    "error": "bad_verification_code",
                    "error_description": "The code passed is incorrect or expired.",
                }
            )
        token = "gho_" + secrets.token_hex(16)
        self.tokens[token] = grant["login"]
        account = ACCOUNTS[grant["login"]]
        return JSONResponse(
            {
                "access_token": token,
                "token_type": account.get("token_type", "bearer"),
                "scope": "read:user,user:email",
            }
        )

    def _account(self, request: Request) -> dict[str, Any] | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        login = self.tokens.get(token) if scheme.lower() == "bearer" else None
        return None if login is None else ACCOUNTS[login]

    async def user(self, request: Request) -> Response:
        account = self._account(request)
        if account is None:
            return JSONResponse({"message": "Bad credentials"}, 401)
        return JSONResponse(account["user"])

    async def emails(self, request: Request) -> Response:
        account = self._account(request)
        if account is None:
            return JSONResponse({"message": "Bad credentials"}, 401)
        return JSONResponse(account["emails"])


@pytest.fixture(scope="session")
def github_peer() -> Iterator[GitHubPeer]:
    """The fake-free GitHub: a real server on a free loopback port for the session."""
    peer = GitHubPeer()
    port = free_port()
    config = uvicorn.Config(
        peer.app(), host="127.0.0.1", port=port, log_level="warning", lifespan="off", ws="none"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the GitHub test peer did not start")
        time.sleep(0.01)  # waiting for a server thread to bind, not for time to pass
    peer.url = f"http://127.0.0.1:{port}"
    try:
        yield peer
    finally:
        server.should_exit = True
        thread.join(10)
