"""URL routing of `/api/<module>/<controller>/<action>[/<params>]`.

OPNsense maps snake_case and camelCase to the same PHP class and method, and PHP method names are
case-insensitive, so a route key is the lower-cased name without underscores. The table itself
(documented path → handler) is routes.py.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Handler = Callable[..., Any]


def key(module: str, controller: str, action: str) -> tuple[str, str, str]:
    return tuple(p.replace("_", "").lower() for p in (module, controller, action))  # type: ignore[return-value]


def path_key(path: str) -> tuple[str, str, str]:
    """The key of a documented path like `/api/firewall/alias/searchItem`."""
    module, controller, action = path.strip("/").split("/")[1:4]
    return key(module, controller, action)


class Router:
    """Finds the handler of a request path the way OPNsense matches it."""

    def __init__(self, table: Mapping[str, Handler]):
        self._handlers: dict[tuple[str, str, str], Handler] = {}
        for path, handler in table.items():
            k = path_key(path)
            if k in self._handlers:
                raise ValueError(f"route {path} is served twice")
            self._handlers[k] = handler

    def served_keys(self) -> set[tuple[str, str, str]]:
        return set(self._handlers)

    def resolve(self, path: str) -> tuple[Handler, list[str]] | None:
        parts = path.split("/")
        # "", "api", module, controller, action, params…
        if len(parts) < 5 or parts[0] != "" or parts[1] != "api":
            return None
        handler = self._handlers.get(key(parts[2], parts[3], parts[4]))
        if handler is None:
            return None
        params = parts[5:]
        while params and params[-1] == "":
            params.pop()
        return handler, params
