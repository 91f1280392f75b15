"""The access log never carries a query string (an OAuth ``code`` or ``state``)."""

from __future__ import annotations

import logging
import logging.config

import pytest

from gatepass.server.logging import StripQueryFilter, uvicorn_log_config

CALLBACK = "/auth/github/callback?code=secret-code-123&state=secret-state-456"


@pytest.fixture
def access_logger() -> logging.Logger:
    """A logger configured as ``uvicorn_log_config`` configures ``uvicorn.access``."""
    config = uvicorn_log_config("info")
    spec = config["loggers"]["uvicorn.access"]
    logger = logging.getLogger("gatepass.test.access")
    logger.filters.clear()
    for name in spec["filters"]:
        factory = config["filters"][name]["()"]
        logger.addFilter(factory())
    return logger


def test_callback_code_and_state_are_not_logged(
    access_logger: logging.Logger, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger=access_logger.name):
        # The call uvicorn's access logger makes for each request.
        access_logger.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", CALLBACK, "1.1", 303)
    assert caplog.messages == ['127.0.0.1:5000 - "GET /auth/github/callback HTTP/1.1" 303']


def test_the_filter_keeps_records_without_a_path() -> None:
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, "plain", None, None)
    assert StripQueryFilter().filter(record) is True
    assert record.getMessage() == "plain"


def test_the_log_config_is_accepted_by_dictconfig() -> None:
    config = uvicorn_log_config("info")
    # Only the parts under test: a bad filter spec would raise here.
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "filters": config["filters"],
            "loggers": {"gatepass.test.dictconfig": {"filters": ["gatepass_strip_query"]}},
        }
    )
    assert any(
        isinstance(item, StripQueryFilter)
        for item in logging.getLogger("gatepass.test.dictconfig").filters
    )
