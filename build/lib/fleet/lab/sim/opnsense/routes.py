"""URL routing of `/api/<module>/<controller>/<action>[/<params>]`.

OPNsense maps snake_case and camelCase to the same PHP class and method, and PHP method names are
case-insensitive, so a route key is the lower-cased name without underscores. Each handler is
registered with the path the reference documents, which the contract tests compare.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Handler = Callable[..., Any]

ROUTES: dict[tuple[str, str, str], tuple[str, Handler]] = {}


def key(module: str, controller: str, action: str) -> tuple[str, str, str]:
    return tuple(p.replace("_", "").lower() for p in (module, controller, action))  # type: ignore[return-value]


def route(path: str) -> Callable[[Handler], Handler]:
    """Register a handler for a documented path like `/api/firewall/alias/searchItem`."""
    module, controller, action = path.strip("/").split("/")[1:4]

    def deco(fn: Handler) -> Handler:
        k = key(module, controller, action)
        if k in ROUTES:
            raise ValueError(f"route {path} registered twice")
        ROUTES[k] = (path, fn)
        return fn

    return deco


def resolve(path: str) -> tuple[Handler, list[str]] | None:
    parts = path.split("/")
    # "", "api", module, controller, action, params…
    if len(parts) < 5 or parts[0] != "" or parts[1] != "api":
        return None
    hit = ROUTES.get(key(parts[2], parts[3], parts[4]))
    if hit is None:
        return None
    params = [p for p in parts[5:]]
    while params and params[-1] == "":
        params.pop()
    return hit[1], params


def served_paths() -> list[str]:
    return sorted(p for p, _ in ROUTES.values())
