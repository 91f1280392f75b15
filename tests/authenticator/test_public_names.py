"""Each subpackage re-exports its public nouns with ``__all__``."""

from __future__ import annotations

import importlib

import pytest

MODULES = [
    "gatepass.authenticator",
    "gatepass.strategies",
    "gatepass.strategies.extractors",
    "gatepass.integrations",
    "gatepass.testing",
]


@pytest.mark.parametrize("name", MODULES)
def test_all_lists_existing_public_names_sorted(name: str) -> None:
    module = importlib.import_module(name)
    exported = module.__all__
    assert exported == sorted(exported, key=lambda n: (not n.isupper(), n))
    for item in exported:
        assert not item.startswith("_")
        assert hasattr(module, item), f"{name}.{item} is listed but missing"


def test_outcomes_are_the_same_classes_from_both_packages() -> None:
    from gatepass import authenticator, strategies

    for noun in ("Success", "Fail", "Redirect", "Pass", "Error", "PASS"):
        assert getattr(authenticator, noun) is getattr(strategies, noun)
