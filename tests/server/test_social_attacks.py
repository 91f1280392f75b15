"""Attacks on social sign-in, against the real OpenID provider process (issue 22).

Each test plays the attacker first, then the victim, and checks what the attacker is
left with: account pre-hijacking (finding 1), email folding (2), probing which emails
have accounts (8), linking from a plain link (10). Operator details kept out of error
flashes: ``test_social_login.py``, provider down at the start.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from oidc.flow_driver import page, provider_login
from oidc.oidc_peer import ProviderProcess, oidc_provider
from server.server_helpers import BROWSER, account_id, login, register, token_pair
from server.social_helpers import TITLE, Site, flashes, press_link, running, social_settings

__all__ = ["oidc_provider"]  # the session fixture, imported to be found here


@pytest.fixture
async def site(oidc_provider: ProviderProcess, tmp_path: Path) -> AsyncIterator[Site]:
    """The server with the test provider configured."""
    async with running(social_settings(tmp_path, oidc_provider)) as started:
        yield started


# -- finding 1: account pre-hijacking (classic-federated merge) -----------------------


async def test_a_verified_sign_in_ends_the_hold_of_whoever_pre_registered_the_email(
    site: Site,
) -> None:
    users = site.state.backends.users
    # The attacker registers the victim's address with a password (never verified),
    # keeps a signed-in browser and an API token pair, and links a provider account
    # of their own ("trojan identifier").
    attacker = await site.browser()
    await register(attacker.app, "victim@example.com")
    pair = await token_pair(attacker.app, "victim@example.com")
    page(await provider_login(attacker, await press_link(attacker.app), login="mallory"))
    squatted = await users.find_by_email("victim@example.com")
    assert squatted is not None
    assert len(await site.links("victim@example.com")) == 1

    # The owner signs in with a provider that asserts the address as verified.
    dashboard = page(await provider_login(await site.browser(), "/auth/oidc", login="victim"))
    assert dashboard.url.path == "/dashboard"
    assert account_id(dashboard.text) == squatted.id
    assert "its password was removed and every other session ended" in flashes(dashboard)

    user = await users.find_by_id(squatted.id)
    assert user is not None
    assert (user.password_hash, user.email_verified) == (None, True)
    assert [(i.provider, i.subject) for i in await site.links(user.email)] == [("oidc", "victim")]
    # Nothing the attacker held still works: the session, the refresh token, the password.
    assert (await attacker.app.get("/dashboard", headers=BROWSER)).status_code == 303
    refreshed = await attacker.app.post(
        "/auth/refresh", json={"refresh_token": pair["refresh_token"]}
    )
    assert refreshed.status_code == 401
    again = await login(attacker.app, "victim@example.com")
    assert again.headers["location"] == "/login"
    [event] = site.log.named("account.taken_over")
    assert (event["user_id"], event["provider"]) == (user.id, "oidc")
    assert event["sessions_ended"] >= 1


async def test_an_unverified_provider_email_never_takes_over_an_unverified_account(
    site: Site,
) -> None:
    squatter = await site.client()
    await register(squatter, "unverified-pat@example.com")
    landing = page(await provider_login(await site.browser(), "/auth/oidc", login="unverified-pat"))
    assert landing.url.path == "/login"
    user = await site.state.backends.users.find_by_email("unverified-pat@example.com")
    assert user is not None
    assert user.password_hash is not None
    assert site.log.named("account.taken_over") == []


# -- finding 2: email folding ---------------------------------------------------------


@pytest.mark.parametrize(
    ("existing", "login_name"),
    [("ss", "\u00df"), ("kelvin", "\u212aelvin")],  # "ß" / Kelvin sign
)
async def test_a_provider_email_that_folds_onto_another_does_not_sign_in_as_it(
    site: Site, existing: str, login_name: str
) -> None:
    owner = await site.client()
    await register(owner, f"{existing}@example.com")
    landing = page(await provider_login(await site.browser(), "/auth/oidc", login=login_name))
    users = site.state.backends.users
    taken = await users.find_by_email(f"{existing}@example.com")
    assert taken is not None
    assert taken.password_hash is not None  # not taken over, nothing linked
    assert await site.links(f"{existing}@example.com") == []
    if landing.url.path == "/dashboard":  # "ß@": a mailbox of its own, its own account
        assert account_id(landing.text) != taken.id
    else:  # the Kelvin sign is no address gatepass accepts
        assert landing.url.path == "/login"


# -- finding 8: which emails have accounts -------------------------------------------


async def test_an_unverified_provider_email_gets_one_answer_whether_or_not_it_has_an_account(
    site: Site,
) -> None:
    await register(await site.client(), "unverified-known@example.com")
    known = page(await provider_login(await site.browser(), "/auth/oidc", login="unverified-known"))
    unknown = page(
        await provider_login(await site.browser(), "/auth/oidc", login="unverified-unknown")
    )
    assert known.url.path == unknown.url.path == "/login"
    assert flashes(known) == flashes(unknown)
    assert f"{TITLE} did not confirm this email address" in flashes(known)


async def test_provider_callbacks_are_throttled_per_address(
    oidc_provider: ProviderProcess, tmp_path: Path
) -> None:
    settings = social_settings(tmp_path, oidc_provider, address_limit="2/minute")
    async with running(settings) as site:
        for name in ("unverified-a", "unverified-b"):
            landing = page(await provider_login(await site.browser(), "/auth/oidc", login=name))
            assert landing.status_code == 200
        browser = await site.browser()
        callback = await provider_login(
            browser, "/auth/oidc", login="unverified-c", stop_at="/auth/oidc/callback"
        )
        assert isinstance(callback, str)
        refused = await browser.get(callback)
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) > 0
        assert "Too many sign-in attempts" in flashes(refused)
        assert site.log.named("login.throttled")[0]["channel"] == "social"


# -- finding 10: linking starts only from the dashboard's POST -------------------------


async def test_a_plain_link_to_the_provider_while_signed_in_links_nothing(site: Site) -> None:
    browser = await site.browser()
    await register(browser.app, "quinn@example.com")
    started = await browser.get("/auth/oidc")
    assert (started.status_code, started.headers["location"]) == (303, "/dashboard")
    dashboard = page(await browser.follow(started))
    assert "use its button on your dashboard" in flashes(dashboard)
    assert await site.links("quinn@example.com") == []
    assert "_gatepass_oauth.oidc" not in started.text


async def test_the_link_form_needs_its_csrf_token(site: Site) -> None:
    browser = await site.browser()
    await register(browser.app, "ruth@example.com")
    forged = await browser.app.post("/auth/oidc/link", data={}, headers=BROWSER)
    assert forged.status_code == 403
    assert await site.links("ruth@example.com") == []


async def test_linking_shows_which_provider_account_was_linked(site: Site) -> None:
    browser = await site.browser()
    await register(browser.app, "sam@example.com")
    linked = page(await provider_login(browser, await press_link(browser.app), login="sam-alt"))
    assert f"Your {TITLE} account sam-alt@example.com is now linked" in flashes(linked)
