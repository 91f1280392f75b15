from __future__ import annotations

from datetime import timedelta

import pytest

from gatepass.errors import DurationError
from gatepass.tokens import parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1h", 3600),
        ("15m", 900),
        ("7d", 7 * 86400),
        ("2 days", 2 * 86400),
        ("1.5 hours", 5400),
        ("30s", 30),
        ("500ms", 0.5),
        ("2w", 14 * 86400),
        ("1y", 365.25 * 86400),
        ("90", 90),
        ("10 MINUTES", 600),
        (" 5m ", 300),
        ("-1h", -3600),
        (".5h", 1800),
        (60, 60),
        (1.5, 1.5),
        (timedelta(minutes=3), 180),
    ],
)
def test_parse_duration_reads_jsonwebtoken_durations(text: str | float, seconds: float) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize(
    "bad", ["", "h", "1 fortnight", "1h30m", "abc", "1e3", True, None, [], float("inf"), "1..2h"]
)
def test_parse_duration_refuses_anything_else_with_a_clear_error(bad: object) -> None:
    with pytest.raises(DurationError) as info:
        parse_duration(bad)  # type: ignore[arg-type]
    assert info.value.code == "invalid_duration"
    assert isinstance(info.value, ValueError)
