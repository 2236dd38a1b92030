"""The lab registry's inventory with the lab's connection details: `.fleet/lab/inventory.yml`.

The lab registry (`inventories/lab/`) is an ordinary registry: its sites validate like
production and its generated inventory says nothing about ports or keys. `fleet lab up` writes
this file, the same inventory plus the connection overlay (`hosts.json`: published port, lab key,
known_hosts with strict checking), so plain Ansible works against the lab:

    ansible -i .fleet/lab/inventory.yml all -m ping

`fleet deploy` against the lab registry does not read this file: it builds each site's
inventory with the same code and the same overlay (fleet.inventory, `hosts.json`).
"""

from __future__ import annotations

from pathlib import Path

from fleet.fsutil import atomic_write
from fleet.lab import state


def inventory_path(project_root: Path) -> Path:
    return state.lab_dir(project_root) / "inventory.yml"


def render(registry_path: Path, overlay: dict | None) -> str:
    from fleet.inventory import whole_file
    from fleet.registry import load_registry

    return whole_file(load_registry(Path(registry_path)), overlay)


def write_inventory(project_root: Path, registry_path: Path) -> Path:
    path = inventory_path(project_root)
    atomic_write(path, render(registry_path, state.load_overlay(project_root)), mode=0o600)
    return path
