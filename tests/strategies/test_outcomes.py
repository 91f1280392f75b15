"""Outcomes are frozen values with Passport's five meanings."""

from __future__ import annotations

import dataclasses

import pytest

from gatepass.strategies import PASS, Error, Fail, Pass, Redirect, Success


def test_outcomes_are_frozen() -> None:
    for outcome in (Success("u"), Fail(), Redirect("/x"), PASS, Error(RuntimeError())):
        fields = dataclasses.fields(outcome)
        if fields:
            with pytest.raises(dataclasses.FrozenInstanceError):
                setattr(outcome, fields[0].name, None)


def test_fail_defaults_and_missing_credentials() -> None:
    assert Fail() == Fail(challenge=None, status=401, message=None, code="invalid_credentials")
    missing = Fail.missing("No password.")
    assert (missing.status, missing.code, missing.message) == (
        400,
        "missing_credentials",
        "No password.",
    )
    assert missing.is_missing_credentials
    assert not Fail().is_missing_credentials


def test_pass_sentinel_is_a_pass() -> None:
    assert isinstance(PASS, Pass)
    assert Pass() == PASS
