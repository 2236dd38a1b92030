"""Start or stop the scenario's opsi simulator: `python sim.py start|stop DIR`.

start: one opsiconfd simulator process (fleet.lab.sim.service) with the regional master and the
lab lycée's fresh depot, TLS with its own CA; writes DIR/depot1.json with what the generated
inventory and the lab overlay give the lycée's depot host (its products from the lab
registry's catalogue lock, profiles, API URLs, CAs, credentials files).
stop: stops the simulator.
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
UAI = "0450050K"


def start(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    registry = load_registry(PROJECT / "inventories" / "lab")
    doc = service.start(directory / "run", "opsi", directory / "state", names=["master", UAI],
                        listen="127.100.0.1", port=0, ca_dir=directory / "ca")  # fmt: skip
    devices = {d["name"]: d for d in doc["devices"]}
    inventory = site_inventory(registry, UAI)
    host = next(iter(inventory["opsi_depot"]["hosts"]))
    hostvars = dict(inventory["_meta"]["hostvars"][host])
    for name, prefix in ((UAI, "fleet_opsi_api"), ("master", "fleet_opsi_master_api")):
        device = devices[name]
        credentials = directory / f"{name}.credentials.json"
        atomic_write(credentials, json.dumps({"username": device["username"],
                                              "password": device["password"]}), mode=0o600)  # fmt: skip
        hostvars.update({f"{prefix}_url": device["url"], f"{prefix}_ca": device["ca"],
                         f"{prefix}_credentials_file": str(credentials)})  # fmt: skip
    hostvars["opsi_depot_id"] = devices[UAI]["depot_id"]
    for key in ("ansible_python_interpreter", "ansible_host", "ansible_port", "ansible_user"):
        hostvars.pop(key, None)  # Molecule's inventory says how to reach the container
    (directory / "depot1.json").write_text(json.dumps(hostvars, indent=1))


def stop(directory: Path) -> None:
    service.stop(directory / "run", "opsi")


if __name__ == "__main__":
    {"start": start, "stop": stop}[sys.argv[1]](Path(sys.argv[2]))
