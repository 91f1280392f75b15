"""Fixtures for the JWT core tests: one key per algorithm, made once."""

from __future__ import annotations

import pytest

from gatepass.tokens import ALGORITHMS, Key


@pytest.fixture(scope="session")
def keys_by_algorithm() -> dict[str, Key]:
    """A private key for every supported algorithm (RSA generation is slow: once)."""
    return {alg: Key.generate(alg) for alg in sorted(ALGORITHMS)}  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def hs256() -> Key:
    """A fixed HS256 key (secret ``0123456789abcdef`` twice, kid ``hs``)."""
    return Key.from_secret(b"0123456789abcdef0123456789abcdef", kid="hs")
