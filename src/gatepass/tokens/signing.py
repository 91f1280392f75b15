"""``sign`` and ``verify``: the jsonwebtoken/PyJWT-style module functions."""

from __future__ import annotations

import enum
import math
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime
from typing import Any, Final, Literal

import orjson

from gatepass.errors import ConfigurationError, InvalidKeyError

from ._text_keys import key_from_text, text_verification_keys
from .algorithms import Algorithm
from .claims import Audience
from .durations import Duration, option_seconds
from .jws import parse_header, sign_jws
from .keys import Key
from .keyset import KeySet
from .verifier import KeyResolver, Verifier

__all__ = ["sign", "verify"]

_TIME_CLAIMS = ("exp", "nbf", "iat")
_DEFAULT_LIFETIME: Final = "1h"


class _Default(enum.Enum):
    LIFETIME = "1h, unless the payload has exp"


_LIFETIME: Final = _Default.LIFETIME


def _signing_key(key: Key | KeySet | str | bytes, algorithm: Algorithm) -> Key:
    if isinstance(key, Key):
        return key
    if isinstance(key, KeySet):
        return key.current
    if isinstance(key, str | bytes):
        return key_from_text(key, algorithm)
    raise InvalidKeyError(f"Cannot sign with a {type(key).__name__}; pass a Key or KeySet.")


_OPTION_NAMES: Final = {
    "exp": "expires_in=",
    "nbf": "not_before=",
    "aud": "audience=",
    "iss": "issuer=",
    "sub": "subject=",
    "jti": "jwt_id=",
}


def _audience_claim(audience: object) -> str | list[str]:
    if isinstance(audience, str):
        return audience
    if isinstance(audience, Sequence) and audience and all(isinstance(a, str) for a in audience):
        return list(audience)
    raise ConfigurationError(
        f"sign(audience=) is the 'aud' claim: a string or a non-empty list of strings, not "
        f"{type(audience).__name__} (patterns belong to verify(audience=))."
    )


