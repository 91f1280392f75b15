"""LocalStrategy through the strategy harness: fields, bodies, verify forms."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from starlette.requests import HTTPConnection, Request
from starlette.types import Message

from gatepass.strategies import Fail, LocalStrategy, Success
from gatepass.testing import run_strategy

PAIR = {"email": "a@example.com", "password": "pw"}


def verify(email: str, password: str) -> dict[str, str] | None:
    return {"email": email} if password == "pw" else None


async def test_form_credentials_reach_verify() -> None:
    outcome = await run_strategy(
        LocalStrategy(verify, username_field="email"), method="POST", form=PAIR
    )
    assert outcome == Success({"email": "a@example.com"})


async def test_json_credentials_reach_async_verify() -> None:
    async def averify(email: str, password: str) -> dict[str, str] | None:
        return verify(email, password)

    strategy = LocalStrategy(averify, username_field="email")
    outcome = await run_strategy(strategy, method="POST", json=PAIR)
    assert isinstance(outcome, Success)


@pytest.mark.parametrize(
    "body",
    [{}, {"email": "a@example.com"}, {"password": "pw"}, {"email": "", "password": "pw"}],
)
async def test_missing_field_is_400_missing_credentials(body: dict[str, str]) -> None:
    outcome = await run_strategy(
        LocalStrategy(verify, username_field="email"), method="POST", form=body
    )
    assert outcome == Fail.missing()
    assert isinstance(outcome, Fail)
    assert (outcome.status, outcome.code) == (400, "missing_credentials")


async def test_non_string_json_fields_count_as_missing() -> None:
    outcome = await run_strategy(
        LocalStrategy(verify), method="POST", json={"username": ["x"], "password": 1}
    )
    assert isinstance(outcome, Fail)
    assert outcome.is_missing_credentials


async def test_malformed_json_is_a_400_failure_not_an_error() -> None:
    from gatepass.testing import build_request

    request = build_request(
        method="POST", body=b"{nope", headers={"content-type": "application/json"}
    )
    outcome = await LocalStrategy(verify).authenticate(request)
    assert isinstance(outcome, Fail)
    assert outcome.status == 400


async def test_json_array_body_is_refused_as_missing() -> None:
    outcome = await run_strategy(LocalStrategy(verify), method="POST", json=["a", "b"])
    assert isinstance(outcome, Fail)
    assert outcome.message == "The request body must be a JSON object."


async def test_get_request_has_no_credentials() -> None:
    outcome = await run_strategy(LocalStrategy(verify), query={"username": "a", "password": "pw"})
    assert isinstance(outcome, Fail)
    assert outcome.is_missing_credentials


async def test_refused_password_is_401_with_message() -> None:
    outcome = await run_strategy(
        LocalStrategy(verify, username_field="email"),
        method="POST",
        form={"email": "a@example.com", "password": "bad"},
    )
    assert outcome == Fail(message="Invalid credentials.")


async def test_verify_may_return_user_and_info_or_refusal_with_message() -> None:
    def with_info(username: str, password: str) -> tuple[Any, dict[str, Any]]:
        if password == "pw":
            return {"u": username}, {"message": "hi", "scopes": ["read"]}
        return None, {"message": "Account locked."}

    strategy = LocalStrategy(with_info)
    good = await run_strategy(strategy, method="POST", form={"username": "a", "password": "pw"})
    assert good == Success({"u": "a"}, {"message": "hi", "scopes": ["read"]}, scopes=("read",))
    bad = await run_strategy(strategy, method="POST", form={"username": "a", "password": "x"})
    assert bad == Fail(message="Account locked.")


async def test_pass_request_gives_verify_the_request() -> None:
    seen: list[str] = []

    def verify_with_request(request: HTTPConnection, username: str, password: str) -> str:
        seen.append(request.url.path)
        return username

    strategy = LocalStrategy(verify_with_request, pass_request=True)
    form = {"username": "a", "password": "pw"}
    assert await run_strategy(strategy, method="POST", path="/in", form=form) == Success("a")
    assert seen == ["/in"]


async def test_verify_exception_propagates_out_of_the_strategy() -> None:
    def broken(username: str, password: str) -> None:
        raise LookupError("db down")

    with pytest.raises(LookupError):
        await run_strategy(
            LocalStrategy(broken), method="POST", form={"username": "a", "password": "b"}
        )


async def test_form_with_bad_utf8_or_too_many_fields_is_a_400_failure() -> None:
    from gatepass.testing import build_request

    form = {"content-type": "application/x-www-form-urlencoded"}
    for body in (b"username=%ff\xff&password=x", b"&".join(b"f%d=1" % i for i in range(500))):
        request = build_request(method="POST", body=body, headers=form)
        outcome = await LocalStrategy(verify).authenticate(request)
        assert outcome == Fail.missing("The form body cannot be read.")


async def test_multipart_form_is_read_too() -> None:
    from gatepass.testing import build_request

    boundary = "xyz"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="username"\r\n\r\na\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="password"\r\n\r\npw\r\n'
        f"--{boundary}--\r\n"
    ).encode()
    request = build_request(
        method="POST",
        body=body,
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )
    outcome = await LocalStrategy(verify).authenticate(request)
    assert outcome == Success({"email": "a"})


class EndlessBody:
    """An ASGI receive that streams 16 KiB chunks, counting what was read."""

    def __init__(self, total: int, chunk: bytes = b"x" * 16384) -> None:
        self.left = total
        self.chunk = chunk
        self.read = 0

    async def __call__(self) -> Message:
        piece = self.chunk[: self.left]
        self.left -= len(piece)
        self.read += len(piece)
        return {"type": "http.request", "body": piece, "more_body": self.left > 0}


def _streamed_request(content_type: str, receive: EndlessBody, **headers: str) -> Request:
    raw = [(b"content-type", content_type.encode())]
    raw += [(k.encode(), v.encode()) for k, v in headers.items()]
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/login",
        "headers": raw,
        "query_string": b"",
    }
    return Request(scope, receive)


@pytest.mark.parametrize("content_type", ["application/json", "application/x-www-form-urlencoded"])
async def test_an_oversized_body_is_refused_after_reading_at_most_the_cap(
    content_type: str,
) -> None:
    body = EndlessBody(8 * 1024 * 1024)  # no Content-Length: sent chunked
    outcome = await LocalStrategy(verify).authenticate(_streamed_request(content_type, body))
    assert isinstance(outcome, Fail)
    assert (outcome.status, outcome.code) == (413, "payload_too_large")
    assert body.read <= 64 * 1024 + 16384


async def test_an_announced_oversized_body_is_refused_before_reading_it() -> None:
    body = EndlessBody(1024 * 1024)
    request = _streamed_request("application/json", body, **{"content-length": str(1024 * 1024)})
    outcome = await LocalStrategy(verify, max_body_size=1024).authenticate(request)
    assert isinstance(outcome, Fail)
    assert outcome.status == 413
    assert body.read == 0


async def test_the_body_stays_readable_by_the_app_after_the_strategy() -> None:
    from gatepass.testing import build_request

    request = build_request(method="POST", form={"username": "a", "password": "pw"})
    assert await LocalStrategy(verify).authenticate(request) == Success({"email": "a"})
    async with request.form() as form:
        assert form["username"] == "a"


async def test_a_sync_verify_runs_in_a_worker_thread_off_the_event_loop() -> None:
    threads: list[int] = []

    def blocking_verify(username: str, password: str) -> str:
        threads.append(threading.get_ident())
        with pytest.raises(RuntimeError):
            asyncio.get_running_loop()  # no event loop here: a worker thread
        return username

    form = {"username": "a", "password": "pw"}
    outcome = await run_strategy(LocalStrategy(blocking_verify), method="POST", form=form)
    assert outcome == Success("a")
    assert threads
    assert threading.get_ident() not in threads


async def test_an_async_verify_runs_on_the_event_loop() -> None:
    threads: list[int] = []

    async def averify(username: str, password: str) -> str:
        threads.append(threading.get_ident())
        return username

    form = {"username": "a", "password": "pw"}
    assert await run_strategy(LocalStrategy(averify), method="POST", form=form) == Success("a")
    assert threads == [threading.get_ident()]


async def test_deeply_nested_json_is_a_400_failure_not_an_error() -> None:
    from gatepass.testing import build_request

    body = b"[" * 5000 + b"]" * 5000
    request = build_request(method="POST", body=body, headers={"content-type": "application/json"})
    outcome = await LocalStrategy(verify).authenticate(request)
    assert outcome == Fail.missing("The request body is not valid JSON.")


async def test_an_oversized_login_body_answers_413_through_the_authenticator() -> None:
    from gatepass.authenticator import Authenticator
    from gatepass.testing import build_request

    auth = Authenticator()
    auth.use(LocalStrategy(verify, max_body_size=1024))
    request = build_request(method="POST", form={"username": "a", "password": "x" * 2048})
    response = await auth.authenticate(request, "local", session=False)
    assert response is not None
    assert response.status_code == 413
    assert b'"payload_too_large"' in response.body
