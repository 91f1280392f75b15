"""``TOTPFactor``: setup, confirmation, replay refusal, recovery codes, throttle, disable."""

from __future__ import annotations

import pytest

from gatepass.errors import InvalidMFACodeError, MFAStateError, RateLimitedError
from gatepass.mfa import RECOVERY_CODE_COUNT, TOTPFactor, code_at
from mfa.conftest import Clock

USER = "user-1"


def _wrong(code: str) -> str:
    """A six-digit code that is not ``code``."""
    return f"{(int(code) + 1) % 10**6:06d}"


async def _enrol(factor: TOTPFactor, clock: Clock) -> tuple[str, list[str]]:
    setup = await factor.begin(USER, account="ada@example.com")
    codes = await factor.confirm(USER, code_at(setup.secret, clock.now))
    clock.now += 30  # the confirming step is used; the next login is a step later
    return setup.secret, codes


async def test_setup_is_off_until_a_first_code_confirms_it(
    factor: TOTPFactor, clock: Clock
) -> None:
    setup = await factor.begin(USER, account="ada@example.com")
    assert setup.otpauth_uri.startswith("otpauth://totp/Example:")
    assert not await factor.enabled(USER)
    with pytest.raises(InvalidMFACodeError):
        await factor.confirm(USER, _wrong(code_at(setup.secret, clock.now)))
    codes = await factor.confirm(USER, code_at(setup.secret, clock.now))
    assert await factor.enabled(USER)
    assert len(codes) == RECOVERY_CODE_COUNT == len(set(codes))


async def test_the_secret_is_stored_encrypted(factor: TOTPFactor) -> None:
    setup = await factor.begin(USER, account="ada@example.com")
    record = await factor.store.get_totp(USER)
    assert record is not None
    assert setup.secret not in record.secret


async def test_setup_while_on_is_refused(factor: TOTPFactor, clock: Clock) -> None:
    await _enrol(factor, clock)
    with pytest.raises(MFAStateError):
        await factor.begin(USER, account="ada@example.com")


async def test_a_code_is_accepted_once_and_its_replay_in_the_window_refused(
    factor: TOTPFactor, clock: Clock
) -> None:
    secret, _ = await _enrol(factor, clock)
    code = code_at(secret, clock.now)
    assert await factor.verify(USER, code) == "totp"
    clock.now += 20  # still inside the ±1 step window of that code
    with pytest.raises(InvalidMFACodeError):
        await factor.verify(USER, code)


async def test_an_older_step_is_refused_after_a_newer_one(factor: TOTPFactor, clock: Clock) -> None:
    secret, _ = await _enrol(factor, clock)
    assert await factor.verify(USER, code_at(secret, clock.now + 30)) == "totp"
    with pytest.raises(InvalidMFACodeError):
        await factor.verify(USER, code_at(secret, clock.now))


async def test_the_confirming_code_cannot_log_in(factor: TOTPFactor, clock: Clock) -> None:
    setup = await factor.begin(USER, account="ada@example.com")
    code = code_at(setup.secret, clock.now)
    await factor.confirm(USER, code)
    with pytest.raises(InvalidMFACodeError):
        await factor.verify(USER, code)


async def test_a_code_outside_the_window_is_refused(factor: TOTPFactor, clock: Clock) -> None:
    secret, _ = await _enrol(factor, clock)
    with pytest.raises(InvalidMFACodeError):
        await factor.verify(USER, code_at(secret, clock.now + 90))


async def test_a_recovery_code_works_once_in_any_typed_form(
    factor: TOTPFactor, clock: Clock
) -> None:
    _, codes = await _enrol(factor, clock)
    assert await factor.verify(USER, f"  {codes[0].upper()} ") == "recovery_code"
    with pytest.raises(InvalidMFACodeError):
        await factor.verify(USER, codes[0])
    assert await factor.verify(USER, codes[1].replace("-", "")) == "recovery_code"
    assert await factor.recovery_codes_left(USER) == RECOVERY_CODE_COUNT - 2


async def test_verify_without_a_factor_is_refused(factor: TOTPFactor) -> None:
    with pytest.raises(InvalidMFACodeError):
        await factor.verify(USER, "123456")


async def test_attempts_are_throttled_per_account(factor: TOTPFactor, clock: Clock) -> None:
    secret, _ = await _enrol(factor, clock)
    wrong = _wrong(code_at(secret, clock.now))
    for _ in range(5):
        with pytest.raises(InvalidMFACodeError):
            await factor.verify(USER, wrong)
    with pytest.raises(RateLimitedError):
        await factor.verify(USER, code_at(secret, clock.now))
    with pytest.raises(InvalidMFACodeError):
        await factor.verify("someone-else", "123456")  # another account is not blocked


async def test_disable_needs_a_code_and_removes_everything(
    factor: TOTPFactor, clock: Clock
) -> None:
    secret, codes = await _enrol(factor, clock)
    with pytest.raises(InvalidMFACodeError):
        await factor.disable(USER, "abcde-fghij")
    await factor.disable(USER, code_at(secret, clock.now))
    assert not await factor.enabled(USER)
    with pytest.raises(InvalidMFACodeError):
        await factor.verify(USER, codes[2])
    with pytest.raises(MFAStateError):
        await factor.disable(USER, code_at(secret, clock.now + 30))
