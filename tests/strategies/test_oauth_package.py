"""OAuth lives in ``gatepass.strategies.oauth``; the old module paths keep working, warned."""

from __future__ import annotations

import importlib
import sys
from types import ModuleType

import pytest

import gatepass
import gatepass.strategies
from gatepass.strategies import oauth

OLD_PATHS = ["oauth2", "oidc", "providers"]


def forget(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Make the next import of the old path run its module again (restored afterwards)."""
    monkeypatch.delitem(sys.modules, f"gatepass.strategies.{name}", raising=False)
    # ``providers`` stays: it is also the package's own re-export. (``vars``, as
    # ``hasattr`` would import the old module through the package's ``__getattr__``.)
    if name != "providers" and name in vars(gatepass.strategies):
        monkeypatch.delattr(gatepass.strategies, name)


@pytest.mark.parametrize("name", OLD_PATHS)
def test_importing_an_old_module_path_warns_and_gives_the_moved_module(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    forget(monkeypatch, name)
    with pytest.warns(DeprecationWarning, match=rf"moved to gatepass\.strategies\.oauth\.{name}"):
        old = importlib.import_module(f"gatepass.strategies.{name}")
    new = importlib.import_module(f"gatepass.strategies.oauth.{name}")
    assert old is new


@pytest.mark.parametrize("name", OLD_PATHS)
def test_the_warning_points_at_the_importing_line(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    forget(monkeypatch, name)
    with pytest.warns(DeprecationWarning, match="moved to") as caught:
        exec(f"import gatepass.strategies.{name}", {})  # noqa: S102 (a fixed import line)
    assert caught[0].filename == "<string>"


def test_old_names_still_import_from_the_old_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in OLD_PATHS:
        forget(monkeypatch, name)
        with pytest.warns(DeprecationWarning, match="moved to"):
            importlib.import_module(f"gatepass.strategies.{name}")
    from gatepass.strategies.oauth2 import OAuth2Strategy, userinfo_profile
    from gatepass.strategies.oidc import OIDCStrategy, standard_profile
    from gatepass.strategies.providers import github, microsoft_profile

    assert OAuth2Strategy is gatepass.strategies.OAuth2Strategy
    assert OIDCStrategy is gatepass.strategies.OIDCStrategy
    assert userinfo_profile is oauth.userinfo_profile
    assert standard_profile is oauth.standard_profile
    assert github is oauth.providers.github
    assert microsoft_profile is oauth.providers.microsoft_profile


@pytest.mark.parametrize("name", ["oauth2", "oidc"])
def test_old_module_as_an_attribute_of_the_package_warns(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    forget(monkeypatch, name)
    with pytest.warns(DeprecationWarning, match="moved to"):
        module = getattr(gatepass.strategies, name)
    assert isinstance(module, ModuleType)
    assert module is importlib.import_module(f"gatepass.strategies.oauth.{name}")


def test_the_documented_imports_do_not_warn() -> None:
    # Warnings are errors in this suite: these lines would fail if they warned.
    from gatepass.strategies import OAuth2Strategy, OIDCStrategy, providers

    assert providers is oauth.providers
    assert OAuth2Strategy is oauth.OAuth2Strategy
    assert OIDCStrategy is oauth.OIDCStrategy


def test_the_public_oauth_names_stay_where_they_were() -> None:
    for name in ["OAuth2Strategy", "OIDCStrategy", "ProfileRequest", "ProviderProfile"]:
        assert name in gatepass.strategies.__all__
        assert getattr(gatepass.strategies, name) is getattr(oauth, name)
    assert "providers" in gatepass.strategies.__all__


def test_an_unknown_attribute_of_strategies_is_still_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'oauth3'"):
        _ = gatepass.strategies.oauth3
