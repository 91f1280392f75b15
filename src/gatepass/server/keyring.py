"""The server's signing keys: a private JWKS file in the data folder, rotation, retirement.

The file (``keys.json``, mode 0600) holds every key still trusted, its private part
included, the ``kid`` that signs, and for each key when it was made, when it starts
signing and when it retires. Every server process on the machine reads the same file;
a rotation by ``gatepass keys rotate`` is written atomically under a lock and picked up
by running processes on their next request.

A new key is published in the JWKS first and signs only once every relying party's
cached copy of the JWKS has expired (``PUBLISH_AHEAD``), so no service ever sees a
token whose ``kid`` it cannot know yet; the replaced key keeps verifying until its
last token could have expired, then retires (RFC 7517 §5; NIST SP 800-57 Pt. 1 §5.3).
``rotate(publish_ahead=timedelta(0))`` (``keys rotate --now``) is for emergencies.

An operator may bring their own key instead (``GATEPASS_SIGNING_KEY_FILE``) or run a
single service on a shared HMAC secret (``GATEPASS_JWT_SECRET``); such keys are
managed outside gatepass and cannot be rotated here.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

import orjson

from gatepass.errors import ConfigurationError
from gatepass.server.datadir import data_dir_lock, write_private
from gatepass.tokens import Key, KeySet
from gatepass.tokens.algorithms import Algorithm

KEYS_FILE = "keys.json"
DEFAULT_ALGORITHM: Algorithm = "ES256"
# Tokens may be checked a little after they expire by a verifier with clock skew.
RETIRE_MARGIN = timedelta(minutes=1)
# How long the JWKS may be cached by relying parties (its Cache-Control max-age).
JWKS_MAX_AGE = timedelta(minutes=5)
# A new key signs only after every cached JWKS has been refetched: the max-age, plus a
# relying party's unknown-kid refetch cooldown (30 s in RemoteKeySet), plus skew.
PUBLISH_AHEAD = JWKS_MAX_AGE + timedelta(seconds=60)
Source = Literal["data-dir", "key-file", "secret"]


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """What ``gatepass keys list`` shows about one key."""

    kid: str
    algorithm: str
    created_at: int
    retire_at: int | None
    current: bool
    activate_at: int | None = None


def _stamp(path: Path) -> tuple[int, int]:
    # Every write replaces the file, so its inode changes even within one mtime tick.
    info = path.stat()
    return info.st_ino, info.st_mtime_ns


class Keyring:
    """The key set the server signs and verifies with, and where it comes from.

    Args:
        keyset: the keys; mutated in place on reload so verifiers see changes.
        source: ``data-dir`` (rotatable), ``key-file`` or ``secret``.
        data_dir: the data folder (for ``data-dir``).
        retire_after: how long a replaced key keeps verifying (the access-token TTL).
        clock: epoch seconds.
    """

    def __init__(
        self,
        keyset: KeySet,
        *,
        source: Source,
        data_dir: Path,
        retire_after: timedelta,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.keyset = keyset
        self.source = source
        self.path = data_dir / KEYS_FILE
        self.data_dir = data_dir
        self.retire_after = retire_after + RETIRE_MARGIN
        self._clock = clock
        self._meta: dict[str, dict[str, int | None]] = {}
        self._stamp: tuple[int, int] | None = None

    @classmethod
    def open(
        cls,
        *,
        data_dir: Path,
        retire_after: timedelta,
        signing_key_file: Path | None = None,
        jwt_secret: str | None = None,
        algorithm: Algorithm | None = None,
        clock: Callable[[], float] = time.time,
    ) -> Keyring:
        """Load the keys the settings name, generating the data-folder key on first start.

        Args:
            data_dir: the data folder.
            retire_after: how long a replaced key keeps verifying.
            signing_key_file: a PEM private key brought by the operator.
            jwt_secret: an HMAC secret (HS256 unless ``algorithm`` says otherwise).
            algorithm: the JWT algorithm; default from the key, or ES256.
            clock: epoch seconds.

        Returns:
            The keyring.

        Raises:
            ConfigurationError: the key file or secret is not usable.
        """
        if jwt_secret is not None:
            key = Key.from_secret(jwt_secret, algorithm=algorithm or "HS256", kid="secret")
            return cls(
                KeySet([key]),
                source="secret",
                data_dir=data_dir,
                retire_after=retire_after,
                clock=clock,
            )
        if signing_key_file is not None:
            key = Key.from_pem(signing_key_file.read_bytes(), algorithm=algorithm)
            if not key.can_sign:
                raise ConfigurationError(
                    f"GATEPASS_SIGNING_KEY_FILE {signing_key_file} holds a public key; "
                    "the server needs the private key to sign."
                )
            return cls(
                KeySet([key]),
                source="key-file",
                data_dir=data_dir,
                retire_after=retire_after,
                clock=clock,
            )
        keyring = cls(
            KeySet(), source="data-dir", data_dir=data_dir, retire_after=retire_after, clock=clock
        )
        with data_dir_lock(data_dir):
            if not keyring.path.exists():
                key = Key.generate(algorithm or DEFAULT_ALGORITHM)
                now = math.floor(clock())
                keyring._meta = {key.kid: {"created_at": now, "retire_at": None}}
                keyring.keyset.add(key)
                keyring._write()
            keyring._load()
        return keyring

    @property
    def rotatable(self) -> bool:
        """Whether the keys live in the data folder (and so can be rotated here)."""
        return self.source == "data-dir"

    def refresh(self) -> None:
        """Pick up a rotation made by another process; retire keys whose time is over.

        Cheap: one ``stat`` of the key file; it is read again only when it changed.
        """
        if not self.rotatable:
            return
        now = self._clock()
        try:
            stamp = _stamp(self.path)
        except FileNotFoundError:
            return
        if stamp != self._stamp:
            self._load()
        self._activate_due(now)
        self._retire_due(now)

    def rotate(
        self, *, algorithm: Algorithm | None = None, publish_ahead: timedelta = PUBLISH_AHEAD
    ) -> Key:
        """Publish a new signing key; it signs after ``publish_ahead``, old keys then retire.

        Args:
            algorithm: the new key's algorithm; default the current one's.
            publish_ahead: how long the key is only published before it signs
                (``timedelta(0)``: sign with it at once, for a compromised key).

        Returns:
            The new key.

        Raises:
            ConfigurationError: the keys are managed outside the data folder.
        """
        if not self.rotatable:
            raise ConfigurationError(
                "The signing key comes from GATEPASS_SIGNING_KEY_FILE or GATEPASS_JWT_SECRET; "
                "rotate it where it is managed."
            )
        with data_dir_lock(self.data_dir):
            self._load()
            now = math.floor(self._clock())
            activate_at = now + math.ceil(publish_ahead.total_seconds())
            old = self.keyset.current
            key = Key.generate(algorithm or old.algorithm)
            for meta in self._meta.values():
                if meta.get("retire_at") is None:
                    meta["retire_at"] = activate_at + math.ceil(self.retire_after.total_seconds())
            self._meta[key.kid] = {"created_at": now, "retire_at": None, "activate_at": activate_at}
            self.keyset.add(key)
            self._activate_due(now)
            self._write()
            self._stamp = _stamp(self.path)
        return key

    def describe(self) -> list[KeyInfo]:
        """Every trusted key, signer last.

        Returns:
            One :class:`KeyInfo` per key.
        """
        current = self.keyset.current.kid
        infos = []
        for key in self.keyset:
            meta = self._meta.get(key.kid, {})
            infos.append(
                KeyInfo(
                    key.kid,
                    key.algorithm,
                    int(meta.get("created_at") or 0),
                    meta.get("retire_at"),
                    key.kid == current,
                    meta.get("activate_at"),
                )
            )
        return infos

    def _activate_due(self, now: float) -> None:
        # The newest key whose publication period is over signs (keys written before
        # publication periods existed signed from their creation).
        newest: tuple[int, str] | None = None
        for kid, meta in self._meta.items():  # oldest first: a later key wins a tie
            starts = meta.get("activate_at", meta.get("created_at")) or 0
            if kid in self.keyset and starts <= now and (newest is None or starts >= newest[0]):
                newest = (starts, kid)
        if newest is not None and newest[1] != self.keyset.current.kid:
            self.keyset.use(newest[1])

    def _retire_due(self, now: float) -> None:
        for kid, meta in list(self._meta.items()):
            retire_at = meta.get("retire_at")
            due = retire_at is not None and retire_at <= now
            if due and kid in self.keyset and kid != self.keyset.current.kid:
                self.keyset.retire(kid)

    def _load(self) -> None:
        raw: dict[str, Any] = orjson.loads(self.path.read_bytes())
        self._stamp = _stamp(self.path)
        now = self._clock()
        meta: dict[str, dict[str, int | None]] = raw.get("meta", {})
        wanted: dict[str, Key] = {}
        for jwk in raw.get("keys", []):
            info = meta.get(str(jwk.get("kid")), {})
            retire_at = info.get("retire_at")
            if retire_at is not None and retire_at <= now and jwk.get("kid") != raw["current"]:
                continue
            key = Key.from_jwk(jwk)
            wanted[key.kid] = key
        for kid, key in wanted.items():
            if kid not in self.keyset:
                self.keyset.add(key)
        self.keyset.use(raw["current"])
        self._meta = {kid: meta.get(kid, {"created_at": 0, "retire_at": None}) for kid in wanted}
        self._activate_due(now)
        for key in list(self.keyset):
            if key.kid not in wanted:
                self.keyset.retire(key.kid)

    def _write(self) -> None:
        document = {
            "keys": [key.private_jwk() for key in self.keyset if key.kid in self._meta],
            "current": self.keyset.current.kid,
            "meta": self._meta,
        }
        write_private(self.path, orjson.dumps(document, option=orjson.OPT_INDENT_2))
