"""Durations as jsonwebtoken (``ms``) writes them: ``"15m"``, ``"2 days"``, ``3600``."""

from __future__ import annotations

import math
import re
from datetime import timedelta

from gatepass.errors import DurationError

__all__ = ["Duration", "parse_duration"]

Duration = timedelta | int | float | str
"""Anything :func:`parse_duration` accepts."""

# The units of the ``ms`` package that jsonwebtoken uses, in seconds.
_UNITS: dict[str, float] = {}
for _names, _seconds in (
    (("ms", "msec", "msecs", "millisecond", "milliseconds"), 0.001),
    (("s", "sec", "secs", "second", "seconds"), 1.0),
    (("m", "min", "mins", "minute", "minutes"), 60.0),
    (("h", "hr", "hrs", "hour", "hours"), 3600.0),
    (("d", "day", "days"), 86400.0),
    (("w", "week", "weeks"), 604800.0),
    (("y", "yr", "yrs", "year", "years"), 31557600.0),
):
    for _name in _names:
        _UNITS[_name] = _seconds
del _names, _seconds, _name

_TEXT = re.compile(r"(-?(?:\d+(?:\.\d*)?|\.\d+))\s*([a-z]*)", re.IGNORECASE)


def parse_duration(value: Duration) -> timedelta:
    """Turn a duration written the jsonwebtoken way into a ``timedelta``.

    Args:
        value: a ``timedelta``; a number of seconds (``int``/``float``, not ``bool``);
            or text: a number and an optional unit, ``"90"``, ``"15m"``, ``"1h"``,
            ``"7d"``, ``"2 days"``, ``"1.5 hours"``, ``"500ms"``, ``"2w"``, ``"1y"``
            (a year is 365.25 days, as in jsonwebtoken). A bare number in text is
            seconds (jsonwebtoken would read milliseconds; seconds is what a
            setting such as ``"900"`` means here). ``jwt.sign``/``jwt.verify``
            refuse such text, where code ported from jsonwebtoken would pass it.

    Returns:
        The duration as a ``timedelta`` (it may be negative if written so).

    Raises:
        DurationError: the value is none of the above, or is not finite.
    """
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise DurationError(f"{value!r} is not a duration; use seconds, a timedelta or '15m'.")
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise DurationError(f"{value!r} is not a finite number of seconds.")
        return _to_timedelta(value, value)
    if isinstance(value, str):
        match = _TEXT.fullmatch(value.strip())
        if match is not None:
            number, unit = match.groups()
            seconds = _UNITS.get(unit.lower() or "s")
            if seconds is not None:
                return _to_timedelta(float(number) * seconds, value)
        raise DurationError(
            f"{value!r} is not a duration; write a number and a unit such as "
            "'30s', '15m', '1h', '7d', '2 days' or a number of seconds."
        )
    raise DurationError(
        f"A duration must be a timedelta, a number of seconds or text like '15m', "
        f"not {type(value).__name__}."
    )


def _to_timedelta(seconds: float, written: object) -> timedelta:
    try:
        return timedelta(seconds=seconds)
    except OverflowError:
        # timedelta stops at 999,999,999 days; anything longer is a mistake, not a TTL.
        raise DurationError(f"{written!r} is longer than any usable duration.") from None


def to_seconds(value: Duration) -> float:
    """The duration in seconds, as a float (internal helper)."""
    return parse_duration(value).total_seconds()


def option_seconds(value: Duration, option: str) -> float:
    """A jsonwebtoken-style option's duration in seconds; text must name its unit.

    jsonwebtoken (the ``ms`` package) reads ``"120"`` as 120 milliseconds, and
    :func:`parse_duration` as 120 seconds. Neither reading is safe to apply in
    silence to a value ported from the other, so ``sign``/``verify`` refuse it.

    Raises:
        DurationError: unitless text, or not a duration at all.
    """
    if isinstance(value, str):
        match = _TEXT.fullmatch(value.strip())
        if match is not None and not match.group(2):
            number = match.group(1)
            raise DurationError(
                f"{option}={value!r} has no unit: jsonwebtoken reads it as {number} "
                f"milliseconds, gatepass would read seconds. Write {option}='{number}s' "
                f"(or the number {number}) for seconds, or '{number}ms'."
            )
    return to_seconds(value)
