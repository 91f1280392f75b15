"""Serializer and deserializer chains: first answer wins, PASS hands over, once per request."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from authenticator.conftest import MakeApp
from authenticator.support import ALICE, BY_ID, User
from gatepass.authenticator import PASS, Authenticator
from gatepass.errors import ConfigurationError
from gatepass.testing import login_as

ClientFor = Callable[[ASGIApp], httpx.AsyncClient]


async def test_first_serializer_that_answers_wins_and_pass_hands_over() -> None:
    auth = Authenticator()
    auth.serializer(lambda user: PASS)
    auth.serializer(lambda user: None)

    @auth.serializer
    async def by_id(user: User) -> str:
        return f"user:{user.id}"

    auth.serializer(lambda user: "never")
    assert await auth.serialize_user(ALICE) == "user:u1"


async def test_deserializer_chain_pass_none_and_answer() -> None:
    auth = Authenticator()
    auth.deserializer(lambda stored: PASS if not stored.startswith("admin:") else "admin")

    @auth.deserializer
    async def users(stored: str) -> User | None:
        return BY_ID.get(stored)

    assert await auth.deserialize_user("admin:1") == "admin"
    assert await auth.deserialize_user("u1") == ALICE
    # None means "this user is gone", and stops the chain.
    assert await auth.deserialize_user("u404") is None


async def test_no_deserializer_answering_is_a_clear_error() -> None:
    auth = Authenticator()
    auth.deserializer(lambda stored: PASS)
    with pytest.raises(ConfigurationError, match="No deserializer answered"):
        await auth.deserialize_user("u1")


async def test_no_serializer_answering_names_the_type() -> None:
    auth = Authenticator()
    auth.serializer(lambda user: PASS)
    with pytest.raises(ConfigurationError, match="No serializer answered for User"):
        await auth.serialize_user(ALICE)


async def test_user_is_deserialized_once_per_request(
    make_app: MakeApp, client_for: ClientFor
) -> None:
    calls: list[Any] = []
    auth = Authenticator()
    auth.serializer(lambda user: user.id)

    @auth.deserializer
    def load(user_id: str) -> User | None:
        calls.append(user_id)
        return BY_ID.get(user_id)

    @auth.require_user().protect
    async def page(request: Request) -> Response:
        again = await auth.user(request)
        return PlainTextResponse(f"{request.user.identity} {again is request.user.user}")

    client = client_for(make_app(auth, [Route("/page", page)]))
    await login_as(client, ALICE, auth=auth)
    assert (await client.get("/page")).text == "u1 True"
    assert calls == ["u1"]


async def test_deleted_user_makes_the_request_anonymous(
    make_app: MakeApp, client_for: ClientFor
) -> None:
    present = {"u1": ALICE}
    auth = Authenticator()
    auth.serializer(lambda user: user.id)
    auth.deserializer(lambda user_id: present.get(user_id))

    async def page(request: Request) -> Response:
        return PlainTextResponse(str(request.user.is_authenticated))

    client = client_for(make_app(auth, [Route("/page", page)]))
    await login_as(client, ALICE, auth=auth)
    assert (await client.get("/page")).text == "True"
    present.clear()
    assert (await client.get("/page")).text == "False"
