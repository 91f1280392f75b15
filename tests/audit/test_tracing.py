"""OpenTelemetry spans, exported in memory: the steps of a login, and never a secret."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from gatepass.audit.tracing import SPAN_LOGIN, span
from gatepass.server.app import create_app
from gatepass.server.logging import SecurityLog
from gatepass.server.settings import Settings
from server.server_helpers import PASSWORD, bearer, fast_hasher, register, token_pair

EMAIL = "ada@example.com"


@pytest.fixture(scope="module")
def exporter() -> Iterator[InMemorySpanExporter]:
    """The process's tracer provider (set once, as an app would), exporting in memory.

    Shut down after this module, so the spans of later tests are not kept.
    """
    memory = InMemorySpanExporter()
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    provider.add_span_processor(SimpleSpanProcessor(memory))
    yield memory
    memory.shutdown()


@pytest.fixture
def spans(exporter: InMemorySpanExporter) -> InMemorySpanExporter:
    """The exporter, emptied before the test."""
    exporter.clear()
    return exporter


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """A client of a fresh server."""
    app = create_app(
        Settings(data_dir=tmp_path / "data"), hasher=fast_hasher(), security=SecurityLog()
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            yield http


def _named(finished: tuple[ReadableSpan, ...], name: str) -> list[ReadableSpan]:
    return [item for item in finished if item.name == name]


async def test_a_login_is_traced_through_hashing_store_and_token_checks(
    client: httpx.AsyncClient, spans: InMemorySpanExporter
) -> None:
    await register(client)
    pair = await token_pair(client)
    await client.post("/auth/token", json={"email": EMAIL, "password": "wrong password"})
    assert (await client.get("/api/me", headers=bearer(pair["access_token"]))).is_success
    await client.get("/api/me", headers=bearer("not.a.token"))
    finished = spans.get_finished_spans()
    logins = _named(finished, "gatepass.login")
    assert [item.attributes["gatepass.outcome"] for item in logins if item.attributes] == [
        "success",
        "failure",
    ]
    assert _named(finished, "gatepass.password.hash")  # registration
    verifies = _named(finished, "gatepass.password.verify")
    assert len(verifies) >= 2
    # The password check runs inside the login span, in a worker thread.
    login_ids = {item.context.span_id for item in logins if item.context}
    assert all(item.parent and item.parent.span_id in login_ids for item in verifies[-2:])
    stores = _named(finished, "gatepass.store")
    assert stores
    assert {item.attributes.get("gatepass.store") for item in stores if item.attributes} == {
        "users"
    }
    tokens = _named(finished, "gatepass.token.verify")
    refused = [item for item in tokens if item.attributes and "error.type" in item.attributes]
    # A refused token is checked by the fast /api/me path, then by the route that answers.
    assert len(tokens) - len(refused) == 1
    assert refused
    assert all(item.status.status_code == trace.StatusCode.ERROR for item in refused)


async def test_no_span_attribute_or_name_holds_a_secret(
    client: httpx.AsyncClient, spans: InMemorySpanExporter
) -> None:
    await register(client)
    pair = await token_pair(client)
    await client.get("/api/me", headers=bearer(pair["access_token"]))
    await client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    secrets = [PASSWORD, EMAIL, pair["access_token"], pair["refresh_token"]]
    finished = spans.get_finished_spans()
    assert finished
    for item in finished:
        text = item.name + repr(dict(item.attributes or {}))
        text += repr([dict(event.attributes or {}) for event in item.events])
        assert not any(secret in text for secret in secrets), item.name


def test_an_error_inside_a_span_is_recorded_by_type_without_its_message(
    spans: InMemorySpanExporter,
) -> None:
    with pytest.raises(ValueError, match=r"ada@example\.com"), span(SPAN_LOGIN):
        raise ValueError("ada@example.com")
    [item] = spans.get_finished_spans()
    assert item.attributes is not None
    assert item.attributes["error.type"] == "ValueError"
    assert item.status.status_code == trace.StatusCode.ERROR
    assert item.events == ()


def test_spans_are_no_ops_without_a_configured_tracer_provider() -> None:
    # A process of its own: the tracer provider is set once per process.
    code = (
        "from gatepass.audit import tracing\n"
        "assert tracing.span('gatepass.login') is tracing._NOOP\n"
        "with tracing.span('gatepass.login') as current:\n"
        "    assert current is None\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
