"""The central site registry: load → validate → Registry.

Names are resolved lazily (PEP 562) so that importing a light submodule such as
`fleet.registry.enums` or `fleet.registry.summary` does not import pydantic and the models:
`fleet sites list` answers from its cache in well under 0.3 s.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Region": "fleet.registry.models",
    "Site": "fleet.registry.models",
    "Registry": "fleet.registry.registry",
    "load_registry": "fleet.registry.read",
    "read_registry": "fleet.registry.read",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'fleet.registry' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
