"""The ``gatepass`` command, in process through ``main([...])`` and once as a real process."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from gatepass.server.app import create_app
from gatepass.server.cli import main
from gatepass.server.settings import Settings
from gatepass.tokens import decode_unverified
from server.server_helpers import PASSWORD, fast_hasher

EMAIL = "admin@example.com"


@pytest.fixture
def data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A data folder the commands use, with cheap argon2 costs."""
    path = tmp_path / "data"
    monkeypatch.setenv("GATEPASS_DATA_DIR", str(path))
    monkeypatch.setenv("GATEPASS_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("GATEPASS_ARGON2_MEMORY_KIB", "8")
    monkeypatch.delenv("GATEPASS_SETTINGS_FILE", raising=False)
    return path


def run(*argv: str, stdin: str = "") -> tuple[int, str]:
    """Run ``gatepass ARGV`` in process; return the status and the output."""
    out = io.StringIO()
    saved = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        status = main(list(argv), out=out)
    finally:
        sys.stdin = saved
    return status, out.getvalue()


def add_admin() -> None:
    status, output = run("users", "add", EMAIL, "--password-stdin", stdin=PASSWORD + "\n")
    assert status == 0, output


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["serve"],
        ["users"],
        ["users", "add"],
        ["users", "list"],
        ["users", "disable"],
        ["keys"],
        ["keys", "list"],
        ["keys", "rotate"],
        ["token"],
        ["token", "issue"],
        ["token", "verify"],
        ["token", "inspect"],
    ],
)
def test_every_command_has_help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([*argv, "--help"])
    assert exit_info.value.code == 0
    assert "usage: gatepass" in capsys.readouterr().out


def test_users_add_then_list(data_dir: Path) -> None:
    add_admin()
    status, output = run("users", "list")
    assert status == 0
    assert EMAIL in output
    assert "active" in output


def test_users_add_refuses_a_weak_password(data_dir: Path) -> None:
    status, output = run("users", "add", EMAIL, "--password-stdin", stdin="password\n")
    assert status == 1
    assert "not accepted" in output


def test_users_add_refuses_a_duplicate(data_dir: Path) -> None:
    add_admin()
    status, output = run("users", "add", EMAIL, "--password-stdin", stdin=PASSWORD + "\n")
    assert status == 1
    assert "already exists" in output


async def test_a_user_added_on_the_cli_can_log_in_to_the_server(data_dir: Path) -> None:
    # The command runs its own event loop, so it runs beside this test's loop.
    await asyncio.to_thread(add_admin)
    app = create_app(Settings(data_dir=data_dir), hasher=fast_hasher())
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            response = await http.post("/auth/token", json={"email": EMAIL, "password": PASSWORD})
    assert response.status_code == 200


def test_users_disable_revokes_tokens(data_dir: Path) -> None:
    add_admin()
    status, output = run("token", "issue", EMAIL)
    assert status == 0
    access = json.loads(output)["access_token"]
    assert run("users", "disable", EMAIL)[0] == 0
    status, output = run("token", "verify", access)
    assert status == 1
    assert "token_revoked" in output
    assert "disabled" in run("users", "list")[1]


def test_users_disable_of_an_unknown_email_fails(data_dir: Path) -> None:
    status, output = run("users", "disable", "nobody@example.com")
    assert status == 1
    assert "no account" in output


def test_token_issue_verify_and_inspect(data_dir: Path) -> None:
    add_admin()
    pair = json.loads(run("token", "issue", EMAIL)[1])
    status, output = run("token", "verify", pair["access_token"])
    assert status == 0
    assert json.loads(output)["aud"] == "gatepass"
    status, output = run("token", "inspect", "-", stdin=pair["access_token"] + "\n")
    assert status == 0
    assert '"typ": "at+jwt"' in output
    assert "verdict: valid" in output


def test_token_inspect_says_why_a_token_is_rejected(data_dir: Path, tmp_path: Path) -> None:
    add_admin()
    pair = json.loads(run("token", "issue", EMAIL)[1])
    # The same token presented to a server with other keys: its kid is unknown there.
    os.environ["GATEPASS_DATA_DIR"] = str(tmp_path / "elsewhere")
    status, output = run("token", "inspect", pair["access_token"])
    assert status == 1
    assert "verdict: rejected (unknown_key)" in output
    assert "header (not verified)" in output


def test_token_inspect_of_garbage_says_it_is_not_a_jwt(data_dir: Path) -> None:
    status, output = run("token", "inspect", "not.a.jwt")
    assert status == 1
    assert "not a JWT" in output


async def test_keys_rotate_changes_the_published_key_set(data_dir: Path) -> None:
    before = (await asyncio.to_thread(run, "keys", "list"))[1]
    status, output = await asyncio.to_thread(run, "keys", "rotate")
    assert status == 0
    assert "new signing key" in output
    after = (await asyncio.to_thread(run, "keys", "list"))[1]
    assert "published; signs from" in after
    assert "published" not in before
    status, output = await asyncio.to_thread(run, "keys", "rotate", "--now")
    assert status == 0
    assert "signs now" in output
    assert "verifying until" in (await asyncio.to_thread(run, "keys", "list"))[1]
    app = create_app(Settings(data_dir=data_dir), hasher=fast_hasher())
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            jwks = (await http.get("/.well-known/jwks.json")).json()
    assert len(jwks["keys"]) == 3


def test_a_bad_setting_stops_a_command_with_its_name(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GATEPASS_REFRESH_TOKEN_TTL", "forever")
    with pytest.raises(SystemExit, match="GATEPASS_REFRESH_TOKEN_TTL"):
        main(["users", "list"])


def test_the_console_script_runs_as_a_process(data_dir: Path) -> None:
    environment = {**os.environ, "GATEPASS_DATA_DIR": str(data_dir)}
    added = subprocess.run(
        [sys.executable, "-m", "gatepass.server.cli", "users", "add", EMAIL, "--password-stdin"],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
        check=False,
    )
    assert added.returncode == 0, added.stderr
    assert f"created {EMAIL}" in added.stdout
    assert '"event": "user.created"' in added.stderr or '"event":"user.created"' in added.stderr


def test_token_inspect_survives_times_out_of_range(data_dir: Path) -> None:
    def part(value: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    forged = f"{part({'alg': 'ES256', 'kid': 'x'})}.{part({'sub': 'a', 'exp': 10**20})}.AAAA"
    status, output = run("token", "inspect", forged)
    assert status == 1
    assert "not a representable time" in output
    assert "verdict: rejected" in output


async def test_a_running_server_signs_with_a_key_rotated_from_the_cli(data_dir: Path) -> None:
    await asyncio.to_thread(add_admin)
    app = create_app(Settings(data_dir=data_dir), hasher=fast_hasher())
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            credentials = {"email": EMAIL, "password": PASSWORD}
            before = (await http.post("/auth/token", json=credentials)).json()["access_token"]
            # --now: the emergency path signs at once (the default publishes first).
            status, output = await asyncio.to_thread(run, "keys", "rotate", "--now")
            assert status == 0
            new_kid = output.split()[3]
            after = (await http.post("/auth/token", json=credentials)).json()["access_token"]
            old_still_good = await http.get(
                "/api/me", headers={"authorization": f"Bearer {before}"}
            )
    assert decode_unverified(after).header["kid"] == new_kid
    assert decode_unverified(before).header["kid"] != new_kid
    assert old_still_good.status_code == 200
