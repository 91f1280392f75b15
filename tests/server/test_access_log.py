"""The access log: one JSON line per request, no query string, written in batches."""

from __future__ import annotations

import io
import logging

import httpx
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from gatepass.server.logging import ACCESS_LOGGER, AccessLog, uvicorn_log_config


async def _hello(request: Request) -> PlainTextResponse:
    return PlainTextResponse("hi", status_code=201)


async def _boom(request: Request) -> PlainTextResponse:
    raise RuntimeError("broken")


def _app(stream: io.BytesIO) -> AccessLog:
    routes = [Route("/hello", _hello), Route("/boom", _boom)]
    return AccessLog(Starlette(routes=routes), stream=stream, enabled=True, clock=lambda: 1.5)


async def test_each_request_is_one_json_line_without_its_query_string() -> None:
    stream = io.BytesIO()
    log = _app(stream)
    transport = httpx.ASGITransport(app=log, client=("10.0.0.7", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        await client.get("/hello?code=secret-code&state=secret-state")
        await client.get("/hello")
    assert stream.getvalue() == b""  # batched: written within flush_every
    log.flush()
    lines = [orjson.loads(line) for line in stream.getvalue().splitlines()]
    assert len(lines) == 2
    first = lines[0]
    assert first["path"] == "/hello"
    assert first["status"] == 201
    assert first["method"] == "GET"
    assert first["client"] == "10.0.0.7"
    assert first["time"] == 1.5
    assert b"secret" not in stream.getvalue()


async def test_a_failing_request_is_logged_as_500() -> None:
    stream = io.BytesIO()
    log = _app(stream)
    transport = httpx.ASGITransport(app=log, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        await client.get("/boom")
    log.flush()
    assert orjson.loads(stream.getvalue())["status"] == 500


async def test_lines_are_written_once_enough_wait() -> None:
    stream = io.BytesIO()
    log = AccessLog(_app(io.BytesIO()).app, stream=stream, enabled=True, max_lines=3)
    transport = httpx.ASGITransport(app=log)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        for _ in range(3):
            await client.get("/hello")
    assert len(stream.getvalue().splitlines()) == 3
    log.flush()


def test_serve_logs_access_at_info_and_not_at_warning() -> None:
    info = uvicorn_log_config("info")
    assert info["loggers"][ACCESS_LOGGER]["level"] == "INFO"
    assert info["loggers"]["uvicorn.access"]["level"] == "WARNING"  # replaced by ours
    assert uvicorn_log_config("warning")["loggers"][ACCESS_LOGGER]["level"] == "WARNING"
    logger = logging.getLogger(ACCESS_LOGGER)
    assert AccessLog(_app(io.BytesIO())).enabled == logger.isEnabledFor(logging.INFO)
