"""MFA fixtures: a TOTP factor on memory stores with a clock the test moves."""

from __future__ import annotations

import os

import pytest

from gatepass.mfa import MemoryMFAStore, RecoveryCodes, SecretBox, TOTPFactor
from gatepass.security.ratelimit import memory_storage

T0 = 1_700_000_010.0  # 10 s into a 30-second step


class Clock:
    """Seconds since the epoch, moved by the test."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    """A clock at :data:`T0`."""
    return Clock()


@pytest.fixture
def box() -> SecretBox:
    """A box with one fresh random key."""
    return SecretBox([("k1", os.urandom(32))])


@pytest.fixture
def factor(clock: Clock, box: SecretBox) -> TOTPFactor:
    """TOTP over a memory store, throttled at 5 attempts per minute."""
    return TOTPFactor(
        MemoryMFAStore(),
        box=box,
        recovery=RecoveryCodes(os.urandom(32)),
        issuer="Example",
        limits=memory_storage(),
        rate="5/minute",
        clock=clock,
    )
