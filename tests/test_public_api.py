"""The public face: each public module's ``__all__`` resolves, and the nouns users expect are there.

Sorting of ``__all__`` is ruff's RUF022; this checks what ruff cannot.
"""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import gatepass
import gatepass.jwt
import gatepass.tokens

PUBLIC_MODULES = [
    "gatepass",
    "gatepass.audit",
    "gatepass.authenticator",
    "gatepass.integrations",
    "gatepass.jwt",
    "gatepass.mail",
    "gatepass.mail.stores",
    "gatepass.mfa",
    "gatepass.passwords",
    "gatepass.security",
    "gatepass.security.ratelimit",
    "gatepass.server",
    "gatepass.sessions",
    "gatepass.strategies",
    "gatepass.strategies.extractors",
    "gatepass.strategies.oauth",
    "gatepass.testing",
    "gatepass.tokens",
    "gatepass.tokens.refresh",
    "gatepass.tokens.revocation",
    "gatepass.tokens.service",
    "gatepass.tokens.stores",
    "gatepass.tokens.stores.base",
    "gatepass.tokens.stores.memory",
    "gatepass.tokens.stores.redis",
    "gatepass.tokens.stores.sqlite",
    "gatepass.users",
]

EXPECTED = {
    "gatepass": {"Authenticator", "LocalStrategy", "JWTStrategy", "SessionMiddleware", "jwt"},
    "gatepass.audit": {"AuditEvent", "AuditSink", "AuditStore", "FanOutSink", "SQLAuditStore"},
    "gatepass.jwt": {"sign", "verify", "decode_unverified"},
    "gatepass.mail": {"OneTimeTokens", "MailTemplates", "MailSender", "SMTPTransport"},
    "gatepass.mfa": {
        "TOTPFactor",
        "MFAChallenges",
        "SecretBox",
        "RecoveryCodes",
        "SQLMFAStore",
        "PasskeyCeremonies",
    },
    "gatepass.passwords": {"PasswordHasher", "PasswordPolicy", "verify_credentials"},
    "gatepass.server": {"Settings", "create_app", "main"},
    "gatepass.tokens": {"Key", "KeySet", "RemoteKeySet", "Verifier", "VerifiedTokenCache"},
    "gatepass.users": {"User", "UserStore", "SQLUserStore", "MemoryUserStore", "normalize_email"},
}


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_every_public_name_resolves_once(module_name: str) -> None:
    module = importlib.import_module(module_name)
    exported: list[str] = module.__all__
    assert exported, f"{module_name} exports nothing"
    assert len(exported) == len(set(exported)), f"{module_name} lists a name twice"
    for name in exported:
        assert not name.startswith("_"), f"{module_name}.{name} is private"
        assert getattr(module, name) is not None, f"{module_name}.{name}"


@pytest.mark.parametrize("module_name", sorted(EXPECTED))
def test_modules_export_the_nouns_users_reach_for(module_name: str) -> None:
    assert EXPECTED[module_name] <= set(importlib.import_module(module_name).__all__)


def test_outcomes_are_the_same_classes_from_both_packages() -> None:
    from gatepass import authenticator, strategies

    for noun in ("Success", "Fail", "Redirect", "Pass", "Error", "PASS"):
        assert getattr(authenticator, noun) is getattr(strategies, noun)


def test_jwt_facade_is_the_tokens_functions() -> None:
    assert gatepass.jwt.sign is gatepass.tokens.sign
    assert gatepass.jwt.verify is gatepass.tokens.verify
    assert gatepass.jwt.decode_unverified is gatepass.tokens.decode_unverified


def test_token_stores_package_exports_every_store_and_refuses_unknown_names() -> None:
    stores = importlib.import_module("gatepass.tokens.stores")
    defined = {
        name
        for module in ("memory", "sqlite", "redis", "base")
        for name in importlib.import_module(f"gatepass.tokens.stores.{module}").__all__
    }
    assert defined <= set(stores.__all__)
    with pytest.raises(AttributeError):
        _ = stores.NoSuchStore


def test_public_token_callables_have_docstrings() -> None:
    for module in (gatepass.tokens, gatepass.jwt):
        for name in module.__all__:
            obj = getattr(module, name)
            if (callable(obj) and not name[0].isupper()) or isinstance(obj, type):
                assert obj.__doc__, name


def test_importing_gatepass_loads_no_optional_driver() -> None:
    # The SQL, Redis, rate-limit and mail drivers are extras: `import gatepass` needs none.
    code = (
        "import sys, gatepass; "
        "print(sorted(m for m in ('sqlalchemy', 'redis', 'limits', 'aiosqlite', 'asyncpg',"
        " 'aiosmtplib', 'jinja2') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
