"""Modules imported when first used, by the standard library's own `importlib.util.LazyLoader`:
a `kefu` command pays only for the modules it touches (`kefu --version` imports no ORM).

Before Python 3.12.3 two threads touching one not-yet-loaded lazy module could see it half made
(CPython gh-112215), so whatever starts threads (`KefuApp`, for its workers) calls `load_all` first."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

_LAZY: list[ModuleType] = []


def module(name: str) -> ModuleType:
    """`name`, to be imported at the first attribute read (at once if already imported)."""
    found = sys.modules.get(name)
    if found is not None:
        return found
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    lazy = importlib.util.module_from_spec(spec)
    sys.modules[name] = lazy
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, lazy)  # `kefu.core.services` reads as after an import
    loader.exec_module(lazy)
    _LAZY.append(lazy)
    return lazy


def load_all() -> None:
    """Load every lazy module now, in this thread (before starting others)."""
    for lazy in _LAZY:
        getattr(lazy, "__name__", None)
