"""OpenTelemetry spans around the costly steps of authentication, no-op by default.

gatepass uses only ``opentelemetry-api`` (the ``otel`` extra). Without it, or without
an SDK configured by the app or by ``opentelemetry-instrument`` from the standard
``OTEL_*`` variables, every span is the API's no-op span and costs a function call.
Attributes name what happened (``gatepass.outcome``), never a secret, token, email
or password (CWE-532).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any, Final

SPAN_LOGIN: Final = "gatepass.login"
SPAN_TOKEN_VERIFY: Final = "gatepass.token.verify"  # noqa: S105 (a span name)
SPAN_PASSWORD_HASH: Final = "gatepass.password.hash"  # noqa: S105 (a span name)
SPAN_PASSWORD_VERIFY: Final = "gatepass.password.verify"  # noqa: S105 (a span name)
SPAN_STORE: Final = "gatepass.store"

try:
    from opentelemetry import trace as _trace
except ImportError:  # the ``otel`` extra is not installed: spans are no-ops
    _trace = None  # type: ignore[assignment]


def span(name: str, **attributes: str | int | bool) -> AbstractContextManager[Any]:
    """A span named ``name`` around a block, or a no-op without OpenTelemetry.

    An exception inside the block is recorded on the span (type only, never its
    message) and re-raised.

    Args:
        name: one of the ``SPAN_*`` names.
        **attributes: span attributes, prefixed ``gatepass.``; never secrets.

    Returns:
        A context manager yielding the span (or ``None``).
    """
    if _trace is None:
        return nullcontext()
    return _span(name, attributes)


@contextmanager
def _span(name: str, attributes: dict[str, str | int | bool]) -> Iterator[Any]:
    tracer = _trace.get_tracer("gatepass")
    # The exception's message may quote input (a token, an email): record the
    # type only (OWASP Logging Cheat Sheet, CWE-532).
    with tracer.start_as_current_span(
        name, record_exception=False, set_status_on_exception=False
    ) as current:
        for key, value in attributes.items():
            current.set_attribute(f"gatepass.{key}", value)
        try:
            yield current
        except BaseException as exc:
            current.set_attribute("error.type", type(exc).__name__)
            current.set_status(_trace.Status(_trace.StatusCode.ERROR))
            raise
