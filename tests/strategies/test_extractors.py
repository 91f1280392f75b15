"""Token extractors (passport-jwt's ExtractJwt)."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from gatepass.strategies import extractors
from gatepass.testing import build_request


@pytest.mark.parametrize(
    ("header", "token"),
    [
        ("Bearer abc", "abc"),
        ("bearer abc", "abc"),
        ("Basic abc", None),
        ("Bearer ", None),
        ("", None),
    ],
)
async def test_bearer_header(header: str, token: str | None) -> None:
    request = build_request(headers={"authorization": header} if header else {})
    assert await extractors.from_bearer_header()(request) == token


async def test_auth_header_with_other_scheme() -> None:
    request = build_request(headers={"authorization": "JWT abc"})
    assert await extractors.from_auth_header("JWT")(request) == "abc"


async def test_named_header_cookie_and_query() -> None:
    request = build_request(
        headers={"x-access-token": "h", "cookie": "at=c"}, query={"access_token": "q"}
    )
    assert await extractors.from_header("X-Access-Token")(request) == "h"
    assert await extractors.from_cookie("at")(request) == "c"
    assert await extractors.from_query()(request) == "q"


async def test_body_field_from_form_and_json() -> None:
    form = build_request(method="POST", form={"access_token": "f"})
    assert await extractors.from_body()(form) == "f"
    json = build_request(method="POST", json={"access_token": "j"})
    assert await extractors.from_body()(json) == "j"


async def test_chain_takes_the_first_token_found() -> None:
    chained = extractors.chain(
        extractors.from_bearer_header(), extractors.from_cookie("at"), extractors.from_query()
    )
    assert (
        await chained(build_request(headers={"cookie": "at=c"}, query={"access_token": "q"})) == "c"
    )
    assert await chained(build_request()) is None


def raw_request(headers: list[tuple[bytes, bytes]]) -> Request:
    return Request({"type": "http", "method": "GET", "path": "/", "headers": headers})


async def test_bearer_header_reads_the_first_authorization_header_like_request_headers() -> None:
    request = raw_request([(b"authorization", b"Basic x"), (b"authorization", b"Bearer abc")])
    assert request.headers.get("authorization") == "Basic x"
    assert await extractors.from_bearer_header()(request) is None
    first = raw_request([(b"authorization", b"Bearer abc"), (b"authorization", b"Basic x")])
    assert await extractors.from_bearer_header()(first) == "abc"


async def test_auth_header_scheme_matches_case_insensitively_and_decodes_latin1() -> None:
    request = raw_request(
        [(b"x-other", b"1"), (b"authorization", "jWt  t\u00e9k ".encode("latin-1"))]
    )
    assert await extractors.from_auth_header("JWT")(request) == "t\u00e9k"
    assert await extractors.from_auth_header("Bearer")(request) is None
