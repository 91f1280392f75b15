"""``gatepass token inspect`` never prints raw control or bidi characters."""

from __future__ import annotations

import base64
import io
import json
import unicodedata
from pathlib import Path

import pytest

from gatepass.server.cli import main

HOSTILE = "ann\u202egnp.exe\x9b31m\x1b[2J\u200b\U000e0041"


@pytest.fixture
def data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A data folder the command uses."""
    path = tmp_path / "data"
    monkeypatch.setenv("GATEPASS_DATA_DIR", str(path))
    monkeypatch.delenv("GATEPASS_SETTINGS_FILE", raising=False)
    return path


def _part(value: dict[str, str]) -> str:
    raw = json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.mark.usefixtures("data_dir")
def test_inspect_escapes_control_and_format_characters() -> None:
    token = f"{_part({'alg': 'HS256', 'kid': HOSTILE})}.{_part({'sub': HOSTILE})}.c2ln"
    out = io.StringIO()
    status = main(["token", "inspect", token], out=out)
    text = out.getvalue()
    assert status == 1
    unsafe = [c for c in text if c != "\n" and unicodedata.category(c) in {"Cc", "Cf"}]
    assert unsafe == []
    claims = text.split("claims (not verified):\n", 1)[1].split("\n}", 1)[0] + "\n}"
    assert json.loads(claims)["sub"] == HOSTILE
