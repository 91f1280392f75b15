"""Deprecated path: the module moved to ``gatepass.strategies.oauth.providers``."""

from gatepass.strategies._moved import moved_module
from gatepass.strategies.oauth import providers as _new
from gatepass.strategies.oauth.providers import *  # noqa: F403 (the names type checkers see)

moved_module(__name__, _new)
