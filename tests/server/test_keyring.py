"""Signing keys: generated once and kept private, rotated, retired, or brought by the operator."""

from __future__ import annotations

import stat
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from gatepass.errors import ConfigurationError
from gatepass.server.datadir import SECRET_FILE, session_secret
from gatepass.server.keyring import KEYS_FILE, PUBLISH_AHEAD, Keyring

TTL = timedelta(minutes=15)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_first_start_generates_a_private_key_file_with_mode_0600(tmp_path: Path) -> None:
    keyring = Keyring.open(data_dir=tmp_path, retire_after=TTL)
    mode = stat.S_IMODE((tmp_path / KEYS_FILE).stat().st_mode)
    assert mode == 0o600
    assert keyring.keyset.current.can_sign
    assert keyring.keyset.current.algorithm == "ES256"


def test_a_second_start_keeps_the_same_key(tmp_path: Path) -> None:
    first = Keyring.open(data_dir=tmp_path, retire_after=TTL)
    second = Keyring.open(data_dir=tmp_path, retire_after=TTL)
    assert first.keyset.current.kid == second.keyset.current.kid


def test_session_secret_is_made_once_and_kept_private(tmp_path: Path) -> None:
    secret = session_secret(tmp_path)
    assert len(secret) >= 40
    assert session_secret(tmp_path) == secret
    assert stat.S_IMODE((tmp_path / SECRET_FILE).stat().st_mode) == 0o600


def test_rotate_publishes_the_new_key_before_it_signs(tmp_path: Path) -> None:
    clock = Clock()
    keyring = Keyring.open(data_dir=tmp_path, retire_after=TTL, clock=clock)
    old = keyring.keyset.current.kid
    new = keyring.rotate().kid
    # Published at once, so relying parties learn it before any token carries its kid.
    assert {k["kid"] for k in keyring.keyset.to_jwks()["keys"]} == {old, new}
    assert keyring.keyset.current.kid == old
    clock.now += PUBLISH_AHEAD.total_seconds() - 1
    keyring.refresh()
    assert keyring.keyset.current.kid == old
    clock.now += 1
    keyring.refresh()
    assert keyring.keyset.current.kid == new


def test_the_old_key_retires_after_its_last_token_could_have_expired(tmp_path: Path) -> None:
    clock = Clock()
    keyring = Keyring.open(data_dir=tmp_path, retire_after=TTL, clock=clock)
    old = keyring.keyset.current.kid
    new = keyring.rotate().kid
    clock.now += PUBLISH_AHEAD.total_seconds() + TTL.total_seconds()
    keyring.refresh()
    assert keyring.keyset.current.kid == new
    assert old in keyring.keyset  # still inside the margin for clock skew
    clock.now += 120
    keyring.refresh()
    assert old not in keyring.keyset
    assert [k["kid"] for k in keyring.keyset.to_jwks()["keys"]] == [new]


def test_an_emergency_rotation_signs_at_once(tmp_path: Path) -> None:
    clock = Clock()
    keyring = Keyring.open(data_dir=tmp_path, retire_after=TTL, clock=clock)
    old = keyring.keyset.current.kid
    new = keyring.rotate(publish_ahead=timedelta(0)).kid
    assert keyring.keyset.current.kid == new
    clock.now += TTL.total_seconds() + 120
    keyring.refresh()
    assert old not in keyring.keyset


def test_a_running_process_picks_up_a_rotation_made_by_another(tmp_path: Path) -> None:
    clock = Clock()
    server = Keyring.open(data_dir=tmp_path, retire_after=TTL, clock=clock)
    admin = Keyring.open(data_dir=tmp_path, retire_after=TTL, clock=clock)
    old = server.keyset.current.kid
    new = admin.rotate().kid
    clock.now += 2
    server.refresh()
    assert len(server.keyset) == 2
    assert server.keyset.current.kid == old
    clock.now += PUBLISH_AHEAD.total_seconds()
    server.refresh()
    assert server.keyset.current.kid == new


def test_a_pem_key_file_is_used_as_is(tmp_path: Path) -> None:
    private = ec.generate_private_key(ec.SECP384R1())
    pem = tmp_path / "signing.pem"
    pem.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    keyring = Keyring.open(data_dir=tmp_path / "data", retire_after=TTL, signing_key_file=pem)
    assert keyring.keyset.current.algorithm == "ES384"
    assert keyring.source == "key-file"
    with pytest.raises(ConfigurationError, match="rotate it where it is managed"):
        keyring.rotate()


def test_a_public_pem_is_refused_as_signing_key(tmp_path: Path) -> None:
    public = ec.generate_private_key(ec.SECP256R1()).public_key()
    pem = tmp_path / "public.pem"
    pem.write_bytes(
        public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    with pytest.raises(ConfigurationError, match="public key"):
        Keyring.open(data_dir=tmp_path, retire_after=TTL, signing_key_file=pem)


def test_a_jwt_secret_signs_hs256_and_publishes_no_key(tmp_path: Path) -> None:
    keyring = Keyring.open(data_dir=tmp_path, retire_after=TTL, jwt_secret="s" * 40)
    assert keyring.keyset.current.algorithm == "HS256"
    assert keyring.keyset.to_jwks() == {"keys": []}
    assert not (tmp_path / KEYS_FILE).exists()
