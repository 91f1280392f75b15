"""Strategy registry, hooks on failure, the request user wrapper and Accept negotiation."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.requests import HTTPConnection

from authenticator.support import ALICE
from gatepass.authenticator import AuthenticatedUser, Authenticator, Credentials
from gatepass.errors import ConfigurationError
from gatepass.integrations import wants_html
from gatepass.strategies import CustomStrategy, Fail, LocalStrategy, Success
from gatepass.testing import build_request


def test_use_refuses_an_object_that_is_not_a_strategy() -> None:
    with pytest.raises(ConfigurationError, match="not a strategy"):
        Authenticator().use(object())  # type: ignore[arg-type]


async def test_use_under_another_name_and_unuse() -> None:
    auth = Authenticator()
    auth.use(CustomStrategy(lambda r: Success("x")), name="mine")
    attempt = await auth.attempt(build_request(), ["mine"])
    assert attempt.outcome == Success("x")
    assert attempt.strategy == "mine"
    auth.unuse("mine")
    with pytest.raises(ConfigurationError, match="Unknown strategy 'mine'"):
        auth.strategy("mine")


async def test_attempt_collects_failures_in_order_and_runs_failure_hook_via_authenticate() -> None:
    auth = Authenticator()
    auth.use(CustomStrategy(lambda r: Fail("A", message="a"), name="a"))
    auth.use(CustomStrategy(lambda r: Fail("B", message="b"), name="b"))
    seen: list[Any] = []

    async def after_failure(request: HTTPConnection, failures: dict[str, Fail]) -> None:
        seen.append(list(failures))

    auth.hooks.after_failure.append(after_failure)
    response = await auth.authenticate(build_request(), "a", "b", session=False)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "A, B"
    assert seen == [["a", "b"]]


async def test_after_authentication_hook_names_the_strategy() -> None:
    auth = Authenticator()
    auth.use(LocalStrategy(lambda u, p: {"id": u}))
    seen: list[tuple[Any, str, str]] = []
    auth.hooks.after_authentication.append(
        lambda request, user, strategy, scope: seen.append((user, strategy, scope))
    )
    request = build_request(method="POST", form={"username": "ann", "password": "pw"})
    await auth.authenticate(request, "local", session=False, scope="api")
    assert seen == [({"id": "ann"}, "local", "api")]


def test_authenticated_user_reads_through_to_the_app_user() -> None:
    user = AuthenticatedUser(ALICE)
    assert (user.is_authenticated, user.identity, user.display_name) == (
        True,
        "u1",
        "alice@example.com",
    )
    assert user.email == "alice@example.com"
    assert user.user is ALICE
    with pytest.raises(AttributeError):
        _ = user.nothing_here


def test_authenticated_user_over_a_mapping_and_explicit_identity() -> None:
    user = AuthenticatedUser({"sub": "abc", "name": "Ann"})
    assert (user.identity, user.display_name, user.name) == ("abc", "Ann", "Ann")
    assert AuthenticatedUser({}, identity="x").display_name == "x"


def test_credentials_carry_claims_and_strategy() -> None:
    credentials = Credentials(["a", "a", "b"], claims={"sub": "1"}, strategy="jwt")
    assert credentials.scopes == ["a", "b"]
    assert (dict(credentials.claims), credentials.strategy) == ({"sub": "1"}, "jwt")


@pytest.mark.parametrize(
    ("accept", "html"),
    [
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", True),
        ("application/json", False),
        ("*/*", False),
        ("", False),
        ("application/json, text/html;q=0.5", False),
        ("text/html;q=0.9, application/json;q=0.8", True),
        ("text/html;q=0", False),
        ("text/html;q=bogus", False),
    ],
)
def test_wants_html_follows_accept_preferences(accept: str, html: bool) -> None:
    assert wants_html(build_request(headers={"accept": accept} if accept else {})) is html


def test_the_public_wants_html_is_the_one_sessions_and_csrf_use() -> None:
    from gatepass import _http

    # Sessions and CSRF call gatepass._http.wants_html too; their tests check the
    # same Accept rule through real requests.
    assert wants_html is _http.wants_html


def test_wants_html_from_the_authenticator_still_works_with_a_deprecation_warning() -> None:
    import gatepass.authenticator

    with pytest.warns(DeprecationWarning, match=r"gatepass\.integrations\.wants_html"):
        old = gatepass.authenticator.wants_html
    assert old is wants_html


def test_set_user_grants_token_scopes_then_the_users_own_scopes() -> None:
    plain = build_request()
    Authenticator().set_user(
        plain, {"id": "u1"}, scopes=(s for s in ["read", "write"]), claims={"sub": "u1"}
    )
    assert plain.auth.scopes == ["authenticated", "read", "write"]
    assert (dict(plain.auth.claims), plain.user.identity) == ({"sub": "u1"}, "u1")
    with_roles = build_request()
    Authenticator(user_scopes=lambda user: ["admin", "read"]).set_user(
        with_roles, {"id": "u1"}, scopes=["read"], strategy="jwt"
    )
    assert with_roles.auth.scopes == ["authenticated", "read", "admin"]
    assert with_roles.auth.strategy == "jwt"
    nobody = build_request()
    Authenticator(user_scopes=lambda user: ["admin"]).set_user(nobody, None, scopes=["read"])
    assert nobody.auth.scopes == ["read"]
    assert not nobody.user.is_authenticated


async def test_attempt_with_an_unknown_strategy_name_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="Unknown strategy 'nope'"):
        await Authenticator().attempt(build_request(), ["nope"])
