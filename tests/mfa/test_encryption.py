"""Secrets at rest: AES-GCM, bound to the user, keys rotated by id."""

from __future__ import annotations

import base64
import os

import pytest

from gatepass.errors import ConfigurationError
from gatepass.mfa import SecretBox, parse_keys


def test_a_secret_round_trips_and_is_not_stored_in_clear() -> None:
    box = SecretBox([("k1", os.urandom(32))])
    stored = box.encrypt("JBSWY3DPEHPK3PXP", user_id="u1")
    assert stored.startswith("k1:")
    assert "JBSWY3DPEHPK3PXP" not in stored
    assert box.decrypt(stored, user_id="u1") == "JBSWY3DPEHPK3PXP"
    assert box.encrypt("JBSWY3DPEHPK3PXP", user_id="u1") != stored  # fresh nonce


def test_a_secret_copied_to_another_user_does_not_decrypt() -> None:
    box = SecretBox([("k1", os.urandom(32))])
    stored = box.encrypt("JBSWY3DPEHPK3PXP", user_id="u1")
    with pytest.raises(ConfigurationError):
        box.decrypt(stored, user_id="u2")


def test_a_tampered_secret_does_not_decrypt() -> None:
    box = SecretBox([("k1", os.urandom(32))])
    kid, _, body = box.encrypt("JBSWY3DPEHPK3PXP", user_id="u1").partition(":")
    raw = bytearray(base64.urlsafe_b64decode(body))
    raw[-1] ^= 1
    with pytest.raises(ConfigurationError):
        box.decrypt(f"{kid}:{base64.urlsafe_b64encode(bytes(raw)).decode()}", user_id="u1")


def test_after_rotation_old_secrets_decrypt_and_new_ones_use_the_new_key() -> None:
    old, new = os.urandom(32), os.urandom(32)
    stored = SecretBox([("k1", old)]).encrypt("SECRET", user_id="u1")
    rotated = SecretBox([("k2", new), ("k1", old)])
    assert rotated.decrypt(stored, user_id="u1") == "SECRET"
    assert rotated.needs_rotation(stored)
    assert rotated.encrypt("SECRET", user_id="u1").startswith("k2:")


def test_a_secret_under_an_unknown_key_id_says_so() -> None:
    stored = SecretBox([("k1", os.urandom(32))]).encrypt("SECRET", user_id="u1")
    with pytest.raises(ConfigurationError, match="k1"):
        SecretBox([("k2", os.urandom(32))]).decrypt(stored, user_id="u1")


@pytest.mark.parametrize(
    "keys", [[], [("k1", b"short")], [("bad id", os.urandom(32))], [("k", b"x" * 32)] * 2]
)
def test_unusable_keys_fail_at_construction(keys: list[tuple[str, bytes]]) -> None:
    with pytest.raises(ConfigurationError):
        SecretBox(keys)


def test_parse_keys_reads_the_setting_newest_first() -> None:
    a, b = os.urandom(32), os.urandom(32)
    text = f"k2:{base64.urlsafe_b64encode(b).decode()}, k1:{base64.b64encode(a).decode()}"
    assert parse_keys(text) == [("k2", b), ("k1", a)]
    with pytest.raises(ConfigurationError):
        parse_keys("no-colon")
