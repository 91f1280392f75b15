"""Property-based API tests from the server's own OpenAPI schema (schemathesis).

Every generated request, fitting the schema or not, must get a documented status with
a body that matches the schema, and never a 5xx. The schemathesis pytest plugin is not
used (it does not run on this pytest); its Python API gives a Hypothesis strategy.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import BaseSchema
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from gatepass.server.app import create_app
from gatepass.server.settings import Settings
from server.server_helpers import fast_hasher

# Bodies holding what no schema can generate: a mailed token or code (a well-formed
# guess gets 400 invalid_token), a password the policy judges (422 weak_password), the
# account's own address. Every other check still runs on them.
JUDGED_BODIES = frozenset(
    {
        "/auth/register",
        "/auth/email/verify",
        "/auth/email/change",
        "/auth/password/reset",
        "/auth/login/email/verify",
    }
)


@pytest.fixture
def api_schema(tmp_path: Path) -> BaseSchema:
    """The schema of a fresh server, served in process over ASGI (lifespan included)."""
    app = create_app(Settings(data_dir=tmp_path / "data"), hasher=fast_hasher())
    return schemathesis.openapi.from_asgi("/openapi.json", app)


# schemathesis' own OpenAPI strategies call the `random` module for some schemas, which
# Hypothesis deprecates; a warning about the tool's internals, not about the server.
@pytest.mark.filterwarnings(
    "ignore:Do not use the `random` module inside strategies:"
    "hypothesis.errors.HypothesisDeprecationWarning"
)
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_api_conforms_to_its_schema(api_schema: BaseSchema, mode: GenerationMode) -> None:
    @given(case=api_schema.as_strategy(mode))
    @settings(
        max_examples=60,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case: schemathesis.Case[Any]) -> None:
        judged = case.path in JUDGED_BODIES
        case.call_and_validate(excluded_checks=[positive_data_acceptance] if judged else None)

    check()
