"""Module attributes resolved on first use: optional extras and deprecated names.

A package re-exports the stores of its optional extras (``gatepass[sql]``,
``gatepass[redis]``, ``gatepass[ratelimit]``) without importing their drivers until an
app touches one (PEP 562 module ``__getattr__``).
"""

from __future__ import annotations

import importlib
import sys
import warnings
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_attributes"]


def lazy_attributes(
    package: str,
    names: Mapping[str, str],
    *,
    deprecated: Mapping[str, str] | None = None,
) -> Callable[[str], Any]:
    """Build a package's ``__getattr__`` that imports each name from its module when asked.

    Args:
        package: the package's ``__name__``.
        names: attribute name -> the module that defines it.
        deprecated: attribute name -> what to use instead; asking for one of these
            warns with a ``DeprecationWarning`` every time.

    Returns:
        The function to assign to ``__getattr__`` in the package.
    """
    renamed = dict(deprecated or {})

    def __getattr__(name: str) -> Any:
        where = names.get(name)
        if where is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(where), name)
        if name in renamed:
            message = f"{package}.{name} is deprecated; use {renamed[name]}."
            warnings.warn(message, DeprecationWarning, stacklevel=2)
        else:
            # Later lookups find the name directly, without this function.
            setattr(sys.modules[package], name, value)
        return value

    return __getattr__
