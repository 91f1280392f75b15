"""Cookie flags: HttpOnly and SameSite always; Secure and __Host- outside local development."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gatepass.sessions import CookiePolicy, MemorySessionStore
from gatepass.sessions.cookies import InsecureCookieWarning
from gatepass.sessions.signing import CookieSigner
from sessions.session_helpers import KEY, client_for, session_app


def _attributes(header: str) -> list[str]:
    return [part.strip() for part in header.split(";")]


async def test_local_development_cookie_is_httponly_lax_and_not_secure(
    memory_store: MemorySessionStore,
) -> None:
    async with client_for(session_app(memory_store), "http://localhost:8000") as client:
        response = await client.post("/set", params={"a": "1"})
    name_value, *flags = _attributes(response.headers["set-cookie"])
    assert name_value.startswith("gatepass_session=")
    assert sorted(flags) == ["HttpOnly", "Path=/", "SameSite=Lax"]
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("base_url", ["https://app.example", "http://app.example"])
async def test_other_hosts_get_a_secure_host_prefixed_cookie(
    memory_store: MemorySessionStore, base_url: str
) -> None:
    async with client_for(session_app(memory_store), base_url) as client:
        if base_url.startswith("https:"):
            response = await client.post("/set", params={"a": "1"})
        else:
            with pytest.warns(InsecureCookieWarning, match="secure=False"):
                response = await client.post("/set", params={"a": "1"})
    name_value, *flags = _attributes(response.headers["set-cookie"])
    assert name_value.startswith("__Host-gatepass_session=")
    assert sorted(flags) == ["HttpOnly", "Path=/", "SameSite=Lax", "Secure"]
    assert not any(flag.startswith("Domain=") for flag in flags)


async def test_secure_session_round_trips_over_https(memory_store: MemorySessionStore) -> None:
    async with client_for(session_app(memory_store), "https://app.example") as client:
        await client.post("/set", params={"a": "1"})
        assert (await client.get("/show")).json()["data"] == {"a": "1"}


async def test_unprefixed_cookie_is_ignored_when_the_secure_name_is_expected(
    memory_store: MemorySessionStore,
) -> None:
    # A sibling subdomain over http could plant "gatepass_session"; only the
    # __Host- cookie counts on a secure site (RFC 6265bis §4.1.3.2).
    async with client_for(session_app(memory_store), "http://localhost") as dev:
        await dev.post("/set", params={"planted": "yes"})
        planted = dev.cookies["gatepass_session"]
    async with client_for(session_app(memory_store), "https://app.example") as client:
        response = await client.get("/show", headers={"cookie": f"gatepass_session={planted}"})
    assert response.json()["data"] == {}


async def test_explicit_secure_false_overrides_the_automatic_rule(
    memory_store: MemorySessionStore,
) -> None:
    app = session_app(memory_store, secure=False)
    async with client_for(app, "http://app.internal") as client:
        response = await client.post("/set", params={"a": "1"})
    assert "Secure" not in _attributes(response.headers["set-cookie"])
    assert response.headers["set-cookie"].startswith("gatepass_session=")


async def test_explicit_secure_true_applies_even_on_localhost(
    memory_store: MemorySessionStore,
) -> None:
    app = session_app(memory_store, secure=True, same_site="strict")
    async with client_for(app, "http://localhost") as client:
        response = await client.post("/set", params={"a": "1"})
    attributes = _attributes(response.headers["set-cookie"])
    assert attributes[0].startswith("__Host-gatepass_session=")
    assert "Secure" in attributes
    assert "SameSite=Strict" in attributes


async def test_a_domain_cookie_uses_the_secure_prefix_instead_of_host(
    memory_store: MemorySessionStore,
) -> None:
    app = session_app(memory_store, domain="example.com")
    async with client_for(app, "https://app.example.com") as client:
        response = await client.post("/set", params={"a": "1"})
    attributes = _attributes(response.headers["set-cookie"])
    assert attributes[0].startswith("__Secure-gatepass_session=")
    assert "Domain=example.com" in attributes


def test_same_site_none_always_carries_secure() -> None:
    header = CookiePolicy(secure=False, same_site="none").header("v", secure=False, max_age=None)
    assert "Secure" in _attributes(header)


@pytest.mark.parametrize(
    ("host", "secure"),
    [("localhost", False), ("127.0.0.1:8000", False), ("[::1]:8000", False), ("a.b", True)],
)
def test_automatic_secure_rule_treats_only_local_http_as_development(
    host: str, secure: bool
) -> None:
    scope = {"type": "http", "scheme": "http", "headers": [(b"host", host.encode())]}
    assert CookiePolicy().is_secure(scope) is secure


def test_signer_verifies_with_every_listed_key_and_signs_with_the_last() -> None:
    old, new = "o" * 32, KEY
    rotated = CookieSigner([old, new])
    assert CookieSigner([new]).unsign(rotated.sign("id")) == "id"
    assert rotated.unsign(CookieSigner([old]).sign("id")) == "id"
    assert CookieSigner([old]).unsign(rotated.sign("id")) is None


def test_signature_is_bound_to_the_session_purpose() -> None:
    other_purpose = CookieSigner([KEY], salt="gatepass.csrf").sign("id")
    assert CookieSigner([KEY]).unsign(other_purpose) is None


@given(st.text(alphabet=string.ascii_letters + string.digits + "-_", min_size=1, max_size=64))
def test_signed_ids_round_trip_and_any_changed_signature_is_refused(session_id: str) -> None:
    signer = CookieSigner([KEY])
    cookie = signer.sign(session_id)
    assert signer.unsign(cookie) == session_id
    flipped = cookie[:-1] + ("A" if cookie[-1] != "A" else "B")
    assert signer.unsign(flipped) is None
    assert signer.unsign(f"{session_id}x{cookie[len(session_id) :]}") is None
