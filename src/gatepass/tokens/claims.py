"""JWT claim policy (RFC 7519 §4.1): time claims, audience, issuer, subject, id."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeAlias

from gatepass.errors import (
    ClaimError,
    ConfigurationError,
    ExpiredTokenError,
    ImmatureTokenError,
    InvalidAudienceError,
    InvalidIssuerError,
    InvalidSubjectError,
    MissingClaimError,
)

from ._echo import echo
from .durations import Duration, to_seconds

__all__ = ["Audience", "ClaimPolicy"]

Audience: TypeAlias = str | re.Pattern[str] | Sequence[str | re.Pattern[str]]
"""Accepted ``aud`` values: strings, or compiled patterns matching a whole value."""

_ABSENT: Any = object()
# NumericDate (RFC 7519 §2) is seconds since 1970; past 9999-12-31T23:59:59Z no
# datetime can show it, and no honest token lives that long (1e308 is a trick).
MAX_NUMERIC_DATE = 253_402_300_799


def _names(value: object, what: str) -> frozenset[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return frozenset((value,))
    if isinstance(value, Sequence | set | frozenset):
        items: list[object] = list(value)
        if items and all(isinstance(v, str) for v in items):
            return frozenset(v for v in items if isinstance(v, str))
    raise ConfigurationError(
        f"{what}= must be a string or a non-empty list of strings, not {_shown(value)}."
    )


def _audiences(value: object) -> tuple[frozenset[str] | None, tuple[re.Pattern[str], ...]]:
    # jsonwebtoken accepts RegExp audiences; here a pattern must match the whole
    # value (re.fullmatch), since RegExp.test's unanchored match lets /api/ accept
    # "api.attacker.example" (CWE-185, incorrect regular expression).
    if value is None:
        return None, ()
    items = [value] if isinstance(value, str | re.Pattern) else value
    if isinstance(items, Sequence | set | frozenset) and items:
        names = frozenset(v for v in items if isinstance(v, str))
        patterns = tuple(v for v in items if isinstance(v, re.Pattern))
        if len(names) + len(patterns) == len(items) and all(
            isinstance(p.pattern, str) for p in patterns
        ):
            return names, patterns
    raise ConfigurationError(
        "audience= must be a string, a compiled text pattern (re.compile(r'...'), matched "
        f"against the whole value), or a non-empty list of those, not {_shown(value)}."
    )


def _shown(value: object) -> str:
    if isinstance(value, Sequence | set | frozenset) and not isinstance(value, str | bytes):
        kinds = sorted({type(v).__name__ for v in value})
        return f"a {type(value).__name__} of {kinds}" if kinds else "an empty list"
    return type(value).__name__


def _when(seconds: float) -> datetime:
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        # Only for a moment computed past the calendar (iat + a huge max_age).
        return datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class ClaimPolicy:
    """What a verified token's claims must satisfy; built once per verifier."""

    audience: frozenset[str] | None
    audience_patterns: tuple[re.Pattern[str], ...]
    issuer: frozenset[str] | None
    subject: str | None
    jwt_id: str | None
    leeway: float
    max_age: float | None
    require: tuple[str, ...]

    @classmethod
    def build(
        cls,
        *,
        audience: Audience | None = None,
        issuer: str | Sequence[str] | None = None,
        subject: str | None = None,
        jwt_id: str | None = None,
        leeway: Duration = 0,
        max_age: Duration | None = None,
        require: Sequence[str] = ("exp",),
    ) -> ClaimPolicy:
        """Make a policy from verify()'s keyword options (see :func:`gatepass.jwt.verify`).

        Raises:
            ConfigurationError: ``audience`` or ``issuer`` is not strings (or patterns).
            DurationError: ``leeway`` or ``max_age`` is not a duration.
        """
        required = tuple(require)
        if max_age is not None and "iat" not in required:
            required = (*required, "iat")
        names, patterns = _audiences(audience)
        return cls(
            audience=names,
            audience_patterns=patterns,
            issuer=_names(issuer, "issuer"),
            subject=subject,
            jwt_id=jwt_id,
            leeway=to_seconds(leeway),
            max_age=None if max_age is None else to_seconds(max_age),
            require=required,
        )

    def check(self, claims: dict[str, Any], now: float) -> float:
        """Check the claims at time ``now``.

        Args:
            claims: the verified payload.
            now: the current time, epoch seconds.

        Returns:
            The last moment (epoch seconds) at which these claims still pass the
            time checks, ``inf`` if none applies (for caches).

        Raises:
            MissingClaimError, ExpiredTokenError, ImmatureTokenError,
            InvalidAudienceError, InvalidIssuerError, InvalidSubjectError,
            ClaimError: the claim named in the message fails.
        """
        for name in self.require:
            if name not in claims:
                raise MissingClaimError(claim=name)
        leeway = self.leeway
        deadline = float("inf")
        exp = claims.get("exp", _ABSENT)
        if exp is not _ABSENT:
            if (type(exp) is not int and type(exp) is not float) or not (
                0 <= exp <= MAX_NUMERIC_DATE
            ):
                _not_numeric_date(exp, "exp")
            # RFC 7519 §4.1.4: valid only before exp.
            if now >= exp + leeway:
                raise ExpiredTokenError(
                    f"The token expired at {_when(exp).isoformat()}.", expired_at=_when(exp)
                )
            deadline = exp + leeway
        nbf = claims.get("nbf", _ABSENT)
        if nbf is not _ABSENT:
            if (type(nbf) is not int and type(nbf) is not float) or not (
                0 <= nbf <= MAX_NUMERIC_DATE
            ):
                _not_numeric_date(nbf, "nbf")
            if nbf > now + leeway:
                raise ImmatureTokenError(
                    f"The token is not valid before {_when(nbf).isoformat()}.",
                    not_before=_when(nbf),
                )
        iat = claims.get("iat", _ABSENT)
        if iat is not _ABSENT:
            if (type(iat) is not int and type(iat) is not float) or not (
                0 <= iat <= MAX_NUMERIC_DATE
            ):
                _not_numeric_date(iat, "iat")
            if iat > now + leeway:
                raise ImmatureTokenError(
                    "The token was issued in the future; check the clocks.", not_before=_when(iat)
                )
            if self.max_age is not None:
                too_old = iat + self.max_age + leeway
                if now >= too_old:
                    raise ExpiredTokenError(
                        f"The token is older than max_age ({self.max_age:g}s).",
                        expired_at=_when(iat + self.max_age),
                    )
                deadline = min(deadline, too_old)
        audience = self.audience
        if audience is not None or "aud" in claims:
            aud = claims.get("aud")
            # The common case inline: one audience string that matches.
            if audience is None or type(aud) is not str or aud not in audience:
                self._check_audience(claims)
        if self.issuer is not None:
            iss = claims.get("iss")
            if iss is None:
                raise MissingClaimError(claim="iss")
            if type(iss) is not str:
                # StringOrURI (RFC 7519 §4.1.1); a list is no issuer (and unhashable).
                raise InvalidIssuerError("The token 'iss' must be a string.")
            if iss not in self.issuer:
                raise InvalidIssuerError(f"The token issuer {echo(iss)} is not accepted here.")
        if self.subject is not None:
            sub = claims.get("sub")
            if sub is None:
                raise MissingClaimError(claim="sub")
            if type(sub) is not str:
                raise InvalidSubjectError("The token 'sub' must be a string (RFC 7519 §4.1.2).")
            if sub != self.subject:
                raise InvalidSubjectError(f"The token subject {echo(sub)} is not the expected one.")
        if self.jwt_id is not None and claims.get("jti") != self.jwt_id:
            raise ClaimError("The token 'jti' is not the expected one.")
        return deadline

    def _check_audience(self, claims: dict[str, Any]) -> None:
        aud = claims.get("aud")
        if aud is None:
            raise MissingClaimError(claim="aud")
        if self.audience is None:
            # RFC 7519 §4.1.3: a token naming audiences is refused by a recipient
            # that does not identify itself with one of them.
            raise InvalidAudienceError(
                "The token names an audience; pass audience= to the verifier to accept it."
            )
        if type(aud) is str:
            if aud in self.audience or self._pattern_matches((aud,)):
                return
        elif type(aud) is list and all(type(a) is str for a in aud):
            if self.audience.intersection(aud) or self._pattern_matches(aud):
                return
        else:
            raise InvalidAudienceError("The token 'aud' must be a string or a list of strings.")
        raise InvalidAudienceError(f"The token is meant for {echo(aud)}, not this audience.")

    def _pattern_matches(self, values: Sequence[str]) -> bool:
        return any(p.fullmatch(v) for p in self.audience_patterns for v in values)


def _not_numeric_date(value: object, name: str) -> None:
    # NumericDate is a JSON number (RFC 7519 §2); "123" and true are not, and it
    # must fall between 1970 and the end of 9999 to mean a moment at all.
    if type(value) is not int and type(value) is not float:
        raise ClaimError(
            f"The '{name}' claim must be a number of seconds, not {type(value).__name__}."
        )
    raise ClaimError(
        f"The '{name}' claim is not a NumericDate between 0 and {MAX_NUMERIC_DATE} (1970 to 9999)."
    )
