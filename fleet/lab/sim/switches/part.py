"""The lab part of the `switches` simulator: one simulated switch per switch host of the lab
inventory (named by its inventory hostname, with its platform and port count), served by one
background `fleet lab sim switches`.

The overlay gives each switch host fleet_switch_ssh_host/port, fleet_switch_known_hosts (the
simulator's host key, checked by the clients) and fleet_switch_credentials_file (mode 0600: the
login and a lab SNMP community); secrets never go into the overlay itself.
"""

from __future__ import annotations

import json
import secrets
import socket
from pathlib import Path
from typing import Any

from fleet.fsutil import atomic_write
from fleet.lab import state
from fleet.lab.parts import LabContext, Status, group_hosts
from fleet.lab.sim import service
from fleet.lab.sim.part import Simulator, credentials_path, first_address, groups, run_dir, sim_dir

KIND = "switches"


def lab_switches(inventory: dict[str, Any]) -> list[str]:
    """`NAME@PLATFORM/PORTS` of every switch host of the lab inventory, sorted."""
    hostvars = inventory.get("_meta", {}).get("hostvars", {})
    specs = []
    for host in sorted(group_hosts(inventory, groups()[KIND])):
        intent = hostvars.get(host, {}).get("switch_intent")
        if intent:
            specs.append(f"{host}@{intent['platform']}/{intent['port_count']}")
    return specs


def community(project_root: Path, device: str) -> str:
    """A lab SNMP community per switch, kept across `lab up` (the vault's role in the lab)."""
    path = credentials_path(project_root, KIND, device)
    try:
        return json.loads(path.read_text())["snmp_community"]
    except (FileNotFoundError, KeyError, ValueError):
        return "lab-" + secrets.token_hex(6)


class SwitchSimulator(Simulator):
    def __init__(self) -> None:
        super().__init__(KIND)

    def up(self, ctx: LabContext) -> list[Status]:
        inventory = ctx.inventory or {}
        specs = lab_switches(inventory)
        if not specs:
            return []
        root = ctx.project_root
        running = service.status(run_dir(root), KIND)["endpoints"]
        names = [s.partition("@")[0] for s in specs]
        if running is not None and sorted(d["name"] for d in running["devices"]) != names:
            ctx.say(self.name, "restarting the switches simulator: the lab switches changed")
            service.stop(run_dir(root), KIND)
        ctx.say(self.name, f"starting the switches simulator for {len(specs)} switch(es)")
        doc = service.start(
            run_dir(root),
            KIND,
            sim_dir(root) / KIND / "state",
            names=specs,
            listen=first_address(root),
            # every switch on the checkout's first address, a free port each: never 22, never a
            # silent clash, and 400 switches stay inside the checkout's own block
            port=0,
            layout="port",
            seed=int(ctx.options.get("seed", 0)),
        )
        if ctx.options.get("switch_faults") is not None:  # the lab at scale; '' clears them
            from fleet.lab.sim.switches.serve import write_faults

            write_faults(sim_dir(root) / KIND / "state", ctx.options["switch_faults"])
            ctx.say(self.name, f"faults: {ctx.options['switch_faults'] or 'none'}")
        overlay = {}
        for device in doc["devices"]:
            creds = {"username": device["username"], "password": device["password"],
                     "snmp_community": community(root, device["name"])}  # fmt: skip
            path = credentials_path(root, KIND, device["name"])
            atomic_write(path, json.dumps(creds, sort_keys=True) + "\n", mode=0o600)
            overlay[device["name"]] = {
                "fleet_switch_ssh_host": device["host"],
                "fleet_switch_ssh_port": device["port"],
                "fleet_switch_known_hosts": doc["known_hosts"],
                "fleet_switch_credentials_file": str(path),
            }
        state.write_overlay(root, self.name, overlay)
        state.save_part_state(root, self.name, {"pid": doc["pid"], "sites": names})
        return self._statuses(doc, running=True)

    def _statuses(self, doc: dict[str, Any], running: bool) -> list[Status]:
        result = []
        for d in doc["devices"]:
            problem = ssh_probe(d["host"], d["port"]) if running else "not running"
            result.append(
                Status(
                    part=self.name,
                    name=f"{KIND}:{d['name']}",
                    state="running" if running else "stopped",
                    healthy=problem is None,
                    endpoint=f"{d['host']}:{d['port']}",
                    site=d["name"].split(".")[1].upper() if "." in d["name"] else d["name"],
                    kind=KIND,
                    detail=f"{d['platform']} {d['url']}" if problem is None else problem,
                )
            )
        return result


def ssh_probe(host: str, port: int, timeout: float = 2.0) -> str | None:
    """None when the switch answers with an SSH identification line, else why not."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            line = sock.recv(64)
    except OSError as exc:
        return str(exc) or type(exc).__name__
    return None if line.startswith(b"SSH-") else f"no SSH banner ({line[:20]!r})"
