"""Start or stop the scenario's simulated firewalls: `python sim.py start|stop DIR`.

start: one OPNsense simulator process (fleet.lab.sim.service) with the lab registry's two
sites, the lycée on 26.1 (savepoints) and the collège on 26.7, TLS with its own CA; writes
DIR/<inventory host>.json with what the generated inventory and the lab overlay give each
firewall (API URL, CA, credentials file, and the registry's desired objects).
stop: stops the simulator.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from fleet.fsutil import atomic_write
from fleet.inventory import site_inventory
from fleet.lab.sim import service
from fleet.lab.sim.opnsense.releases import ENV
from fleet.registry.read import load_registry

PROJECT = Path(__file__).resolve().parents[2]
SITES = {"0450050K": "26.1", "0180120H": "26.7.2"}


def start(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    registry = load_registry(PROJECT / "inventories" / "lab")
    os.environ[ENV] = ",".join(f"{uai}={version}" for uai, version in SITES.items())
    doc = service.start(directory / "run", "opnsense", directory / "state", names=sorted(SITES),
                        listen="127.100.0.1", port=0)  # fmt: skip
    devices = {d["name"]: d for d in doc["devices"]}
    for uai in SITES:
        inventory = site_inventory(registry, uai)
        for host in inventory["opnsense"]["hosts"]:
            hostvars = dict(inventory["_meta"]["hostvars"][host])
            device = devices[uai]
            credentials = directory / f"{uai}.credentials.json"
            atomic_write(credentials, json.dumps({"key": device["key"], "secret": device["secret"]}),
                         mode=0o600)  # fmt: skip
            hostvars.update(
                fleet_opnsense_api_url=device["url"],
                fleet_opnsense_api_ca=device["ca"],
                fleet_opnsense_api_credentials_file=str(credentials),
            )
            hostvars.pop("ansible_python_interpreter", None)  # Molecule's inventory sets it
            (directory / f"{host}.json").write_text(json.dumps(hostvars, indent=1))


def stop(directory: Path) -> None:
    service.stop(directory / "run", "opnsense")


if __name__ == "__main__":
    {"start": start, "stop": stop}[sys.argv[1]](Path(sys.argv[2]))
