"""The lab is a list of parts brought up and down in order.

A part is something the lab runs for the sites of the lab registry: the container hosts (the
sites' Linux hosts) and one API simulator per kind the component table needs (Proxmox VE,
OPNsense, opsiconfd; fakenos switches next). Each implements `LabPart` (`name`, `up`, `down`,
`status`). The list (fleet.lab.control) is derived from the component table
(fleet/components.py): a component's `lab_simulator` names the simulator kind it needs.

A part that gives inventory hosts connection details writes them with
`fleet.lab.state.write_overlay(project_root, self.name, entries)`; `hosts.json` is the merge.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from fleet.lab.progress import Event, ProgressFn, emitter


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
    """One thing the lab runs: a host, a simulator device, a switch."""

    part: str  # the part that runs it ("hosts", "sim_pve", …)
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
class LabPart(Protocol):
    name: str

    def up(self, ctx: LabContext) -> list[Status]:
        """Make the part run (idempotent; repairs what is missing) and report it."""

    def down(self, ctx: LabContext) -> list[str]:
        """Remove everything `up` made; return what was removed."""

    def status(self, ctx: LabContext) -> list[Status]:
        """Report without changing anything."""
