"""``authenticate()``'s keywords: one typed list, the same as the options' fields."""

from __future__ import annotations

import dataclasses

import pytest

from gatepass.authenticator import AuthenticateKeywords, AuthenticateOptions, Authenticator


def test_the_authenticate_keywords_are_the_options_fields() -> None:
    fields = {f.name for f in dataclasses.fields(AuthenticateOptions)} - {"names"}
    assert set(AuthenticateKeywords.__annotations__) == fields


def test_keyword_calls_build_the_same_options_as_before(auth: Authenticator) -> None:
    handler = auth.authenticate(
        "local", failure_redirect="/login", failure_flash=True, session=False, scope="admin"
    )
    assert handler.__name__ == "authenticate_local"


def test_an_unknown_authenticate_keyword_is_a_type_error(auth: Authenticator) -> None:
    with pytest.raises(TypeError, match="succes_redirect"):
        auth.authenticate("local", succes_redirect="/")  # type: ignore[call-overload]
