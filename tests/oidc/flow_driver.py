"""Drive a sign-in like a browser: follow redirects between the app and the provider,
fill in the provider's login and consent forms (plain HTML) and post them.

The app runs in process (``httpx.ASGITransport``) under the origin its provider
client is registered with; the provider is a real process reached over loopback.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit, urlunsplit

import httpx
from starlette.types import ASGIApp

_MAX_HOPS = 20


@dataclass
class Form:
    """One ``<form>``: where it posts and the values of its hidden fields."""

    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append(Form(values.get("action", ""), values.get("method", "get").lower()))
        elif tag == "input" and self.forms and values.get("type") == "hidden":
            self.forms[-1].fields[values.get("name", "")] = values.get("value", "")
        elif tag == "a" and values.get("href"):
            self.links.append(values["href"])


def parse_page(html: str) -> _PageParser:
    """Parse a page's forms and links."""
    parser = _PageParser()
    parser.feed(html)
    return parser


class Browser:
    """Two cookie jars, one per site, and a redirect follower that picks the site.

    Args:
        app: the ASGI app under test.
        app_origin: the origin the provider redirects back to.
    """

    def __init__(self, app: ASGIApp, app_origin: str) -> None:
        self.app_origin = app_origin
        self.app = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=app_origin)
        self.web = httpx.AsyncClient(timeout=10)
        self.visited: list[str] = []

    async def aclose(self) -> None:
        """Close both clients."""
        await self.app.aclose()
        await self.web.aclose()

    def _client(self, url: str) -> httpx.AsyncClient:
        return self.app if url.startswith(self.app_origin) else self.web

    async def get(self, url: str) -> httpx.Response:
        """GET one URL (absolute, or a path on the app) without following redirects."""
        url = urljoin(self.app_origin, url)
        self.visited.append(url)
        return await self._client(url).get(url)

    async def follow(
        self, response: httpx.Response, *, stop_at: str | None = None
    ) -> httpx.Response | str:
        """Follow redirects; stop before a URL whose path is ``stop_at`` and return it.

        Args:
            response: the response to start from.
            stop_at: a path on the app not to visit.

        Returns:
            The first non-redirect response, or the URL of ``stop_at``.
        """
        for _ in range(_MAX_HOPS):
            # A Refresh header moves a browser on as a redirect does (HTML "refresh").
            refresh: str = response.headers.get("refresh", "").partition("url=")[2]
            if not response.is_redirect and not refresh:
                return response
            target: str = refresh or response.headers["location"]
            url = urljoin(str(response.url), target)
            if url.startswith(self.app_origin) and urlsplit(url).path == stop_at:
                return url
            response = await self.get(url)
        raise AssertionError(f"more than {_MAX_HOPS} redirects: {self.visited[-5:]}")

    async def submit(
        self, page: httpx.Response, values: Mapping[str, str], *, stop_at: str | None = None
    ) -> httpx.Response | str:
        """Post the page's first form with its hidden fields plus ``values``, then follow."""
        forms = parse_page(page.text).forms
        assert forms, f"no form on {page.url}: {page.text[:300]}"
        form = forms[0]
        url = urljoin(str(page.url), form.action)
        self.visited.append(url)
        response = await self._client(url).post(url, data={**form.fields, **values})
        return await self.follow(response, stop_at=stop_at)


def with_query(url: str, **changes: str) -> str:
    """The URL with some query parameters set or replaced."""
    parts = urlsplit(url)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


def page(result: httpx.Response | str) -> httpx.Response:
    """Assert that following ended on a page, not at a stop URL."""
    assert isinstance(result, httpx.Response), f"stopped at {result}"
    return result


async def provider_login(
    browser: Browser,
    start: str | httpx.Response,
    *,
    login: str = "alice",
    stop_at: str | None = None,
) -> httpx.Response | str:
    """Start at ``start`` on the app, sign in at the provider and consent.

    Args:
        browser: the browser.
        start: the app path that redirects to the provider, or the app's answer that
            does (a posted "Link" form).
        login: the account name (``unverified-...`` for an unverified email).
        stop_at: a callback path not to visit (its URL is returned).

    Returns:
        Where the flow ended (the app's page), or the callback URL.
    """
    first = await browser.get(start) if isinstance(start, str) else start
    login_page = page(await browser.follow(first))
    assert 'name="login"' in login_page.text, login_page.text[:300]
    consent_page = page(await browser.submit(login_page, {"login": login, "password": "anything"}))
    assert 'value="consent"' in consent_page.text, consent_page.text[:300]
    return await browser.submit(consent_page, {}, stop_at=stop_at)


async def provider_deny(browser: Browser, start: str) -> httpx.Response:
    """Start at ``start``, sign in, then cancel on the consent page."""
    login_page = page(await browser.follow(await browser.get(start)))
    consent_page = page(
        await browser.submit(login_page, {"login": "alice", "password": "anything"})
    )
    abort = next(link for link in parse_page(consent_page.text).links if "/abort" in link)
    return page(await browser.follow(await browser.get(urljoin(str(consent_page.url), abort))))
