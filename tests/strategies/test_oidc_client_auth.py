"""Token endpoint client authentication (RFC 6749 §2.3.1) against a real OpenID provider.

``gatepass-post`` is registered at the provider for ``client_secret_post``: the provider
refuses its secret in a Basic header. A second provider process offers only
``client_secret_post`` and says so in its discovery document.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from gatepass.authenticator import Authenticator
from gatepass.strategies import OIDCStrategy
from gatepass.strategies.oauth import OIDCOptions
from gatepass.users import MemoryUserStore
from gatepass.users.identities import MemoryIdentityStore
from oidc.flow_driver import Browser, page, provider_login
from oidc.oidc_peer import (
    CLIENT_ID,
    CLIENT_SECRET,
    POST_CLIENT_ID,
    POST_CLIENT_SECRET,
    ProviderProcess,
    oidc_provider,
    start_provider,
)
from oidc.social_app import build_app, make_verify

__all__ = ["oidc_provider"]  # the session fixture, imported to be found here


@dataclass
class TokenCall:
    """What the app sent to the token endpoint."""

    authorization: str | None
    form: dict[str, list[str]]


@dataclass
class World:
    browser: Browser
    token_calls: list[TokenCall] = field(default_factory=list)


Build = Callable[..., World]


@pytest.fixture(scope="module")
def post_only_provider() -> Iterator[ProviderProcess]:
    """A provider whose only token endpoint authentication is ``client_secret_post``."""
    provider = start_provider(client_auth="client_secret_post")
    try:
        yield provider
    finally:
        provider.stop()


@pytest.fixture
async def build() -> AsyncIterator[Build]:
    opened: list[tuple[Browser, httpx.AsyncClient]] = []

    def make(
        provider: ProviderProcess, client_id: str, secret: str, **options: OIDCOptions
    ) -> World:
        calls: list[TokenCall] = []

        async def record(request: httpx.Request) -> None:
            if request.url.path == "/token":
                body = parse_qs(request.content.decode())
                calls.append(TokenCall(request.headers.get("authorization"), body))

        http = httpx.AsyncClient(event_hooks={"request": [record]})
        users = MemoryUserStore()
        strategy = OIDCStrategy(
            provider.issuer,
            client_id,
            secret,
            provider.callback_url(),
            verify=make_verify(users, MemoryIdentityStore()),
            client=http,
            **options,  # type: ignore[arg-type]
        )
        browser = Browser(build_app(Authenticator(), [strategy], users), provider.app_origin)
        opened.append((browser, http))
        return World(browser, calls)

    yield make
    for browser, http in opened:
        await browser.aclose()
        await http.aclose()


def sent_in_the_body(call: TokenCall, client_id: str, secret: str) -> bool:
    return (
        call.authorization is None
        and call.form.get("client_id") == [client_id]
        and call.form.get("client_secret") == [secret]
    )


async def test_a_client_registered_for_client_secret_post_signs_in_with_the_option(
    build: Build, oidc_provider: ProviderProcess
) -> None:
    world = build(
        oidc_provider, POST_CLIENT_ID, POST_CLIENT_SECRET, client_auth="client_secret_post"
    )
    final = page(await provider_login(world.browser, "/auth/oidc", login="poppy"))
    assert urlsplit(str(final.url)).path == "/dashboard"
    assert (await world.browser.get("/dashboard")).json()["email"] == "poppy@example.com"
    assert sent_in_the_body(world.token_calls[0], POST_CLIENT_ID, POST_CLIENT_SECRET)


async def test_without_the_option_a_post_client_is_refused_where_basic_is_offered(
    build: Build, oidc_provider: ProviderProcess
) -> None:
    # The shared provider lists client_secret_basic: gatepass prefers it (RFC 6749
    # §2.3.1), and this client's registration refuses it; the login fails cleanly.
    world = build(oidc_provider, POST_CLIENT_ID, POST_CLIENT_SECRET)
    final = page(await provider_login(world.browser, "/auth/oidc", login="poppy"))
    assert urlsplit(str(final.url)).path == "/login"
    assert world.token_calls[0].authorization is not None
    [message] = final.json()["flash"]
    assert "invalid_client" in message
    assert (await world.browser.get("/dashboard")).status_code == 401


async def test_without_the_option_the_method_comes_from_the_discovery_document(
    build: Build, post_only_provider: ProviderProcess
) -> None:
    world = build(post_only_provider, CLIENT_ID, CLIENT_SECRET)
    final = page(await provider_login(world.browser, "/auth/oidc", login="quinn"))
    assert urlsplit(str(final.url)).path == "/dashboard"
    assert sent_in_the_body(world.token_calls[0], CLIENT_ID, CLIENT_SECRET)