def sign(
    payload: Mapping[str, Any],
    key: Key | KeySet | str | bytes,
    *,
    expires_in: Duration | Literal[_Default.LIFETIME] | None = _LIFETIME,
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
            ``exp``/``nbf``/``iat`` become epoch seconds. Other payloads (text,
            bytes) are signed with :func:`gatepass.tokens.sign_jws`.
        key: a ``Key`` (private, or an HMAC secret), a ``KeySet`` (its current key
            signs), or text/bytes: a shared secret for ``HS*`` (the default
            ``algorithm``), a PEM private key for the others.
        expires_in: lifetime (``"15m"``, ``3600``, ``timedelta``); by default the
            payload's ``exp`` if it has one, else ``"1h"``; ``None`` for no ``exp``.
            Text names its unit: ``"120"`` is refused (jsonwebtoken reads ms).
        not_before: delay before the token is valid (sets ``nbf``).
        audience: the ``aud`` claim (a string or a list of strings).
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
        ConfigurationError: the payload is not a mapping or not JSON-serialisable,
            or a claim is set twice (option and payload).
        DurationError: a duration option is not a duration, or is text without unit.
    """
    if not isinstance(payload, Mapping):
        # A JWT's claims are a JSON object (RFC 7519 §7.2 step 10); jsonwebtoken signs
        # strings and buffers as plain JWS, which gatepass keeps apart.
        raise ConfigurationError(
            f"jwt.sign needs the claims as a dict, not {type(payload).__name__}; to sign "
            "other bytes use gatepass.tokens.sign_jws(payload_bytes, key)."
        )
    signer = _signing_key(key, algorithm)
    if not signer.can_sign:
        raise InvalidKeyError(f"Key {signer.kid!r} is public; signing needs the private key.")
    claims = dict(payload)
    if expires_in is _LIFETIME:
        # jsonwebtoken's sign({exp, ...}, key): the payload's exp is the lifetime.
        expires_in = None if "exp" in claims else _DEFAULT_LIFETIME
    for name in _TIME_CLAIMS:
        value = claims.get(name)
        if isinstance(value, datetime):
            claims[name] = int(value.timestamp())
    now = int(clock())
    options: dict[str, Any] = {}
    if issued_at:
        options["iat"] = now
    if expires_in is not None:
        options["exp"] = now + int(option_seconds(expires_in, "expires_in"))
    if not_before is not None:
        options["nbf"] = now + int(option_seconds(not_before, "not_before"))
    for name, value in (("iss", issuer), ("sub", subject), ("jti", jwt_id)):
        if value is not None:
            options[name] = value
    if audience is not None:
        options["aud"] = _audience_claim(audience)
    clash = sorted(name for name in options if name in claims and name != "iat")
    if clash:
        raise ConfigurationError(
            f"The payload already has {clash}; set each either in the payload or as an "
            f"option ({', '.join(_OPTION_NAMES[name] for name in clash)}), not both."
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
    audience: Audience | None = None,
    issuer: str | Sequence[str] | None = None,
    subject: str | None = None,
    jwt_id: str | None = None,
    leeway: Duration = 0,
    max_age: Duration | None = None,
    require: Sequence[str] = ("exp",),
    algorithms: Collection[Algorithm] | None = None,
    typ: str | None = None,
    algorithm: Algorithm | None = None,
    complete: bool = False,
    clock: Callable[[], float] = time.time,
) -> dict[str, Any]:
    """Verify a JWT and return its claims, as ``jsonwebtoken.verify`` / ``jwt.decode`` do.

    The algorithm is the key's, never the token header's (RFC 8725 §2.1). For
    many tokens build a :class:`Verifier` once instead (it caches and is faster).

    Args:
        token: the compact JWT.
        key_or_keyset: a ``Key``, a ``KeySet`` (by ``kid``), a sync resolver
            ``(header, request) -> Key``, or text/bytes with ``algorithm=`` or
            ``algorithms=``: a shared secret for ``HS*``, a PEM public key for the others.
        audience: accepted ``aud`` value(s): strings or compiled patterns, which
            must match a whole ``aud`` value (``re.fullmatch``).
        issuer: accepted ``iss`` value(s).
        subject: the required ``sub``.
        jwt_id: the required ``jti``.
        leeway: clock skew allowed (seconds, ``"30s"``, ``timedelta``).
        max_age: the oldest ``iat`` accepted.
        require: claims that must be present.
        algorithms: allow-list on top of the key's pinned algorithm; with a text key,
            one pinned key per listed algorithm (all ``HS*``, or all asymmetric).
        typ: the required header ``typ``.
        algorithm: with a text/bytes key, the one algorithm it is for, so text is
            never guessed to be a secret (RFC 8725 §2.1).
        complete: return ``{"header", "payload", "signature"}`` (jsonwebtoken's
            ``complete: true``) instead of the claims alone.
        clock: epoch seconds.

    Returns:
        The claims, or with ``complete=True`` the verified header, the claims as
        ``payload`` and the base64url ``signature``.

    Raises:
        TokenError: a subclass naming the problem (``MalformedTokenError``,
            ``UnsupportedAlgorithmError``, ``KeyMismatchError``, ``UnknownKeyError``,
            ``BadSignatureError``, ``ExpiredTokenError``, ``ImmatureTokenError``,
            ``MissingClaimError``, ``InvalidAudienceError``, ``InvalidIssuerError``,
            ``InvalidSubjectError``, ``WrongTokenTypeError``).
        InvalidKeyError: the secret is too short or is an asymmetric key, or the
            PEM key does not load or fit ``algorithm``.
        ConfigurationError: text/bytes key without an algorithm, or a bad option.
        DurationError: ``leeway``/``max_age`` is not a duration or is text without unit.
    """
    keys = (
        text_verification_keys(key_or_keyset, algorithm, algorithms)
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
        leeway=option_seconds(leeway, "leeway"),
        max_age=None if max_age is None else option_seconds(max_age, "max_age"),
        require=require,
        clock=clock,
    )
    claims = verifier.verify(token)
    if not complete:
        return claims
    text = token.decode("ascii") if isinstance(token, bytes) else token
    header_b64, _payload, signature = text.split(".")
    return {
        "header": parse_header(header_b64.encode("ascii")),
        "payload": claims,
        "signature": signature,
    }
