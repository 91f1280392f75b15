"""The error tree: codes, statuses and the JSON body clients see."""

from __future__ import annotations

from datetime import UTC, datetime

import gatepass.errors as errors


def _all_error_classes() -> list[type[errors.GatepassError]]:
    return [
        value
        for value in vars(errors).values()
        if isinstance(value, type) and issubclass(value, errors.GatepassError)
    ]


def test_every_error_has_a_unique_machine_code() -> None:
    # A subclass that keeps its parent's code is the same error to clients.
    codes = [cls.code for cls in _all_error_classes() if "code" in vars(cls)]
    assert len(codes) == len(set(codes))


def test_every_error_is_listed_in_the_module_docstring_tree() -> None:
    doc = errors.__doc__ or ""
    missing = [cls.__name__ for cls in _all_error_classes() if cls.__name__ not in doc]
    assert missing == []


def test_to_dict_gives_code_and_message() -> None:
    error = errors.ExpiredTokenError(expired_at=datetime(2026, 1, 1, tzinfo=UTC))
    assert error.to_dict() == {"error": "token_expired", "message": "The token has expired."}
    assert error.status_code == 401
    assert error.expired_at == datetime(2026, 1, 1, tzinfo=UTC)


def test_duration_error_is_also_a_value_error() -> None:
    assert issubclass(errors.DurationError, ValueError)


def test_password_policy_error_message_lists_reasons() -> None:
    error = errors.PasswordPolicyError(reasons=["Too short.", "Too common."])
    assert error.message == "Too short. Too common."
    assert error.reasons == ("Too short.", "Too common.")
