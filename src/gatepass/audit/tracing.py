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

# One shared no-op context manager (reusable): the untraced path allocates nothing.
_NOOP: Final = nullcontext()


def span(name: str, **attributes: str | int | bool) -> AbstractContextManager[Any]:
    """A span named ``name`` around a block, or a no-op unless tracing is configured.

    Tracing is on when ``opentelemetry-api`` is installed and an SDK tracer provider
    is set (by the app, or by ``opentelemetry-instrument`` from the ``OTEL_*``
    variables). An exception inside the block marks the span as an error with the
    exception's type only, never its message, and is re-raised.

    Args:
        name: one of the ``SPAN_*`` names.
        **attributes: span attributes, prefixed ``gatepass.``; never secrets.

    Returns:
        A context manager yielding the span, or ``None`` when tracing is off.
    """
    if _trace is None:
        return _NOOP
    provider = _trace.get_tracer_provider()
    if isinstance(provider, _trace.ProxyTracerProvider | _trace.NoOpTracerProvider):
        return _NOOP
    return _span(provider, name, attributes)


def annotate(current: Any, **attributes: str | int | bool) -> None:
    """Add attributes to the span ``span()`` yielded (nothing when tracing is off).

    Args:
        current: what ``with span(...) as current`` gave.
        **attributes: attributes, prefixed ``gatepass.``; never secrets.
    """
    if current is not None:
        for key, value in attributes.items():
            current.set_attribute(f"gatepass.{key}", value)


@contextmanager
def _span(provider: Any, name: str, attributes: dict[str, str | int | bool]) -> Iterator[Any]:
    tracer = provider.get_tracer("gatepass")
    # The exception's message may quote input (a token, an email): record the
    # type only (OWASP Logging Cheat Sheet, CWE-532).
    with tracer.start_as_current_span(
        name, record_exception=False, set_status_on_exception=False
    ) as current:
        annotate(current, **attributes)
        try:
            yield current
        except BaseException as exc:
            current.set_attribute("error.type", type(exc).__name__)
            current.set_status(_trace.Status(_trace.StatusCode.ERROR))
            raise
