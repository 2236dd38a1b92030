"""The lab is a list of components brought up and down in order.

A component (the container hosts today; the Proxmox VE, OPNsense and opsiconfd simulators and
fakenos switches next) implements `LabComponent`. To add one, write a class with `name`, `up`,
`down` and `status`, and add its "module:Class" to `COMPONENTS`: it is imported only when the lab
runs, so `fleet --help` stays light.

A component that gives inventory hosts connection details writes them with
`fleet.lab.state.write_overlay(project_root, self.name, entries)`; `hosts.json` is the merge.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from fleet.errors import Locked
from fleet.lab.progress import Event, ProgressFn, emitter

# Brought up in this order, taken down in reverse.
COMPONENTS: list[str] = [
    "fleet.lab.hosts:ContainerHosts",
    "fleet.lab.sim.component:PveSimulator",
    "fleet.lab.sim.component:OpnsenseSimulator",
    "fleet.lab.sim.component:OpsiSimulator",
]


def group_hosts(
    inventory: dict[str, Any], group: str, seen: frozenset[str] = frozenset()
) -> set[str]:
    """Hosts of an inventory group (YAML inventory dict), its children's included."""
    entry = inventory.get(group) or {}
    hosts = set(entry.get("hosts", []))
    for child in entry.get("children", []):
        if child not in seen:
            hosts |= group_hosts(inventory, child, seen | {group})
    return hosts


@dataclass
class LabContext:
    project_root: Path
    inventory: dict[str, Any] | None = None  # the lab registry's inventory (`--list` shape), for up
    progress: ProgressFn | None = None
    options: dict[str, Any] = field(default_factory=dict)
    registry_path: Path | None = None  # the lab registry, for the inventory `up` writes
    command: str = "fleet lab"  # recorded in the lab lock so a second run can name its holder

    def say(
        self, stage: str, message: str, step: int | None = None, total: int | None = None
    ) -> None:
        emitter(self.progress)(Event(stage, message, step, total))


@dataclass
class Status:
    """One thing the lab runs: a host, a simulator, a switch."""

    component: str
    name: str  # inventory hostname or simulator name
    state: str  # running | stopped | missing
    healthy: bool
    endpoint: str | None = None  # e.g. "127.0.0.1:40123"
    site: str | None = None
    kind: str | None = None  # e.g. the host's group, a simulator's API
    detail: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@runtime_checkable
class LabComponent(Protocol):
    name: str

    def up(self, ctx: LabContext) -> list[Status]:
        """Make the component run (idempotent; repairs what is missing) and report it."""

    def down(self, ctx: LabContext) -> list[str]:
        """Remove everything `up` made; return what was removed."""

    def status(self, ctx: LabContext) -> list[Status]:
        """Report without changing anything."""


def load_components(names: list[str] | None = None) -> list[LabComponent]:
    found = []
    for spec in names if names is not None else COMPONENTS:
        module_name, attr = spec.split(":")
        component = getattr(importlib.import_module(module_name), attr)()
        found.append(component)
    return found


def lock_path(project_root: Path) -> Path:
    return Path(project_root).resolve() / ".fleet" / "locks" / "lab.lock"


@contextmanager
def lab_lock(project_root: Path, command: str = "fleet lab") -> Iterator[None]:
    """One `up`/`down` at a time per project. A second one does not wait: it fails with exit 4
    (Locked) naming the holder (user, pid, command, since). The kernel drops the lock when its
    holder dies, so a crashed `up` never leaves the lab locked."""
    from fleet.runner.lock import SiteLock, describe

    lock = SiteLock(lock_path(project_root).parent, "lab", command)
    try:
        lock.acquire()
    except Locked as exc:
        holder = getattr(exc, "holder", {})
        error = Locked(f"the lab is busy: {describe(holder)} holds {lock.path}")
        error.holder = holder
        raise error from None
    try:
        yield
    finally:
        lock.release()


def lab_up(ctx: LabContext, components: list[LabComponent] | None = None) -> list[Status]:
    result: list[Status] = []
    with lab_lock(ctx.project_root, ctx.command):
        for component in components if components is not None else load_components():
            result.extend(component.up(ctx))
        if ctx.registry_path is not None:
            from fleet.lab.inventory import write_inventory

            write_inventory(ctx.project_root, ctx.registry_path)
    return result


def lab_status(ctx: LabContext, components: list[LabComponent] | None = None) -> list[Status]:
    result: list[Status] = []
    for component in components if components is not None else load_components():
        result.extend(component.status(ctx))
    return result


def lab_down(ctx: LabContext, components: list[LabComponent] | None = None) -> list[str]:
    from fleet.lab import state

    removed: list[str] = []
    with lab_lock(ctx.project_root, ctx.command):
        for component in reversed(components if components is not None else load_components()):
            removed.extend(component.down(ctx))
        removed.extend(f"file {name}" for name in state.clear(ctx.project_root))
    return removed
