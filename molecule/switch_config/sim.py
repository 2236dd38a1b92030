"""Start or stop the scenario's simulated switches: `python sim.py start|stop DIR`.

start: one switches simulator process (fleet.lab.sim.service) with the lab registry's switches
(named by inventory host, with platform and port count); writes DIR/<inventory host>.json with
what the generated inventory and the lab overlay give each switch (SSH address and port,
known_hosts, a 0600 credentials file with the login and the SNMP community, switch_intent).
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
SITES = ("0450050K",)  # the lab lycée: a ProCurve and a Cisco IOS switch


def start(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    registry = load_registry(PROJECT / "inventories" / "lab")
    hosts = {}
    for uai in SITES:
        inventory = site_inventory(registry, uai)
        for host in inventory["switches"]["hosts"]:
            hosts[host] = dict(inventory["_meta"]["hostvars"][host])
    names = [f"{h}@{v['switch_intent']['platform']}/{v['switch_intent']['port_count']}"
             for h, v in sorted(hosts.items())]  # fmt: skip
    doc = service.start(directory / "run", "switches", directory / "state", names=names,
                        listen="127.100.0.1", port=0)  # fmt: skip
    for device in doc["devices"]:
        hostvars = hosts[device["name"]]
        credentials = directory / f"{device['name']}.credentials.json"
        secret = {"username": device["username"], "password": device["password"],
                  "snmp_community": "molecule-community"}  # fmt: skip
        atomic_write(credentials, json.dumps(secret), mode=0o600)
        hostvars.update(
            fleet_switch_ssh_host=device["host"],
            fleet_switch_ssh_port=device["port"],
            fleet_switch_known_hosts=doc["known_hosts"],
            fleet_switch_credentials_file=str(credentials),
        )
        hostvars.pop("ansible_python_interpreter", None)  # Molecule's inventory sets it
        (directory / f"{device['name']}.json").write_text(json.dumps(hostvars, indent=1))


def stop(directory: Path) -> None:
    service.stop(directory / "run", "switches")


if __name__ == "__main__":
    {"start": start, "stop": stop}[sys.argv[1]](Path(sys.argv[2]))
