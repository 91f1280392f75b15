"""Keys given as text or bytes, as jsonwebtoken takes them: ``verify(token, secret, ...)``.

Text is read as what the named algorithm needs (a shared secret for ``HS*``, a PEM
key for the others), never guessed from the text itself: a public key's text taken
for an HMAC secret is the key-confusion attack (RFC 8725 §2.1, CVE-2022-29217).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from gatepass.errors import ConfigurationError, InvalidKeyError

from .algorithms import ALGORITHMS, Algorithm, family
from .keys import Key
from .verifier import KeyResolver

__all__ = ["key_from_text", "text_verification_keys"]


def key_from_text(key: str | bytes, algorithm: Algorithm) -> Key:
    """A key for ``algorithm`` from text: the secret for ``HS*``, a PEM key otherwise.

    Raises:
        InvalidKeyError: unknown algorithm, short secret, or a PEM that does not fit.
    """
    if algorithm not in ALGORITHMS:
        raise InvalidKeyError(f"{algorithm!r} is not supported; use one of {sorted(ALGORITHMS)}.")
    if family(algorithm) == "HS":
        return Key.from_secret(key, algorithm=algorithm)
    return Key.from_pem(key, algorithm=algorithm)


def text_verification_keys(
    key: str | bytes, algorithm: Algorithm | None, algorithms: Collection[Algorithm] | None
) -> Key | KeyResolver:
    """The key(s) that verify with text, from ``algorithm=`` or ``algorithms=``.

    One algorithm gives one pinned key. Several give one pinned key each, picked by
    the token's ``alg`` among those listed, as jsonwebtoken's
    ``{ algorithms: ['HS256', 'HS512'] }`` does, but only when they all read the text
    the same way: all ``HS*`` (one shared secret) or all asymmetric (one PEM key).

    Raises:
        ConfigurationError: no algorithm named, or secret and PEM algorithms mixed.
        InvalidKeyError: the text does not make a key for one of the algorithms.
    """
    if algorithm is not None:
        return key_from_text(key, algorithm)
    named = sorted(set(algorithms or ()))
    if len(named) == 1:
        return key_from_text(key, named[0])
    if not named:
        # RFC 8725 §2.1, CVE-2022-29217: text could be a shared secret or a public key;
        # choosing for the caller is what the key-confusion attack exploits.
        raise ConfigurationError(
            'verify(token, text_or_bytes) needs algorithm= (e.g. algorithm="HS256" for a '
            'shared secret, "RS256" for a PEM public key), or pass a Key.'
        )
    unknown = [name for name in named if name not in ALGORITHMS]
    if unknown:
        raise InvalidKeyError(f"{unknown} not supported; use some of {sorted(ALGORITHMS)}.")
    secret = [name for name in named if family(name) == "HS"]
    if secret and len(secret) != len(named):
        # The same text cannot be both an HMAC secret and a PEM key (RFC 8725 §2.1):
        # accepting both is exactly the RS256/HS256 confusion.
        raise ConfigurationError(
            f"algorithms={named} mixes shared-secret (HS*) and public-key algorithms for one "
            "text key; list only HS* algorithms for a secret, or name one with algorithm=."
        )
    by_algorithm: dict[str, Key] = {}
    for name in named:
        try:
            by_algorithm[name] = key_from_text(key, name)
        except InvalidKeyError as exc:
            raise InvalidKeyError(
                f"{exc.message} Or leave {name} out of algorithms={named}."
            ) from None

    def pinned(header: dict[str, Any], _request: Any) -> Key:
        # The verifier has already refused any alg outside algorithms=, so the header
        # only picks among keys the caller listed, each pinned to its algorithm.
        return by_algorithm[header["alg"]]

    return pinned
