"""Deprecated path: the module moved to ``gatepass.strategies.oauth.oidc``."""

from gatepass.strategies._moved import moved_module
from gatepass.strategies.oauth import oidc as _new
from gatepass.strategies.oauth.oidc import *  # noqa: F403 (the names type checkers see)

moved_module(__name__, _new)
