"""Configuration: ``GATEPASS_*`` variables or a TOML file, each bad value named clearly."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from gatepass.server.cli import load_settings


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GATEPASS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("GATEPASS_SETTINGS_FILE", raising=False)


def _refused(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> str:
    monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as exit_info:
        load_settings()
    message = str(exit_info.value.code)
    assert message.startswith("gatepass: the configuration is not valid:")
    assert name in message
    return message


def test_defaults_run_locally_in_the_data_folder(tmp_path: Path) -> None:
    settings = load_settings()
    assert settings.data_dir == tmp_path / "data"
    assert settings.access_token_ttl == timedelta(minutes=15)
    assert settings.effective_database_url.startswith("sqlite+aiosqlite:///")


def test_durations_are_read_from_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEPASS_ACCESS_TOKEN_TTL", "5m")
    monkeypatch.setenv("GATEPASS_REFRESH_TOKEN_TTL", "2 days")
    settings = load_settings()
    assert settings.access_token_ttl == timedelta(minutes=5)
    assert settings.refresh_token_ttl == timedelta(days=2)


def test_a_short_jwt_secret_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    message = _refused(monkeypatch, "GATEPASS_JWT_SECRET", "too-short")
    assert "32 bytes" in message


def test_a_bad_duration_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    message = _refused(monkeypatch, "GATEPASS_ACCESS_TOKEN_TTL", "soon")
    assert "duration" in message


def test_an_unknown_database_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    _refused(monkeypatch, "GATEPASS_DATABASE_URL", "mysql://db/users")


def test_a_bad_redis_url_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    _refused(monkeypatch, "GATEPASS_REDIS_URL", "http://127.0.0.1:6379")


def test_a_bad_port_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    _refused(monkeypatch, "GATEPASS_PORT", "70000")


def test_an_unknown_algorithm_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    _refused(monkeypatch, "GATEPASS_JWT_ALGORITHM", "none")


def test_a_missing_key_file_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GATEPASS_SIGNING_KEY_FILE", str(tmp_path / "missing.pem"))
    with pytest.raises(SystemExit, match="does not exist"):
        load_settings()


def test_settings_come_from_a_toml_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "gatepass.toml"
    path.write_text('issuer = "https://auth.example.com"\naccess_token_ttl = "10m"\n')
    monkeypatch.setenv("GATEPASS_SETTINGS_FILE", str(path))
    settings = load_settings()
    assert settings.issuer == "https://auth.example.com"
    assert settings.access_token_ttl == timedelta(minutes=10)


def test_environment_wins_over_the_toml_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "gatepass.toml"
    path.write_text('audience = "from-file"\n')
    monkeypatch.setenv("GATEPASS_SETTINGS_FILE", str(path))
    monkeypatch.setenv("GATEPASS_AUDIENCE", "from-env")
    assert load_settings().audience == "from-env"


def test_an_unknown_key_in_the_toml_file_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "gatepass.toml"
    path.write_text('issuer_url = "https://typo.example"\n')
    monkeypatch.setenv("GATEPASS_SETTINGS_FILE", str(path))
    with pytest.raises(SystemExit, match="ISSUER_URL"):
        load_settings()


def test_a_malformed_toml_file_is_refused_clearly(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "gatepass.toml"
    path.write_text("issuer = \n")
    monkeypatch.setenv("GATEPASS_SETTINGS_FILE", str(path))
    with pytest.raises(SystemExit, match="GATEPASS_SETTINGS_FILE"):
        load_settings()
