"""A software WebAuthn authenticator for tests: real P-256 keys, real CBOR, real signatures.

It answers the options ``PasskeyCeremonies`` makes the way a platform authenticator
with user verification does (attestation ``none``), and can be told to lie (another
origin or RP ID, tampered client data, a counter that does not grow).
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
from base64 import urlsafe_b64decode, urlsafe_b64encode
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

UP, UV, BE, BS, AT = 0x01, 0x04, 0x08, 0x10, 0x40


def b64(data: bytes) -> str:
    """base64url without padding, as WebAuthn JSON writes bytes."""
    return urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    """The bytes of base64url text."""
    return urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SoftAuthenticator:
    """One authenticator holding discoverable credentials.

    Args:
        origin: the origin the "browser" reports.
        rp_id: the RP ID it hashes into the authenticator data.
    """

    def __init__(self, origin: str, rp_id: str) -> None:
        self.origin = origin
        self.rp_id = rp_id
        self.counter = 0
        self.credentials: dict[bytes, tuple[ec.EllipticCurvePrivateKey, bytes]] = {}

    def create(self, options_json: str, **lies: Any) -> dict[str, Any]:
        """Answer ``navigator.credentials.create()`` options with a new credential."""
        options = json.loads(options_json)
        key = ec.generate_private_key(ec.SECP256R1())
        credential_id = os.urandom(16)
        user_handle = unb64(options["user"]["id"])
        self.credentials[credential_id] = (key, user_handle)
        numbers = key.public_key().public_numbers()
        cose = cbor2.dumps(
            {
                1: 2,
                3: -7,
                -1: 1,
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )
        attested = bytes(16) + struct.pack(">H", len(credential_id)) + credential_id + cose
        auth_data = self._auth_data(UP | UV | AT, **lies) + attested
        client_data = self._client_data("webauthn.create", options["challenge"], **lies)
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {
            "id": b64(credential_id),
            "rawId": b64(credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64(client_data),
                "attestationObject": b64(attestation),
                "transports": ["internal"],
            },
            "clientExtensionResults": {},
        }

    def get(
        self, options_json: str, credential_id: bytes | None = None, **lies: Any
    ) -> dict[str, Any]:
        """Answer ``navigator.credentials.get()`` options with a signed assertion."""
        options = json.loads(options_json)
        if credential_id is None:
            credential_id = next(iter(self.credentials))
        key, user_handle = self.credentials[credential_id]
        if not lies.get("stale_counter"):
            self.counter += 1
        auth_data = self._auth_data(UP | UV, **lies)
        client_data = self._client_data("webauthn.get", options["challenge"], **lies)
        signature = key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        if lies.get("tamper_after_signing"):
            client_data = client_data.replace(b'"webauthn.get"', b'"webauthn.get" ')
        return {
            "id": b64(credential_id),
            "rawId": b64(credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64(client_data),
                "authenticatorData": b64(auth_data),
                "signature": b64(signature),
                "userHandle": b64(user_handle),
            },
            "clientExtensionResults": {},
        }

    def _auth_data(self, flags: int, **lies: Any) -> bytes:
        rp_id = str(lies.get("rp_id", self.rp_id))
        return (
            hashlib.sha256(rp_id.encode()).digest()
            + bytes([flags])
            + struct.pack(">I", self.counter)
        )

    def _client_data(self, kind: str, challenge: str, **lies: Any) -> bytes:
        body = {
            "type": kind,
            "challenge": str(lies.get("other_challenge", challenge)),
            "origin": str(lies.get("origin", self.origin)),
            "crossOrigin": False,
        }
        return json.dumps(body, separators=(",", ":")).encode()
