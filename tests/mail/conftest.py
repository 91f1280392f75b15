"""Fixtures of the mail tests: one-time token stores on every backend."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gatepass.mail import OneTimeStore
from onetime_helpers import STORE_KINDS, open_one_time_store
from tokens.stores.helpers import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=STORE_KINDS)
async def store(
    request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[OneTimeStore]:
    """Each contract test runs once per backend."""
    async with open_one_time_store(request, tmp_path, clock) as opened:
        yield opened
