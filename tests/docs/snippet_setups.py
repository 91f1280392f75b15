"""What a docs page leaves to the reader, given for real: setups and checks by name.

A setup fills a block's namespace before it runs (``<!-- snippet setup=NAME -->``); a
check uses what the block built (``check=NAME``). Real parts only: argon2 (cheap
parameters), in-process HTTP through ``httpx.ASGITransport``, real keys.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import Any

import httpx
import jinja2
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from docs.snippet_helpers import Context, run_code
from gatepass import jwt
from gatepass.authenticator import Authenticator
from gatepass.integrations import AuthMiddleware
from gatepass.passwords import Argon2Parameters, PasswordHasher
from gatepass.security.csrf import csrf_token
from gatepass.sessions import MemorySessionStore, SessionMiddleware
from gatepass.testing import login_as
from gatepass.tokens import Key, KeySet, RevocationList
from gatepass.tokens.stores import MemoryRevocationStore
from gatepass.users import MemoryUserStore, SQLUserStore, User

Namespace = dict[str, Any]
Step = Callable[[Namespace, Context], Awaitable[None]]

FAST = Argon2Parameters(time_cost=1, memory_cost=64, parallelism=1)
EMAIL = "ann@example.com"
PASSWORD = "correct horse battery staple"
BASE_URL = "http://localhost"  # plain http to localhost keeps the session cookie
TEMPLATES = {"dashboard.html": "<p>Signed in as {{ user.email }}</p>"}


class CountingHasher(PasswordHasher):
    """A real argon2 hasher that also counts its checks, dummy-hash ones apart."""

    def __init__(self) -> None:
        super().__init__(FAST)
        self.checks: list[bool] = []  # True: against the dummy hash

    def verify(self, password_hash: str, password: str) -> bool:
        self.checks.append(password_hash == self.dummy_hash)
        return super().verify(password_hash, password)


async def _users(ns: Namespace) -> User:
    hasher = CountingHasher()
    users = MemoryUserStore()
    user = await users.create(email=EMAIL, password_hash=hasher.hash(PASSWORD))
    ns.update(users=users, hasher=hasher, User=User)
    return user


async def app_users(ns: Namespace, ctx: Context) -> None:
    """The README's seed flow: a user store, a hasher, a secret and templates."""
    await _users(ns)
    ns["SESSION_SECRET"] = "s" * 32
    loader = jinja2.DictLoader(TEMPLATES)
    ns["templates"] = Jinja2Templates(env=jinja2.Environment(loader=loader, autoescape=True))


async def passport_auth(ns: Namespace, ctx: Context) -> None:
    """An ``auth``, a FastAPI ``app``, users with one account and templates."""
    await app_users(ns, ctx)
    ns.update(auth=Authenticator(), app=FastAPI())


async def credentials(ns: Namespace, ctx: Context) -> None:
    """The ``email`` and ``password`` a form would post."""
    ns.update(email=EMAIL, password=PASSWORD)


async def user(ns: Namespace, ctx: Context) -> None:
    """A ``user`` of the app."""
    ns["user"] = await _users(ns)


async def session_env(ns: Namespace, ctx: Context) -> None:
    """The session key in the environment and an app's ``routes``."""
    ctx.setenv("GATEPASS_SESSION_KEY", "k" * 32)
    ns["routes"] = []


async def request(ns: Namespace, ctx: Context) -> None:
    """Run the block inside a request of a logged-in user (``request`` in scope)."""
    account = await _users(ns)
    auth = Authenticator()
    users = ns["users"]
    auth.serializer(lambda u: u.id)
    auth.deserializer(users.find_by_id)

    async def run_here(code: Any, namespace: Namespace) -> None:
        async def endpoint(req: Request) -> Response:
            await run_code(code, {**namespace, "request": req})
            return Response(status_code=204)

        app = Starlette(routes=[Route("/snippet", endpoint)])
        app.add_middleware(AuthMiddleware, authenticator=auth)
        app.add_middleware(SessionMiddleware, store=MemorySessionStore(), secret_keys=["k" * 32])
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            await login_as(client, account, auth=auth)
            assert (await client.get("/snippet")).status_code == 204

    ctx.runner = run_here


