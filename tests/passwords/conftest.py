"""Password fixtures: a real argon2id hasher with small costs where cost is not the point."""

from __future__ import annotations

import pytest

from gatepass.passwords import PasswordHasher
from passwords.password_helpers import FAST


@pytest.fixture(scope="session")
def hasher() -> PasswordHasher:
    """A cheap argon2id hasher (t=1, m=1 MiB, p=1)."""
    return PasswordHasher(FAST)
