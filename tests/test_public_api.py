"""The public face: every name in ``__all__`` exists, and subpackages export their nouns."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import gatepass

SUBPACKAGES = [
    "gatepass",
    "gatepass.authenticator",
    "gatepass.integrations",
    "gatepass.passwords",
    "gatepass.security",
    "gatepass.sessions",
    "gatepass.strategies",
    "gatepass.strategies.oauth",
    "gatepass.tokens",
    "gatepass.tokens.stores",
    "gatepass.users",
]


@pytest.mark.parametrize("module_name", SUBPACKAGES)
def test_every_name_in_all_resolves(module_name: str) -> None:
    module = importlib.import_module(module_name)
    exported: list[str] = module.__all__
    assert exported, f"{module_name} exports nothing"
    assert len(exported) == len(set(exported))
    for name in exported:
        assert getattr(module, name) is not None, f"{module_name}.{name}"


def test_top_level_exports_the_seed_flow_nouns() -> None:
    wanted = {"Authenticator", "LocalStrategy", "JWTStrategy", "SessionMiddleware", "jwt"}
    assert wanted <= set(gatepass.__all__)


def test_importing_gatepass_loads_no_optional_driver() -> None:
    # The SQL, Redis and rate-limit drivers are extras: `import gatepass` must not need them.
    code = (
        "import sys, gatepass; "
        "print(sorted(m for m in ('sqlalchemy', 'redis', 'limits', 'aiosqlite', 'asyncpg') "
        "if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
