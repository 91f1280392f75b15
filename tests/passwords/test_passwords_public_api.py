"""``gatepass.passwords`` re-exports its public nouns."""

from __future__ import annotations

import gatepass.passwords


def test_all_lists_importable_public_names() -> None:
    assert sorted(gatepass.passwords.__all__) == sorted(
        [
            "OWASP_MINIMUM",
            "RFC9106_LOW_MEMORY",
            "Argon2Parameters",
            "PasswordHasher",
            "PasswordPolicy",
            "load_common_passwords",
            "verify_credentials",
        ]
    )
    for name in gatepass.passwords.__all__:
        assert getattr(gatepass.passwords, name) is not None
