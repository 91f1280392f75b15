"""The ``User`` record is frozen and Starlette-shaped."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from datetime import UTC, datetime

import pytest

from gatepass.users import User


def test_user_is_frozen_and_works_as_a_starlette_user() -> None:
    user = User(
        id="u1",
        email="ann@example.com",
        password_hash=None,
        is_active=True,
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    assert user.is_authenticated is True
    assert user.identity == "u1"
    assert user.display_name is None
    assert user.has_password is False
    with pytest.raises(FrozenInstanceError):
        user.email = "other@example.com"  # type: ignore[misc]
