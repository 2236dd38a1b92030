"""The simulator kinds `fleet lab sim KIND` serves: the one place a kind is named.

A kind names its device factory as "module:attr" so that choosing a kind imports only that
simulator. Nothing here assumes a transport: a kind whose devices speak SSH rather than HTTPS
is one more entry.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from fleet.errors import BadInput


@dataclass(frozen=True)
class SimKind:
    name: str  # the KIND argument, and the prefix of default device names
    factory: str  # "module:attr" of the device factory (fleet.lab.sim.base.DeviceFactory)
    default_port: int  # the product's own port, used when no --port is given
    title: str  # what it simulates, for people
    # "module:attr" of a foreground server `serve(config, on_ready) -> exit code` for a kind
    # that is not HTTPS (None: fleet.lab.sim.server); it gets the --faults text unparsed
    server: str | None = None
    # "module:attr" of its lab part class (None: fleet.lab.sim.part.Simulator, one device per
    # site); the switches part runs one device per switch host
    part: str | None = None


KINDS: dict[str, SimKind] = {
    k.name: k
    for k in (
        SimKind("pve", "fleet.lab.sim.pve:factory", 8006, "Proxmox VE API"),
        SimKind("opnsense", "fleet.lab.sim.opnsense:factory", 443, "OPNsense API"),
        SimKind("opsi", "fleet.lab.sim.opsi:factory", 4447, "opsiconfd JSON-RPC API"),
        SimKind(
            "switches",
            "fleet.lab.sim.switches:factory",
            22,
            "switches over SSH (fakenos: hp_procurve, cisco_ios)",
            server="fleet.lab.sim.switches.serve:serve",
            part="fleet.lab.sim.switches.part:SwitchSimulator",
        ),
    )
}


def load_server(kind: str):
    """The foreground server of a kind: its own (`SimKind.server`) or the HTTPS one."""
    target = KINDS[kind].server if kind in KINDS else None
    module_name, _, attr = (target or "fleet.lab.sim.server:serve").partition(":")
    return getattr(importlib.import_module(module_name), attr)


def load_factory(kind: str, target: str | None = None):
    """The device factory of a simulator kind (or of an explicit `module:attr`)."""
    if target is None:
        if kind not in KINDS:
            raise BadInput(f"unknown simulator '{kind}'; known: {', '.join(sorted(KINDS))}")
        target = KINDS[kind].factory
    module_name, _, attr = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            raise BadInput(f"simulator '{kind}' is not available: no module {module_name}") from exc
        raise
    factory = getattr(module, attr or "factory", None)
    if factory is None:
        raise BadInput(f"simulator '{kind}': {module_name} has no attribute '{attr or 'factory'}'")
    return factory
