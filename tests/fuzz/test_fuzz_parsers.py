"""Property tests of the small parsers an attacker or an operator can reach.

Durations (settings and ``expires_in``), ``next`` redirect targets and signed session
cookies: any input gives a value or a :class:`~gatepass.errors.GatepassError`, and
what is accepted keeps its promise (a safe redirect stays on the site; a cookie only
unsigns with its own signature).
"""

from __future__ import annotations

import string
from datetime import timedelta
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from gatepass.errors import DurationError
from gatepass.security.redirects import is_safe_redirect, safe_next
from gatepass.sessions.signing import CookieSigner, new_session_id
from gatepass.tokens import parse_duration

PROPERTY = settings(max_examples=400, deadline=None)
SITE = "https://site.example/app/"

# Duration text the way people write it, and noise around it.
UNITS = st.sampled_from(["", "ms", "s", "m", "h", "d", "w", "y", "days", " hours", "Min", "x"])
NUMBERS = st.one_of(
    st.integers(-(10**6), 10**6).map(str),
    st.floats(-1e6, 1e6, allow_nan=False).map(lambda f: f"{f:.3f}"),
)
# Noise without digits: long digit runs with a unit overflow (the known bug below).
NOISE = st.text(alphabet=st.characters(exclude_categories=["Nd"]), max_size=30)
DURATION_TEXT = st.one_of(st.builds(lambda n, u: n + u, NUMBERS, UNITS), NOISE)
# datetime.timedelta holds at most 999999999 days; past that is the known bug below.
SANE_SECONDS = st.one_of(st.integers(-(10**12), 10**12), st.floats(-1e12, 1e12, allow_nan=False))


@PROPERTY
@given(
    st.one_of(
        DURATION_TEXT,
        SANE_SECONDS,
        st.sampled_from([float("inf"), float("-inf"), float("nan")]),
        st.booleans(),
        st.none(),
        st.lists(st.integers(), max_size=2),
        st.timedeltas(),
    )
)
@example("15m")
@example("nan")
@example("1e3s")
@example("--1s")
def test_parse_duration_gives_a_timedelta_or_a_duration_error(value: Any) -> None:
    try:
        result: object = parse_duration(value)
    except DurationError as exc:
        result = exc
    # A DurationError is a ValueError too, so pydantic reports it as a validation error.
    assert isinstance(result, timedelta | ValueError)


@PROPERTY
@given(st.integers(0, 10**6), st.sampled_from(["s", "m", "h", "d"]))
def test_parse_duration_reads_numbers_with_units(number: int, unit: str) -> None:
    scale = {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit]
    assert parse_duration(f"{number}{unit}") == timedelta(seconds=number * scale)


@pytest.mark.parametrize("value", [1e300, 10**20, "99999999999999999999y"])
def test_huge_finite_durations_are_duration_errors(value: float | int | str) -> None:
    with pytest.raises(DurationError):
        parse_duration(value)


REDIRECT_PIECES = st.sampled_from(
    ["/", "//", "\\", "evil.example", "%2f", "%2F", "%5c", "%25", "%09", "\t", "\n", ":",
     "http", "https:", "javascript:", "@", "?", "#", ".", "..", "a", " ", "\x00", "%00",
     "\u3002", "\uff0f", "%E3%80%82"]
)  # fmt: skip
REDIRECTS = st.one_of(
    st.lists(REDIRECT_PIECES, max_size=8).map("".join),
    st.text(max_size=60),
    st.text(alphabet=string.printable, max_size=60),
)


def leaves_the_site(value: str) -> bool:
    """Whether any decoding of ``value``, resolved as a browser would, leaves SITE."""
    current = value
    for _ in range(4):
        lenient = current.replace("\\", "/")
        lenient = "".join(ch for ch in lenient if ch not in "\t\r\n")
        target = urlsplit(urljoin(SITE, lenient))
        if target.netloc != "site.example" or target.scheme != "https":
            return True
        current = unquote(current)
    return False


@PROPERTY
@given(REDIRECTS)
@example("/\\evil.example")
@example("/%5c%5cevil.example")
@example("/\t/evil.example")
def test_a_redirect_called_safe_never_leaves_the_site(value: str) -> None:
    safe = is_safe_redirect(value)
    assert isinstance(safe, bool)
    if safe:
        assert not leaves_the_site(value), value
        assert safe_next(value, default="/home") == value
    else:
        assert safe_next(value, default="/home") == "/home"


@PROPERTY
@given(st.lists(st.sampled_from(["a", "b", "1", "-", "_", "/", "~"]), max_size=20).map("".join))
def test_plain_paths_are_safe(tail: str) -> None:
    # The control: the validator must not refuse the paths an app really uses.
    value = "/" + tail.lstrip("/")
    assert is_safe_redirect(value)


SIGNER = CookieSigner(["k" * 32, "n" * 32])
OTHER_SIGNER = CookieSigner(["o" * 32])


@PROPERTY
@given(st.text(max_size=120))
def test_unsign_of_any_text_is_none_or_an_id_and_never_raises(value: str) -> None:
    result = SIGNER.unsign(value)
    assert result is None or SIGNER.sign(result) == value or value.startswith(result + ".")


@PROPERTY
@given(st.data())
def test_a_signed_cookie_changed_anywhere_is_refused(data: st.DataObject) -> None:
    session_id = new_session_id()
    cookie = SIGNER.sign(session_id)
    assert SIGNER.unsign(cookie) == session_id
    assert OTHER_SIGNER.unsign(cookie) is None
    position = data.draw(st.integers(0, len(cookie) - 1))
    replacement = data.draw(st.characters(codec="ascii"))
    changed = cookie[:position] + replacement + cookie[position + 1 :]
    if changed != cookie:
        assert SIGNER.unsign(changed) is None


@PROPERTY
@given(st.text(max_size=60))
def test_any_session_id_round_trips_only_with_its_own_signature(session_id: str) -> None:
    cookie = SIGNER.sign(session_id) if session_id.isascii() else None
    if cookie is not None and "." not in session_id and session_id:
        assert SIGNER.unsign(cookie) == session_id
        assert SIGNER.unsign(cookie + "x") is None
