"""``sign`` and ``verify``: the jsonwebtoken/PyJWT-style module functions."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

import orjson

from gatepass.errors import ConfigurationError, InvalidKeyError

from .algorithms import ALGORITHMS, Algorithm, family
from .durations import Duration, to_seconds
from .jws import sign_jws
from .keys import Key
from .keyset import KeySet
from .verifier import KeyResolver, Verifier

__all__ = ["sign", "verify"]

_TIME_CLAIMS = ("exp", "nbf", "iat")


def _key_from_text(key: str | bytes, algorithm: Algorithm) -> Key:
    # The caller names the algorithm, so the text is read as what it must be: a
    # shared secret for HS*, a PEM key otherwise; never guessed from the text.
    if algorithm not in ALGORITHMS:
        raise InvalidKeyError(f"{algorithm!r} is not supported; use one of {sorted(ALGORITHMS)}.")
    if family(algorithm) == "HS":
        return Key.from_secret(key, algorithm=algorithm)
    return Key.from_pem(key, algorithm=algorithm)


def _text_key_algorithm(
    algorithm: Algorithm | None, algorithms: Collection[Algorithm] | None
) -> Algorithm:
    if algorithm is not None:
        return algorithm
    if algorithms is not None and len(set(algorithms)) == 1:
        return next(iter(algorithms))
    # RFC 8725 §2.1, CVE-2022-29217: text could be a shared secret or a public key;
    # choosing for the caller is what the key-confusion attack exploits.
    raise ConfigurationError(
        'verify(token, text_or_bytes) needs algorithm= (e.g. algorithm="HS256" for a '
        'shared secret, "RS256" for a PEM public key), or pass a Key.'
    )


def _signing_key(key: Key | KeySet | str | bytes, algorithm: Algorithm) -> Key:
    if isinstance(key, Key):
        return key
    if isinstance(key, KeySet):
        return key.current
    if isinstance(key, str | bytes):
        return _key_from_text(key, algorithm)
    raise InvalidKeyError(f"Cannot sign with a {type(key).__name__}; pass a Key or KeySet.")


def sign(
    payload: Mapping[str, Any],
    key: Key | KeySet | str | bytes,
    *,
    expires_in: Duration | None = "1h",
    not_before: Duration | None = None,
    audience: str | Sequence[str] | None = None,
    issuer: str | None = None,
    subject: str | None = None,
    jwt_id: str | None = None,
    issued_at: bool = True,
    headers: Mapping[str, Any] | None = None,
    algorithm: Algorithm = "HS256",
    clock: Callable[[], float] = time.time,
) -> str:
    """Sign a JWT, as ``jsonwebtoken.sign`` / ``jwt.encode`` do.

    Args:
        payload: the claims (a mapping with string keys); ``datetime`` values of
            ``exp``/``nbf``/``iat`` become epoch seconds.
        key: a ``Key`` (private, or an HMAC secret), a ``KeySet`` (its current key
            signs), or text/bytes: a shared secret for ``HS*`` (the default
            ``algorithm``), a PEM private key for the others.
        expires_in: lifetime, ``"1h"`` by default (``"15m"``, ``3600``,
            ``timedelta``); ``None`` for no ``exp``.
        not_before: delay before the token is valid (sets ``nbf``).
        audience: the ``aud`` claim.
        issuer: the ``iss`` claim.
        subject: the ``sub`` claim.
        jwt_id: the ``jti`` claim.
        issued_at: set ``iat`` to now (default).
        headers: extra protected header members (``typ``...; ``alg``/``kid`` come
            from the key).
        algorithm: only for a text/bytes key: ``HS256`` (default), ``HS384``,
            ``HS512``, or an asymmetric algorithm for a PEM private key.
        clock: epoch seconds.

    Returns:
        The compact JWT.

    Raises:
        InvalidKeyError: the key cannot sign (public key, short secret...).
        ConfigurationError: a claim is set twice (option and payload), or the
            payload is not JSON-serialisable.
        DurationError: a duration option is not a duration.
    """
    signer = _signing_key(key, algorithm)
    if not signer.can_sign:
        raise InvalidKeyError(f"Key {signer.kid!r} is public; signing needs the private key.")
    claims = dict(payload)
    for name in _TIME_CLAIMS:
        value = claims.get(name)
        if isinstance(value, datetime):
            claims[name] = int(value.timestamp())
    now = int(clock())
    options: dict[str, Any] = {}
    if issued_at:
        options["iat"] = now
    if expires_in is not None:
        options["exp"] = now + int(to_seconds(expires_in))
    if not_before is not None:
        options["nbf"] = now + int(to_seconds(not_before))
    for name, value in (("aud", audience), ("iss", issuer), ("sub", subject), ("jti", jwt_id)):
        if value is not None:
            options[name] = value if isinstance(value, str) else list(value)
    clash = sorted(name for name in options if name in claims and name != "iat")
    if clash:
        raise ConfigurationError(
            f"The payload already has {clash}; set them either in the payload or as options."
        )
    if "iat" in claims:
        options.pop("iat", None)
    claims.update(options)
    for name in _TIME_CLAIMS:
        value = claims.get(name)
        if value is not None and (type(value) not in (int, float) or not math.isfinite(value)):
            raise ConfigurationError(f"The '{name}' claim must be a number of seconds.")
    try:
        body = orjson.dumps(claims)
    except TypeError as exc:
        raise ConfigurationError(f"The payload is not JSON-serialisable: {exc}") from None
    try:
        return sign_jws(body, signer, headers=dict(headers) if headers else None)
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from None


def verify(
    token: str | bytes,
    key_or_keyset: Key | KeySet | KeyResolver | str | bytes,
    *,
    audience: str | Sequence[str] | None = None,
    issuer: str | Sequence[str] | None = None,
    subject: str | None = None,
    jwt_id: str | None = None,
    leeway: Duration = 0,
    max_age: Duration | None = None,
    require: Sequence[str] = ("exp",),
    algorithms: Collection[Algorithm] | None = None,
    typ: str | None = None,
    algorithm: Algorithm | None = None,
    clock: Callable[[], float] = time.time,
) -> dict[str, Any]:
    """Verify a JWT and return its claims, as ``jsonwebtoken.verify`` / ``jwt.decode`` do.

    The algorithm is the key's, never the token header's (RFC 8725 §2.1). For
    many tokens build a :class:`Verifier` once instead (it caches and is faster).

    Args:
        token: the compact JWT.
        key_or_keyset: a ``Key``, a ``KeySet`` (by ``kid``), a sync resolver
            ``(header, request) -> Key``, or text/bytes with ``algorithm=``: a
            shared secret for ``HS*``, a PEM public key for the others.
        audience: accepted ``aud`` value(s).
        issuer: accepted ``iss`` value(s).
        subject: the required ``sub``.
        jwt_id: the required ``jti``.
        leeway: clock skew allowed (seconds, ``"30s"``, ``timedelta``).
        max_age: the oldest ``iat`` accepted.
        require: claims that must be present.
        algorithms: allow-list on top of the key's pinned algorithm.
        typ: the required header ``typ``.
        algorithm: required with a text/bytes key (or a one-entry ``algorithms``),
            so text is never guessed to be a secret (RFC 8725 §2.1).
        clock: epoch seconds.

    Returns:
        The claims.

    Raises:
        TokenError: a subclass naming the problem (``MalformedTokenError``,
            ``UnsupportedAlgorithmError``, ``KeyMismatchError``, ``UnknownKeyError``,
            ``BadSignatureError``, ``ExpiredTokenError``, ``ImmatureTokenError``,
            ``MissingClaimError``, ``InvalidAudienceError``, ``InvalidIssuerError``,
            ``InvalidSubjectError``, ``WrongTokenTypeError``).
        InvalidKeyError: the secret is too short or is an asymmetric key, or the
            PEM key does not load or fit ``algorithm``.
        ConfigurationError: text/bytes key without ``algorithm=``.
    """
    keys = (
        _key_from_text(key_or_keyset, _text_key_algorithm(algorithm, algorithms))
        if isinstance(key_or_keyset, str | bytes)
        else key_or_keyset
    )
    verifier = Verifier(
        keys=keys,
        audience=audience,
        issuer=issuer,
        subject=subject,
        jwt_id=jwt_id,
        algorithms=algorithms,
        typ=typ,
        leeway=leeway,
        max_age=max_age,
        require=require,
        clock=clock,
    )
    return verifier.verify(token)