async def rate_limit_request(ns: Namespace, ctx: Context) -> None:
    """A posted login ``form``, its ``request``, whether it was ``verified``."""
    ns.update(
        form=SimpleNamespace(email=EMAIL),
        request=SimpleNamespace(client=SimpleNamespace(host="203.0.113.7")),
        verified=True,
        client_address="203.0.113.7",
    )


async def revocations(ns: Namespace, ctx: Context) -> None:
    """The ``keys`` of an issuer and its ``revocations`` list."""
    ns.update(keys=Key.generate("ES256"), revocations=RevocationList(MemoryRevocationStore()))


async def verifier_inputs(ns: Namespace, ctx: Context) -> None:
    """A ``token`` from the page's ``keys``, an ``is_revoked`` check, a ``request``."""
    keys: KeySet = ns["keys"]
    ns["token"] = jwt.sign(
        {}, keys, audience="api", issuer="https://auth.example", headers={"typ": "at+jwt"}
    )
    ns["is_revoked"] = lambda claims: False
    ns["request"] = None


async def remote_issuer(ns: Namespace, ctx: Context) -> None:
    """``httpx_client`` reaching an in-process issuer's JWKS, and a ``token`` it signed."""
    key = Key.generate("ES256")
    jwks = KeySet([key]).to_jwks()

    async def serve(_request: Request) -> Response:
        return JSONResponse(jwks, headers={"cache-control": "max-age=300"})

    issuer = Starlette(routes=[Route("/.well-known/jwks.json", serve)])
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=issuer))
    ctx.cleanups.append(client.aclose)
    ns["httpx_client"] = client
    ns["token"] = jwt.sign({}, key, audience="api", issuer="https://issuer.example")


async def social(ns: Namespace, ctx: Context) -> None:
    """An open ``SQLUserStore`` as ``users`` and an ``auth``."""
    users = SQLUserStore(f"sqlite:///{ctx.tmp_path / 'users.db'}")
    await users.open()
    ctx.cleanups.append(users.close)
    ns.update(users=users, auth=Authenticator())


async def server_router(ns: Namespace, ctx: Context) -> None:
    """The names the server's page module imports."""
    ns.update(router=APIRouter(), Request=Request, Response=Response, JSONResponse=JSONResponse)


async def _refuses_alike(ns: Namespace) -> Any:
    # Unknown email and wrong password answer the same, after the same argon2 work
    # (OWASP ASVS 2.2); the right password gives the account.
    hasher: CountingHasher = ns["hasher"]
    refused = (None, {"message": "Incorrect email or password."})
    hasher.checks.clear()
    assert await ns["verify"]("nobody@example.com", PASSWORD) == refused
    assert hasher.checks == [True]
    assert await ns["verify"](EMAIL, "wrong password") == refused
    assert hasher.checks == [True, False]
    account = await ns["verify"](EMAIL, PASSWORD)
    assert account.email == EMAIL
    return account


async def verify_refuses_alike(ns: Namespace, ctx: Context) -> None:
    """A verify callback refuses an unknown email as it does a wrong password."""
    await _refuses_alike(ns)


async def seed_login(ns: Namespace, ctx: Context) -> None:
    """The README flow: its verify refuses alike; its app signs a user in through the form."""
    await _refuses_alike(ns)
    app: FastAPI = ns["app"]

    @app.get("/login")  # the page the README leaves out: a form with its CSRF token
    async def login_page(request: Request) -> Response:
        return Response(csrf_token(request))

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        anonymous = await client.get("/dashboard", headers={"accept": "application/json"})
        assert anonymous.status_code == 401
        token = (await client.get("/login")).text
        form = {"email": EMAIL, "password": PASSWORD, "csrf_token": token}
        signed_in = await client.post("/login", data=form)
        assert (signed_in.status_code, signed_in.headers["location"]) == (303, "/dashboard")
        page = await client.get("/dashboard")
        assert page.status_code == 200
        assert f"Signed in as {EMAIL}" in page.text


STEPS: dict[str, Step] = {
    step.__name__: step
    for step in (
        app_users,
        passport_auth,
        credentials,
        user,
        session_env,
        request,
        rate_limit_request,
        revocations,
        verifier_inputs,
        remote_issuer,
        social,
        server_router,
        seed_login,
        verify_refuses_alike,
    )
}
