"""The lab registry's inventory with the lab's connection details: `.fleet/lab/inventory.yml`.

The lab registry (`inventories/lab/`) is an ordinary registry: its sites validate like
production and its generated inventory says nothing about ports or keys. `fleet lab up` writes
this file, the same inventory plus the connection overlay (`hosts.json`: published port, lab key,
known_hosts with strict checking), so plain Ansible works against the lab:

    ansible -i .fleet/lab/inventory.yml all -m ping

`fleet deploy` against the lab registry does not read this file: it builds each site's
inventory itself with the same overlay (fleet.lab.state.load_overlay).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from fleet.fsutil import atomic_write
from fleet.lab import state

HEADER = (
    "# Written by `fleet lab up`: the lab registry's inventory with the lab's connection details.\n"
    "# Removed by `fleet lab down`. Use: ansible -i .fleet/lab/inventory.yml all -m ping\n"
)


def inventory_path(project_root: Path) -> Path:
    return state.lab_dir(project_root) / "inventory.yml"


def render(registry_path: Path, overlay: dict | None) -> str:
    from fleet.inventory import build, to_yaml_format
    from fleet.registry import load_registry

    registry = load_registry(Path(registry_path))
    inv = build(registry, overlay=overlay)
    for hostvars in inv.hostvars.values():
        # API-driven hosts (firewalls, switches) run their modules on this machine: name the
        # venv's Python, or interpreter discovery may pick a pyenv shim that is not there.
        if hostvars.get("ansible_connection") == "local":
            hostvars.setdefault("ansible_python_interpreter", sys.executable)
    data = to_yaml_format(inv)
    # JSON is YAML: Ansible's yaml inventory plugin reads it as is.
    return HEADER + json.dumps(data, indent=2, sort_keys=True) + "\n"


def write_inventory(project_root: Path, registry_path: Path) -> Path:
    path = inventory_path(project_root)
    atomic_write(path, render(registry_path, state.load_overlay(project_root)), mode=0o600)
    return path
