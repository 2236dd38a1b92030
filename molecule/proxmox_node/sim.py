"""Start or stop a scenario's simulated Proxmox VE node: `python sim.py start|stop DIR`.

start: one PVE simulator process (fleet.lab.sim.service) with the lab lycée's node, TLS with its
own CA; writes DIR/<inventory host>.json with what the generated inventory and the lab overlay
give the node (API URL, CA, credentials file, and the registry's desired objects).
stop: stops the simulator. Shared by the proxmox_node and proxmox_guests scenarios.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from fleet.fsutil import atomic_write
from fleet.inventory import site_inventory
from fleet.lab.sim import service
from fleet.registry.read import load_registry

PROJECT = Path(__file__).resolve().parents[2]
SITE = "0450050K"


def start(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    registry = load_registry(PROJECT / "inventories" / "lab")
    doc = service.start(directory / "run", "pve", directory / "state", names=[SITE],
                        listen="127.100.0.1", port=0)  # fmt: skip
    device = doc["devices"][0]
    credentials = directory / f"{SITE}.credentials.json"
    atomic_write(credentials, json.dumps({"token_id": device["token_id"],
                                          "token_secret": device["token_secret"]}), mode=0o600)  # fmt: skip
    inventory = site_inventory(registry, SITE)
    for host in inventory["proxmox_nodes"]["hosts"]:
        hostvars = dict(inventory["_meta"]["hostvars"][host])
        hostvars.update(
            fleet_pve_api_url=device["url"],
            fleet_pve_api_ca=device["ca"],
            fleet_pve_api_credentials_file=str(credentials),
            proxmox_guests_wait_ssh=False,  # no guest OS here: the API objects only
        )
        hostvars.pop("ansible_python_interpreter", None)  # Molecule's inventory sets it
        hostvars.pop("ansible_host", None)
        (directory / f"{host}.json").write_text(json.dumps(hostvars, indent=1))


def stop(directory: Path) -> None:
    service.stop(directory / "run", "pve")


if __name__ == "__main__":
    {"start": start, "stop": stop}[sys.argv[1]](Path(sys.argv[2]))
