"""The public face of the token-state modules: ``__all__`` lists what resolves."""

from __future__ import annotations

import importlib

import pytest

MODULES = [
    "gatepass.tokens.refresh",
    "gatepass.tokens.revocation",
    "gatepass.tokens.service",
    "gatepass.tokens.stores",
    "gatepass.tokens.stores.base",
    "gatepass.tokens.stores.memory",
    "gatepass.tokens.stores.sqlite",
    "gatepass.tokens.stores.redis",
    "gatepass.security.ratelimit",
]


@pytest.mark.parametrize("name", MODULES)
def test_every_name_in_all_resolves(name: str) -> None:
    module = importlib.import_module(name)

    assert module.__all__ == sorted(module.__all__)
    for public in module.__all__:
        assert getattr(module, public) is not None


def test_stores_package_exports_every_store_class() -> None:
    stores = importlib.import_module("gatepass.tokens.stores")
    defined = {
        name
        for module in ("memory", "sqlite", "redis", "base")
        for name in importlib.import_module(f"gatepass.tokens.stores.{module}").__all__
    }

    assert defined <= set(stores.__all__)


def test_stores_package_refuses_unknown_names() -> None:
    stores = importlib.import_module("gatepass.tokens.stores")

    with pytest.raises(AttributeError):
        _ = stores.NoSuchStore
