"""A package's public names imported from their modules when first used (PEP 562): what
``dvchub.demo`` and ``dvchub.simulate`` expose without importing their sections' libraries."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping


def lazy_names(package: str, home: Mapping[str, str]) -> Callable[[str], object]:
    """``package``'s module ``__getattr__``: ``name`` from ``package.<home[name]>``."""

    def attribute(name: str) -> object:
        module = home.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{module}"), name)

    return attribute


__all__ = ["lazy_names"]
