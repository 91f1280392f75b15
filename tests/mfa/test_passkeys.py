"""Passkey ceremonies with a software authenticator: real keys, real CBOR, real checks."""

from __future__ import annotations

from typing import Any

import pytest

from gatepass.errors import PasskeyError
from gatepass.mfa import MemoryPasskeyStore, PasskeyCeremonies
from mfa.soft_authenticator import SoftAuthenticator, b64

ORIGIN = "https://auth.example.com"
RP_ID = "auth.example.com"


@pytest.fixture
def ceremonies() -> PasskeyCeremonies:
    """Ceremonies for auth.example.com over a memory store."""
    return PasskeyCeremonies(MemoryPasskeyStore(), rp_id=RP_ID, rp_name="Example", origin=ORIGIN)


@pytest.fixture
def device() -> SoftAuthenticator:
    """An honest authenticator on the right origin."""
    return SoftAuthenticator(ORIGIN, RP_ID)


async def _register(ceremonies: PasskeyCeremonies, device: SoftAuthenticator) -> bytes:
    options = await ceremonies.registration_options(user_id="u1", user_name="ada@example.com")
    passkey = await ceremonies.register(
        user_id="u1", response=device.create(options.json), challenge=options.challenge
    )
    return passkey.credential_id


async def test_a_registered_passkey_is_stored_with_its_facts(
    ceremonies: PasskeyCeremonies, device: SoftAuthenticator
) -> None:
    credential_id = await _register(ceremonies, device)
    (passkey,) = await ceremonies.store.list_passkeys("u1")
    assert passkey.credential_id == credential_id
    assert passkey.transports == ("internal",)
    assert passkey.aaguid == "00000000-0000-0000-0000-000000000000"
    assert passkey.sign_count == 0


async def test_registration_options_ask_for_a_discoverable_verified_credential(
    ceremonies: PasskeyCeremonies, device: SoftAuthenticator
) -> None:
    await _register(ceremonies, device)
    options = await ceremonies.registration_options(user_id="u1", user_name="ada@example.com")
    assert '"residentKey":"required"' in options.json.replace(" ", "")
    assert '"userVerification":"required"' in options.json.replace(" ", "")
    # The passkey already registered is excluded.
    assert b64(next(iter(device.credentials))) in options.json


async def test_a_discoverable_sign_in_names_its_user_and_moves_the_count(
    ceremonies: PasskeyCeremonies, device: SoftAuthenticator
) -> None:
    await _register(ceremonies, device)
    for expected in (1, 2):
        options = await ceremonies.authentication_options()
        passkey = await ceremonies.authenticate(
            response=device.get(options.json), challenge=options.challenge
        )
        assert (passkey.user_id, passkey.sign_count) == ("u1", expected)


@pytest.mark.parametrize(
    "lie",
    [
        {"origin": "https://evil.example.net"},
        {"rp_id": "evil.example.net"},
        {"other_challenge": b64(b"x" * 32)},
        {"tamper_after_signing": True},
    ],
    ids=["wrong-origin", "wrong-rp-id", "other-challenge", "tampered-client-data"],
)
async def test_a_lying_assertion_is_refused(
    ceremonies: PasskeyCeremonies, device: SoftAuthenticator, lie: dict[str, Any]
) -> None:
    await _register(ceremonies, device)
    options = await ceremonies.authentication_options()
    with pytest.raises(PasskeyError):
        await ceremonies.authenticate(
            response=device.get(options.json, **lie), challenge=options.challenge
        )


@pytest.mark.parametrize(
    "lie",
    [{"origin": "https://evil.example.net"}, {"rp_id": "evil.example.net"}],
    ids=["wrong-origin", "wrong-rp-id"],
)
async def test_a_lying_registration_is_refused(
    ceremonies: PasskeyCeremonies, device: SoftAuthenticator, lie: dict[str, Any]
) -> None:
    options = await ceremonies.registration_options(user_id="u1", user_name="ada@example.com")
    with pytest.raises(PasskeyError):
        await ceremonies.register(
            user_id="u1", response=device.create(options.json, **lie), challenge=options.challenge
        )
    assert await ceremonies.store.list_passkeys("u1") == []


async def test_a_counter_that_does_not_grow_is_refused(
    ceremonies: PasskeyCeremonies, device: SoftAuthenticator
) -> None:
    await _register(ceremonies, device)
    options = await ceremonies.authentication_options()
    await ceremonies.authenticate(response=device.get(options.json), challenge=options.challenge)
    options = await ceremonies.authentication_options()
    with pytest.raises(PasskeyError):
        await ceremonies.authenticate(
            response=device.get(options.json, stale_counter=True), challenge=options.challenge
        )


async def test_as_a_second_factor_only_that_users_passkeys_count(
    ceremonies: PasskeyCeremonies, device: SoftAuthenticator
) -> None:
    await _register(ceremonies, device)
    options = await ceremonies.authentication_options(user_id="u2")
    assert b64(next(iter(device.credentials))) not in options.json
    with pytest.raises(PasskeyError):
        await ceremonies.authenticate(
            response=device.get(options.json), challenge=options.challenge, user_id="u2"
        )


async def test_a_removed_passkey_no_longer_signs_in(
    ceremonies: PasskeyCeremonies, device: SoftAuthenticator
) -> None:
    credential_id = await _register(ceremonies, device)
    assert not await ceremonies.store.remove_passkey("u2", credential_id)
    assert await ceremonies.store.remove_passkey("u1", credential_id)
    options = await ceremonies.authentication_options()
    with pytest.raises(PasskeyError):
        await ceremonies.authenticate(
            response=device.get(options.json), challenge=options.challenge
        )


async def test_registering_the_same_credential_twice_is_refused(
    ceremonies: PasskeyCeremonies, device: SoftAuthenticator
) -> None:
    options = await ceremonies.registration_options(user_id="u1", user_name="ada@example.com")
    response = device.create(options.json)
    await ceremonies.register(user_id="u1", response=response, challenge=options.challenge)
    with pytest.raises(PasskeyError):
        await ceremonies.register(user_id="u1", response=response, challenge=options.challenge)


async def test_garbage_is_a_passkey_error(ceremonies: PasskeyCeremonies) -> None:
    for junk in ("not json", "[]", {"rawId": "!!"}, {"id": "AAAA", "response": {}}):
        with pytest.raises(PasskeyError):
            await ceremonies.authenticate(response=junk, challenge=b"c" * 32)
