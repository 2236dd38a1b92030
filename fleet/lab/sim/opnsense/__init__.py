"""Simulated OPNsense 26.7 REST API (`/api/<module>/<controller>/<action>`), one per lab site.

`factory` builds a device from its name and saved state, wiring it to the routing table
(routes.py); the simulator server owns transport, TLS, faults and persistence (see
fleet.lab.sim.base).
"""

from __future__ import annotations

from typing import Any

from fleet.lab.sim.opnsense.device import OPNsenseDevice, build
from fleet.lab.sim.opnsense.routes import HOOKS, ROUTER


class OPNsenseFactory:
    kind = "opnsense"

    def __call__(
        self, name: str, index: int, state: dict[str, Any] | None, seed: int
    ) -> OPNsenseDevice:
        return build(name, index, state, seed, ROUTER, HOOKS)


factory = OPNsenseFactory()

__all__ = ["OPNsenseDevice", "factory"]
