"""Deprecated path: the module moved to ``gatepass.strategies.oauth.oauth2``."""

from gatepass.strategies._moved import moved_module
from gatepass.strategies.oauth import oauth2 as _new
from gatepass.strategies.oauth.oauth2 import *  # noqa: F403 (the names type checkers see)

moved_module(__name__, _new)
