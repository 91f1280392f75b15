"""Social login in the reference server, against a real OpenID provider on loopback.

The server runs in process (``httpx.ASGITransport``) under the origin the provider's
client is registered with; the provider (``tests/oidc/provider.mjs``) is a process,
and its login and consent pages are filled in over HTTP by ``flow_driver``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from oidc.flow_driver import page, provider_deny, provider_login
from oidc.oidc_peer import (
    POST_CLIENT_ID,
    POST_CLIENT_SECRET,
    ProviderProcess,
    free_port,
    oidc_provider,
    start_provider,
)
from server.server_helpers import BROWSER, account_id, register
from server.social_helpers import (
    TITLE,
    Site,
    flashes,
    press_link,
    running,
    social_settings,
)

__all__ = ["oidc_provider"]  # the session fixture, imported to be found here


@pytest.fixture
async def site(oidc_provider: ProviderProcess, tmp_path: Path) -> AsyncIterator[Site]:
    """The server with the test provider configured."""
    async with running(social_settings(tmp_path, oidc_provider)) as started:
        yield started


async def test_login_page_shows_a_button_for_the_configured_provider(site: Site) -> None:
    client = await site.client()
    page_ = await client.get("/login", headers=BROWSER)
    assert f'href="/auth/oidc">Sign in with {TITLE}</a>' in page_.text


async def test_first_sign_in_creates_the_user_and_lands_on_the_dashboard(site: Site) -> None:
    browser = await site.browser()
    dashboard = page(await provider_login(browser, "/auth/oidc", login="alice"))
    assert dashboard.url.path == "/dashboard"
    assert "Welcome, Test alice" in dashboard.text
    assert "alice@example.com" in dashboard.text
    user = await site.state.backends.users.find_by_email("alice@example.com")
    assert user is not None
    assert user.password_hash is None
    assert account_id(dashboard.text) == user.id
    [link] = await site.links("alice@example.com")
    assert (link.provider, link.subject) == ("oidc", "alice")
    [success] = site.log.named("login.success")
    assert success == {**success, "channel": "social", "provider": "oidc", "user_id": user.id}
    [linked] = site.log.named("identity.linked")
    assert (linked["user_id"], linked["by"]) == (user.id, "new_account")
    assert site.log.named("user.created")[0]["user_id"] == user.id


async def test_second_sign_in_reuses_the_same_account(site: Site) -> None:
    first = page(await provider_login(await site.browser(), "/auth/oidc", login="bruno"))
    second = page(await provider_login(await site.browser(), "/auth/oidc", login="bruno"))
    assert account_id(second.text) == account_id(first.text)
    assert len(site.log.named("identity.linked")) == 1


async def test_verified_email_of_a_verified_password_account_links_to_it(site: Site) -> None:
    client = await site.client()
    await register(client, "carol@example.com")
    created = await site.state.backends.users.find_by_email("carol@example.com")
    assert created is not None
    owner = await site.state.backends.users.verify_email(created.id)
    assert owner is not None
    dashboard = page(await provider_login(await site.browser(), "/auth/oidc", login="carol"))
    assert account_id(dashboard.text) == owner.id
    assert "carol@example.com" in dashboard.text
    assert [link.subject for link in await site.links("carol@example.com")] == ["carol"]
    assert await site.state.backends.users.find_by_id(owner.id) == owner  # password kept
    [linked] = site.log.named("identity.linked")
    assert (linked["user_id"], linked["by"]) == (owner.id, "email")
    assert site.log.named("user.created") == []
    assert site.log.named("account.taken_over") == []


async def test_unverified_email_of_a_password_account_is_refused_with_a_flash(
    site: Site,
) -> None:
    email = "unverified-dora@example.com"
    client = await site.client()
    await register(client, email)
    landing = page(
        await provider_login(await site.browser(), "/auth/oidc", login="unverified-dora")
    )
    assert landing.url.path == "/login"
    assert "Test Provider did not confirm this email address" in flashes(landing)
    assert await site.links(email) == []
    [failure] = site.log.named("login.failure")
    assert (failure["reason"], failure["provider"]) == ("account_link_required", "oidc")


async def test_signed_in_user_links_a_provider_from_the_dashboard(site: Site) -> None:
    browser = await site.browser()
    await register(browser.app, "erin@example.com")
    owner = await site.state.backends.users.find_by_email("erin@example.com")
    assert owner is not None
    dashboard = await browser.app.get("/dashboard", headers=BROWSER)
    assert f'<button type="submit">Link {TITLE}</button>' in dashboard.text
    # The provider account has another email: linking needs no email match.
    pressed = await press_link(browser.app)
    linked = page(await provider_login(browser, pressed, login="unverified-erin"))
    assert linked.url.path == "/dashboard"
    assert account_id(linked.text) == owner.id
    message = f"Your {TITLE} account unverified-erin@example.com is now linked to this account."
    assert message in flashes(linked)
    assert "unverified-erin@example.com" in linked.text
    assert site.log.named("identity.linked")[0]["user_id"] == owner.id


async def test_a_provider_account_linked_to_someone_else_is_not_linked_again(
    site: Site,
) -> None:
    await provider_login(await site.browser(), "/auth/oidc", login="fay")
    browser = await site.browser()
    await register(browser.app, "gus@example.com")
    landing = page(await provider_login(browser, await press_link(browser.app), login="fay"))
    assert landing.url.path == "/dashboard"  # still signed in as gus
    assert "gus@example.com" in landing.text
    assert "already linked to another user" in flashes(landing)
    assert site.log.named("identity.link_refused")


async def test_denied_consent_lands_on_login_with_a_flash(site: Site) -> None:
    landing = await provider_deny(await site.browser(), "/auth/oidc")
    assert landing.url.path == "/login"
    assert "Sign-in was cancelled at the provider." in flashes(landing)
    [failure] = site.log.named("login.failure")
    assert failure["reason"] == "access_denied"


async def test_provider_down_at_the_start_lands_on_login_with_a_plain_flash(
    oidc_provider: ProviderProcess, tmp_path: Path
) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    async with running(social_settings(tmp_path, oidc_provider, issuer=nowhere)) as down:
        browser = await down.browser()
        started = await browser.get("/auth/oidc")
        assert (started.status_code, started.headers["location"]) == (303, "/login")
        landing = page(await browser.follow(started))
        shown = flashes(landing)
        assert "cannot be reached right now" in shown
        # Operator details go to the security log, not to the user (CWE-209).
        for detail in (nowhere, "127.0.0.1", "ConnectError", "discovery", "gatepass-test"):
            assert detail not in shown
        [failure] = down.log.named("login.failure")
        assert failure["reason"] == "provider_unavailable"
        assert "ConnectError" in failure["detail"]


async def test_provider_gone_before_the_callback_lands_on_login_with_a_flash(
    tmp_path: Path,
) -> None:
    origin = f"http://127.0.0.1:{free_port()}"
    provider = start_provider(origin)
    try:
        async with running(social_settings(tmp_path, provider)) as site_:
            browser = await site_.browser()
            callback = await provider_login(browser, "/auth/oidc", stop_at="/auth/oidc/callback")
            assert isinstance(callback, str)
            provider.stop()
            landing = page(await browser.follow(await browser.get(callback)))
            assert landing.url.path == "/login"
            assert "cannot be reached" in flashes(landing)
    finally:
        provider.stop()


async def test_without_social_signup_a_new_person_gets_no_account(
    oidc_provider: ProviderProcess, tmp_path: Path
) -> None:
    settings = social_settings(tmp_path, oidc_provider, social_signup=False)
    async with running(settings) as closed:
        landing = page(await provider_login(await closed.browser(), "/auth/oidc", login="hal"))
        assert landing.url.path == "/login"
        assert "new accounts cannot be created here" in flashes(landing)
        assert await closed.state.backends.users.find_by_email("hal@example.com") is None


async def test_sign_in_returns_to_the_page_the_guard_remembered(site: Site) -> None:
    browser = await site.browser()
    guarded = await browser.app.get("/dashboard?tab=sessions", headers=BROWSER)
    assert guarded.status_code == 303
    landing = page(await provider_login(browser, "/auth/oidc", login="iris"))
    assert landing.url.path == "/dashboard"
    assert landing.url.query == b"tab=sessions"


async def test_a_social_only_account_cannot_unlink_its_last_way_in(site: Site) -> None:
    browser = await site.browser()
    dashboard = page(await provider_login(browser, "/auth/oidc", login="jo"))
    assert 'action="/auth/oidc/unlink"' in dashboard.text
    refused = await _unlink(browser.app, "oidc", "jo")
    assert "the only way to sign in" in flashes(refused)
    assert len(await site.links("jo@example.com")) == 1


async def test_a_password_account_unlinks_a_provider(site: Site) -> None:
    browser = await site.browser()
    await register(browser.app, "kim@example.com")
    page(await provider_login(browser, await press_link(browser.app), login="kim"))
    done = await _unlink(browser.app, "oidc", "kim")
    assert f"{TITLE} is no longer linked to your account." in flashes(done)
    assert 'action="/auth/oidc/unlink"' not in done.text
    assert site.log.named("identity.unlinked")
    assert await site.links("kim@example.com") == []


async def test_unlink_of_someone_elses_identity_changes_nothing(site: Site) -> None:
    await provider_login(await site.browser(), "/auth/oidc", login="lea")
    browser = await site.browser()
    await register(browser.app, "max@example.com")
    answer = await _unlink(browser.app, "oidc", "lea")
    assert "not linked to your account" in flashes(answer)
    assert len(await site.links("lea@example.com")) == 1


async def test_unlink_without_the_csrf_token_is_refused(site: Site) -> None:
    browser = await site.browser()
    page(await provider_login(browser, "/auth/oidc", login="ned"))
    answer = await browser.app.post("/auth/oidc/unlink", data={"subject": "ned"}, headers=BROWSER)
    assert answer.status_code == 403


@pytest.mark.parametrize("name", ["github", "api", "nope"])
async def test_a_provider_that_is_not_configured_is_404(site: Site, name: str) -> None:
    client = await site.client()
    for path in (f"/auth/{name}", f"/auth/{name}/callback"):
        response = await client.get(path)
        assert response.status_code == 404
        assert response.json()["error"] == "unknown_provider"


async def test_the_session_cookie_survives_the_cross_site_return(site: Site) -> None:
    client = await site.client()
    response = await register(client, "olga@example.com")
    # SameSite=Lax: the provider's redirect back is a top-level cross-site GET.
    assert "samesite=lax" in response.headers["set-cookie"].lower()


async def _unlink(client: httpx.AsyncClient, provider: str, subject: str) -> httpx.Response:
    dashboard = await client.get("/dashboard", headers=BROWSER)
    token = dashboard.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    answer = await client.post(
        f"/auth/{provider}/unlink",
        data={"csrf_token": token, "subject": subject},
        headers=BROWSER,
    )
    assert (answer.status_code, answer.headers["location"]) == (303, "/dashboard")
    return await client.get("/dashboard", headers=BROWSER)


async def test_a_client_that_must_post_its_secret_signs_in_with_the_setting(
    oidc_provider: ProviderProcess, tmp_path: Path
) -> None:
    # GATEPASS_OIDC_CLIENT_AUTH=client_secret_post: this client's registration refuses
    # its secret in a Basic header, which the provider's discovery document allows.
    settings = social_settings(tmp_path, oidc_provider).model_copy(
        update={
            "oidc_client_id": POST_CLIENT_ID,
            "oidc_client_secret": SecretStr(POST_CLIENT_SECRET),
            "oidc_client_auth": "client_secret_post",
        }
    )
    async with running(settings) as site:
        browser = await site.browser()
        dashboard = page(await provider_login(browser, "/auth/oidc", login="posy"))
        assert dashboard.url.path == "/dashboard"
        assert "posy@example.com" in dashboard.text
