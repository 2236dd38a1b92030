"""Lab parts (fleet.lab.parts.LabPart) for the API simulators the component table needs.

A component's `lab_simulator` names a simulator kind; each kind runs one background
`fleet lab sim KIND` (fleet.lab.sim.service) with one device per lab site, named by the site's
UAI, and the hosts of the component's inventory group get the device's URL and CA. Site *i*
(sites sorted) gets the same loopback address for each kind's device, each on the product's
port (a free port when not root, since 443 needs root). The address block is derived from the checkout's path, like the containers'
names, so two checkouts' labs do not collide.

Files, under `.fleet/lab/sim/`: `ca/` (one CA for every kind), `KIND/state/` (device state),
`run/KIND.{pid,log,json}` (the ready document, mode 0600: it holds credentials).

Connection details of the inventory hosts of the component's group go into the lab overlay
(`fleet_<kind>_api_url`, `fleet_<kind>_api_ca`, `fleet_<kind>_api_credentials_file`); the
credentials themselves never do: they sit in that file (mode 0600, `KIND/credentials/<site>.json`),
and `endpoints(project_root, kind)` gives them all.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import shutil
import socket
import ssl
from pathlib import Path
from typing import Any

from fleet import components
from fleet.fsutil import atomic_write
from fleet.lab import state
from fleet.lab.parts import LabContext, Status, group_hosts
from fleet.lab.sim import service
from fleet.lab.sim.kinds import KINDS

# Inventory variables the registry itself defines for a device's API, overridden in the lab.
REGISTRY_VARS = {"opnsense": "opnsense_api_url"}
# the rest of a ready-document device is what a client needs to log in (and the PVE node)
DEVICE_KEYS = {"name", "url", "host", "port", "ca", "index"}
# Devices a kind runs besides one per site: the regional opsi master (its repository holds the
# catalogue's packages). Each host of the component's group gets its URL, CA and credentials
# file as fleet_<kind>_<device>_api_{url,ca,credentials_file}.
EXTRA_DEVICES: dict[str, tuple[str, ...]] = {"opsi": ("master",)}
# Inventory variables the registry defines that the lab takes from the site's device document.
DEVICE_VARS: dict[str, dict[str, str]] = {"opsi": {"opsi_depot_id": "depot_id"}}
PROBE_TIMEOUT = 2.0


def sim_dir(project_root: Path) -> Path:
    return state.lab_dir(project_root) / "sim"


def run_dir(project_root: Path) -> Path:
    return sim_dir(project_root) / "run"


def first_address(project_root: Path) -> str:
    """127.1xx.yy.1, xx and yy from the checkout's path: two checkouts (or test labs) on one
    machine meet once in 25,000 (100 × 250 blocks, each room for 254 devices)."""
    digest = hashlib.sha256(str(Path(project_root).resolve()).encode()).digest()
    return f"127.{100 + digest[0] % 100}.{digest[1] % 250}.1"


def lab_sites(inventory: dict[str, Any]) -> list[str]:
    """UAIs of every site of the lab inventory (hosts carry `fleet_site`), sorted."""
    hostvars = inventory.get("_meta", {}).get("hostvars", {})
    return sorted({v["fleet_site"] for v in hostvars.values() if v.get("fleet_site")})


def endpoints(project_root: Path, kind: str) -> dict[str, Any] | None:
    """The ready document of the running simulator of `kind` (URLs, CA, credentials), or None."""
    return service.status(run_dir(project_root), kind)["endpoints"]


def groups() -> dict[str, str]:
    """Simulator kind → the inventory group of the component that needs it."""
    return {c.lab_simulator: c.group for c in components.table() if c.lab_simulator}


def simulators() -> list[Simulator]:
    """A part per simulator kind the component table needs, in table order (kinds the lab
    cannot run yet are left out)."""
    return [_part(kind) for kind in groups() if kind in KINDS]


def _part(kind: str) -> Simulator:
    """The kind's own part class when it names one (SimKind.part), else one device per site."""
    if KINDS[kind].part is None:
        return Simulator(kind)
    module_name, _, attr = KINDS[kind].part.partition(":")
    return getattr(importlib.import_module(module_name), attr)()


