"""opsiconfd 4.3 simulator device (JSON-RPC on /rpc, WebDAV repository, .opsi installation).

`factory` wires the device (device.py) to its method table (routes.py).
"""

from __future__ import annotations

from typing import Any

from .device import OpsiDevice
from .routes import METHODS


class OpsiFactory:
    kind = "opsi"

    def __call__(
        self, name: str, index: int, state: dict[str, Any] | None, seed: int
    ) -> OpsiDevice:
        return OpsiDevice(name, index, state, seed, METHODS)


factory = OpsiFactory()

__all__ = ["OpsiDevice", "factory"]
