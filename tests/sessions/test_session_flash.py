"""Flash messages through real HTTP: set on one request, shown once on the next, then gone."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from gatepass.sessions import MemorySessionStore, flash, get_flashed_messages
from sessions.session_helpers import client_for, session_app


async def test_flash_is_shown_once_on_the_next_request_and_gone_on_the_third(
    memory_store: MemorySessionStore,
) -> None:
    async with client_for(session_app(memory_store)) as client:
        await client.post("/flash", params={"text": "Invalid email or password."})
        assert (await client.get("/messages")).json() == [["info", "Invalid email or password."]]
        assert (await client.get("/messages")).json() == []


async def test_flash_survives_a_login_that_regenerates_with_keep(
    memory_store: MemorySessionStore,
) -> None:
    async with client_for(session_app(memory_store)) as client:
        await client.post("/flash", params={"text": "Welcome back."})
        await client.post("/login", params={"keep": "_gatepass_flash"})
        assert (await client.get("/messages")).json() == [["info", "Welcome back."]]


async def test_messages_of_one_category_can_be_taken_alone() -> None:
    request = Request({"type": "http", "session": {}})
    flash(request, "error", "bad")
    flash(request, "success", "good")
    assert get_flashed_messages(request, "error") == [("error", "bad")]
    assert get_flashed_messages(request) == [("success", "good")]
    assert request.session == {}


def test_flash_without_the_middleware_says_how_to_fix_it() -> None:
    with pytest.raises(RuntimeError, match="SessionMiddleware"):
        flash(Request({"type": "http"}), "info", "x")
