"""The reference server with the test OpenID provider configured, for the social tests.

The server runs in process (``httpx.ASGITransport``) under the origin the provider's
client is registered with; the provider (``tests/oidc/provider.mjs``) is a process.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from pydantic import SecretStr

from gatepass.server.app import create_app
from gatepass.server.logging import SecurityLog
from gatepass.server.settings import Settings
from gatepass.server.state import ServerState
from gatepass.users.identities import Identity
from oidc.flow_driver import Browser
from oidc.oidc_peer import CLIENT_ID, CLIENT_SECRET, ProviderProcess
from server.server_helpers import BROWSER, EventLog, csrf_from, fast_hasher

TITLE = "Test Provider"


@dataclass
class Site:
    """One server on the provider's registered origin, with its security events."""

    app: FastAPI
    origin: str
    log: EventLog
    stack: AsyncExitStack

    @property
    def state(self) -> ServerState:
        """The server state."""
        state: ServerState = self.app.state.gatepass
        return state

    async def browser(self) -> Browser:
        """A fresh browser: its own cookies on the server and on the provider."""
        browser = Browser(self.app, self.origin)
        self.stack.push_async_callback(browser.aclose)
        return browser

    async def client(self) -> httpx.AsyncClient:
        """A client of the server alone (password sign-ins, the API)."""
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url=self.origin
        )
        self.stack.push_async_callback(client.aclose)
        return client

    async def links(self, email: str) -> list[Identity]:
        """The provider links of the account with this email."""
        user = await self.state.backends.users.find_by_email(email)
        assert user is not None
        assert self.state.social is not None
        return await self.state.social.links(user)


def social_settings(
    tmp_path: Path, provider: ProviderProcess, *, issuer: str | None = None, **more: Any
) -> Settings:
    """Settings with the generic OpenID provider pointing at ``provider``."""
    return Settings(
        data_dir=tmp_path / "data",
        public_url=provider.app_origin,
        oidc_issuer=issuer or provider.issuer,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret=SecretStr(CLIENT_SECRET),
        oidc_name=TITLE,
        **more,
    )


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[Site]:
    """The server built from ``settings``, its lifespan running, closed on exit."""
    log = EventLog()
    app = create_app(settings, hasher=fast_hasher(), security=SecurityLog(log.logger))
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(app.router.lifespan_context(app))
        yield Site(app, settings.effective_public_url, log, stack)


def flashes(response: httpx.Response) -> str:
    """The flash messages of a page ("" when it shows none)."""
    if '<div class="flashes"' not in response.text:
        return ""
    return response.text.split('<div class="flashes"', 1)[1].split("</div>", 1)[0]


async def press_link(client: httpx.AsyncClient, provider: str = "oidc") -> httpx.Response:
    """Press "Link ..." on the dashboard: the POST with its CSRF token, not followed."""
    dashboard = await client.get("/dashboard", headers=BROWSER)
    assert f'action="/auth/{provider}/link"' in dashboard.text
    return await client.post(
        f"/auth/{provider}/link", data={"csrf_token": csrf_from(dashboard.text)}, headers=BROWSER
    )