class Simulator:
    """One API simulator of the lab, for one kind."""

    def __init__(self, kind: str):
        self.kind = kind

    @property
    def name(self) -> str:
        return f"sim_{self.kind}"

    def up(self, ctx: LabContext) -> list[Status]:
        inventory = ctx.inventory or {}
        sites = lab_sites(inventory)
        if not sites:
            return []
        root = ctx.project_root
        running = service.status(run_dir(root), self.kind)["endpoints"]
        extra = list(EXTRA_DEVICES.get(self.kind, ()))
        if running is not None and sorted(d["name"] for d in running["devices"]) != sorted(
            sites + extra
        ):
            # the lab registry's sites changed: restart with the new list (state is kept)
            ctx.say(self.name, f"restarting the {self.kind} simulator: the lab sites changed")
            service.stop(run_dir(root), self.kind)
        ctx.say(self.name, f"starting the {self.kind} simulator for {len(sites)} site(s)")
        doc = service.start(
            run_dir(root),
            self.kind,
            sim_dir(root) / self.kind / "state",
            names=sites + extra,
            listen=first_address(root),
            port=None if os.geteuid() == 0 else 0,
            ca_dir=sim_dir(root) / "ca",
            seed=int(ctx.options.get("seed", 0)),
        )
        if ctx.options.get("faults") is not None:  # '' clears a previous run's faults
            service.set_faults(doc, ctx.options["faults"])
            ctx.say(self.name, f"faults: {ctx.options['faults'] or 'none'}")
        by_site = {d["name"]: d for d in doc["devices"]}
        hostvars = inventory.get("_meta", {}).get("hostvars", {})
        overlay = {}
        for host in sorted(group_hosts(inventory, groups()[self.kind])):
            device = by_site.get(hostvars.get(host, {}).get("fleet_site"))
            if device is not None:
                overlay[host] = {
                    f"fleet_{self.kind}_api_url": device["url"],
                    f"fleet_{self.kind}_api_ca": device["ca"],
                    f"fleet_{self.kind}_api_credentials_file": str(
                        write_credentials(root, self.kind, device)
                    ),
                }
                if self.kind in REGISTRY_VARS:
                    overlay[host][REGISTRY_VARS[self.kind]] = device["url"]
                for var, key in DEVICE_VARS.get(self.kind, {}).items():
                    overlay[host][var] = device[key]
                for name in extra:
                    other = by_site[name]
                    prefix = f"fleet_{self.kind}_{name}_api"
                    overlay[host][f"{prefix}_url"] = other["url"]
                    overlay[host][f"{prefix}_ca"] = other["ca"]
                    overlay[host][f"{prefix}_credentials_file"] = str(
                        write_credentials(root, self.kind, other)
                    )
        state.write_overlay(root, self.name, overlay)
        state.save_part_state(root, self.name, {"pid": doc["pid"], "sites": sites})
        return self._statuses(doc, running=True)

    def down(self, ctx: LabContext) -> list[str]:
        root = ctx.project_root
        removed = []
        if service.stop(run_dir(root), self.kind):
            removed.append(f"{self.kind} simulator")
        state.write_overlay(root, self.name, None)
        state.save_part_state(root, self.name, None)
        kind_dir = sim_dir(root) / self.kind
        if kind_dir.exists():
            shutil.rmtree(kind_dir)
            removed.append(str(kind_dir))
        for leftover in ("pid", "log", "json"):
            (run_dir(root) / f"{self.kind}.{leftover}").unlink(missing_ok=True)
        others = [k for k in KINDS if k != self.kind and (sim_dir(root) / k).exists()]
        if not others and sim_dir(root).exists():  # the last one down takes the CA along
            shutil.rmtree(sim_dir(root))
            removed.append(str(sim_dir(root)))
        return removed

    def status(self, ctx: LabContext) -> list[Status]:
        report = service.status(run_dir(ctx.project_root), self.kind)
        if report["endpoints"] is not None:
            return self._statuses(report["endpoints"], running=True)
        sites = state.part_state(ctx.project_root, self.name).get("sites", [])
        return [
            Status(self.name, f"{self.kind}:{site}", "stopped", False, site=site, kind=self.kind)
            for site in sites
        ]

    def _statuses(self, doc: dict[str, Any], running: bool) -> list[Status]:
        result = []
        for d in doc["devices"]:
            problem = probe(d["host"], d["port"], d["ca"]) if running else "not running"
            result.append(
                Status(
                    part=self.name,
                    name=f"{self.kind}:{d['name']}",
                    state="running" if running else "stopped",
                    healthy=problem is None,
                    endpoint=f"{d['host']}:{d['port']}",
                    site=d["name"],
                    kind=self.kind,
                    detail=d["url"] if problem is None else f"{d['url']}: {problem}",
                )
            )
        return result


def credentials_path(project_root: Path, kind: str, device: str) -> Path:
    return sim_dir(project_root) / kind / "credentials" / f"{device}.json"


def write_credentials(project_root: Path, kind: str, device: dict[str, Any]) -> Path:
    """One device's login (PVE token, OPNsense key/secret, opsi user/password) in a file of
    its own, mode 0600: the overlay names the file, never the secret (docs/lab-simulators.md)."""
    secret = {k: v for k, v in device.items() if k not in DEVICE_KEYS}
    path = credentials_path(project_root, kind, device["name"])
    atomic_write(path, json.dumps(secret, sort_keys=True) + "\n", mode=0o600)
    return path


def probe(host: str, port: int, ca: str) -> str | None:
    """None when the device completes a TLS handshake verified against the lab CA, else why not."""
    context = ssl.create_default_context(cafile=ca)
    try:
        with (
            socket.create_connection((host, port), timeout=PROBE_TIMEOUT) as raw,
            context.wrap_socket(raw, server_hostname=host),
        ):
            return None
    except (OSError, ssl.SSLError) as exc:
        return str(exc) or type(exc).__name__
