"""Proxmox VE API simulator device (one node per device), built from the PVE 9.1 reference.

`factory` wires the device (device.py) to its routing table (routes.py).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from .device import PveDevice
from .routes import EFFECTS, HANDLERS
from .state import STATE_VERSION, initial_state

TASK_SECONDS_ENV = "FLEET_PVE_TASK_SECONDS"


class PveFactory:
    """Builds PVE devices; `clock` and `task_seconds` are injectable for tests."""

    kind = "pve"

    def __init__(self, clock: Callable[[], float] = time.time, task_seconds: float | None = None):
        self.clock = clock
        # how long a task (clone, resize, start…) runs; FLEET_PVE_TASK_SECONDS for a process
        if task_seconds is None:
            task_seconds = float(os.environ.get(TASK_SECONDS_ENV, "0.5"))
        self.task_seconds = task_seconds

    def __call__(self, name: str, index: int, state: dict[str, Any] | None, seed: int):
        if state is None or state.get("version") != STATE_VERSION:
            state = initial_state(name, index, seed, self.clock(), self.task_seconds)
        return PveDevice(name, state, self.clock, HANDLERS, EFFECTS)


factory = PveFactory()

__all__ = ["PveDevice", "PveFactory", "factory"]
