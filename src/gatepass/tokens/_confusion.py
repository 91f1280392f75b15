"""The key-confusion guard: asymmetric key text never becomes an HMAC secret.

Verifying with a public key's text as an HMAC secret lets anyone who has the public
key sign tokens (RFC 8725 §2.1, CVE-2015-9235, CVE-2022-29217). The text may arrive
in many wrappings, so the check looks for a key anywhere in it, and tries DER too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization

__all__ = ["is_asymmetric_key"]

_UTF8_BOM: Final = b"\xef\xbb\xbf"
# Searched anywhere in the text, not only at its start: PyJWT's fix for
# CVE-2022-29217 searches, because a PEM block may follow a BOM, a comment,
# openssl's "Bag Attributes" lines or `openssl x509 -text` output.
_MARKERS: Final = (
    b"-----BEGIN",
    b"ssh-rsa",
    b"ssh-dss",
    b"ssh-ed25519",
    b"ecdsa-sha2-",
    b"PuTTY-User-Key-File",
)
_SEQUENCE: Final = 0x30  # every DER key and certificate is an ASN.1 SEQUENCE


def _private(data: bytes) -> object:
    return serialization.load_der_private_key(data, password=None)


_DER_LOADERS: Final[tuple[Callable[[bytes], object], ...]] = (
    serialization.load_der_public_key,
    _private,
    x509.load_der_x509_certificate,
)


def is_asymmetric_key(raw: bytes) -> bool:
    """Whether bytes offered as an HMAC secret are (or wrap) an asymmetric key.

    Args:
        raw: the candidate secret.

    Returns:
        ``True`` for PEM anywhere in the text, an OpenSSH/PuTTY key, a JWK, or a
        DER-encoded public key, private key (encrypted too) or certificate.
    """
    text = raw.removeprefix(_UTF8_BOM)
    if any(marker in text for marker in _MARKERS):
        return True
    stripped = text.strip()
    if stripped[:1] == b"{" and b'"kty"' in stripped:
        return True
    return bool(text) and text[0] == _SEQUENCE and _is_der_key(text)


def _is_der_key(data: bytes) -> bool:
    for load in _DER_LOADERS:
        try:
            load(data)
        except TypeError:
            # "Password was not given but private key is encrypted": a key all the same.
            return True
        except (ValueError, UnsupportedAlgorithm):
            continue
        return True
    return False
