"""Old module paths that keep working after a move, with a ``DeprecationWarning``."""

from __future__ import annotations

import sys
import warnings
from types import ModuleType

_PLUMBING = frozenset(
    {"importlib", "importlib._bootstrap", "importlib._bootstrap_external", "gatepass.strategies"}
)


def moved_module(old: str, new: ModuleType) -> None:
    """Make the module ``old`` an alias of ``new`` and warn the importer once.

    Called from the body of the module left at the old path: the import then yields
    ``new`` itself (the import system reads the module back from ``sys.modules``), so
    ``old.X is new.X`` and private names resolve too.

    Args:
        old: the old module's ``__name__``.
        new: the module it moved to.
    """
    # Point the warning at the importing line. ``warnings`` already skips the import
    # system's frozen frames; skip ``import_module`` and the package ``__getattr__``
    # that imports an old module on attribute access too.
    level = 3  # 1: this function, 2: the old module's body, 3: whoever imported it
    frame = sys._getframe(2)
    while frame.f_back is not None and frame.f_globals.get("__name__") in _PLUMBING:
        if "_bootstrap" not in frame.f_code.co_filename:
            level += 1
        frame = frame.f_back
    warnings.warn(
        f"{old} moved to {new.__name__}; import from there, or from gatepass.strategies.",
        DeprecationWarning,
        stacklevel=level,
    )
    sys.modules[old] = new
