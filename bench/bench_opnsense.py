"""OPNsense: API calls and seconds of a first deploy and of a no-op plan of a lycée firewall, and
the opnsense component planned across 180 simulated sites from one simulator process.

Targets (issue 13): per object type at most 2 reads, one write per change, one apply per
changed service; a no-op makes no write and no apply. Figures go to bench/results/opnsense.json;
nothing is asserted.

Three parts:
- `engine`: fleet.opnsense.reconcile (what the modules run) against one `fleet lab sim
  opnsense` process: the lab lycée's firewall (26.1) from the lab registry, first deploy then a
  no-op plan, calls per object group and seconds; the same on the collège (26.7).
- `fleet180`: the 180 sites of the sample registry (inventories/registry), one simulator process
  with 180 firewalls (releases alternating 26.7 / 26.1): every site deployed, then planned
  (check mode), in parallel threads as fleet runs sites; calls and seconds, no Ansible.
- `cli` (with --cli): `fleet deploy` then `fleet plan` of the lab's two firewalls through
  ansible-runner in a throw-away firewall-only lab project (seconds; the module calls from the
  run's artifacts).

    .venv/bin/python bench/bench_opnsense.py [--sites 180] [--workers 4] [--cli]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench.common import write_results
from fleet.lab.sim import service
from fleet.lab.sim.opnsense.releases import ENV
from fleet.opnsense import reconcile as R
from fleet.opnsense.api import Calls, Client
from fleet.opnsense.firmware import from_status
from fleet.registry.opnsense import host_vars
from fleet.registry.read import load_registry

PROJECT = Path(__file__).resolve().parents[1]
GROUPS = ("vlans", "aliases", "rules", "dns", "dhcp")


def converge(client: Client, hv: dict[str, Any], check_mode: bool) -> dict[str, Any]:
    """Every group of one firewall, as the role runs them; calls and changes per group."""
    firmware = from_status(client.read("core/firmware/status"))
    per_group: dict[str, Any] = {}
    dhcp = hv["opnsense_dhcp"]
    for group in GROUPS:
        before = Calls(log=list(client.calls.log))
        start = time.perf_counter()
        if group == "vlans":
            out = R.vlans(client, R.desired_vlans(hv["opnsense_vlans"]), False, check_mode)
        elif group == "aliases":
            out = R.aliases(client, R.desired_aliases(hv["opnsense_aliases"]), False, check_mode)
        elif group == "rules":
            out = R.rules(
                client, firmware, R.desired_rules(hv["opnsense_rules"]), False, check_mode
            )
        elif group == "dns":
            out = R.dns(client, firmware, R.desired_hosts(hv["opnsense_host_overrides"]),
                        R.desired_forwards(hv["opnsense_dns_forwards"]), False, check_mode)  # fmt: skip
        else:
            out = R.dhcp(client, {"enabled": dhcp["enabled"], "interfaces": dhcp["interfaces"]},
                         R.desired_subnets(dhcp["subnets"]),
                         R.desired_reservations(dhcp["reservations"]), False, check_mode)  # fmt: skip
        spent = time.perf_counter() - start
        calls = Calls(log=client.calls.log[len(before.log) :]).to_dict()
        per_group[group] = {"changes": len(out.changes), "seconds": round(spent, 3), **calls}
    return {"firmware": firmware.version, "groups": per_group, "total": client.calls.to_dict()}


def client_for(doc: dict, name: str) -> Client:
    device = next(d for d in doc["devices"] if d["name"] == name)
    return Client(device["url"], device["key"], device["secret"], device["ca"], timeout=30)


def start_sim(tmp: Path, names: list[str], plan: str | None = None) -> dict:
    env = {ENV: plan} if plan else None
    return service.start(tmp / "run", "opnsense", tmp / "state", names=names, port=0, env=env,
                         listen="127.101.0.1")  # fmt: skip


def engine(tmp: Path) -> dict[str, Any]:
    registry = load_registry(PROJECT / "inventories/lab")
    sites = {"0450050K": "26.1", "0180120H": "26.7.2"}
    doc = start_sim(tmp / "engine", sorted(sites), ",".join(f"{u}={v}" for u, v in sites.items()))
    out: dict[str, Any] = {}
    try:
        for uai in sites:
            hv = host_vars(registry, registry.site(uai))
            result: dict[str, Any] = {}
            for label, check in (
                ("first_deploy", False),
                ("noop_plan", True),
                ("noop_deploy", False),
            ):
                client = client_for(doc, uai)
                start = time.perf_counter()
                result[label] = converge(client, hv, check)
                result[label]["seconds"] = round(time.perf_counter() - start, 3)
                client.close()
            result["objects"] = {
                "vlans": len(hv["opnsense_vlans"]), "aliases": len(hv["opnsense_aliases"]),
                "rules": len(hv["opnsense_rules"]),
                "host_overrides": len(hv["opnsense_host_overrides"]),
                "forwards": len(hv["opnsense_dns_forwards"]),
                "subnets": len(hv["opnsense_dhcp"]["subnets"]),
                "reservations": len(hv["opnsense_dhcp"]["reservations"]),
            }  # fmt: skip
            out[uai] = result
    finally:
        service.stop(tmp / "engine" / "run", "opnsense")
    return out


def fleet180(tmp: Path, count: int, workers: int) -> dict[str, Any]:
    registry = load_registry(PROJECT / "inventories/registry")
    uais = sorted(registry.sites)[:count]
    started = time.perf_counter()
    doc = start_sim(tmp / "fleet", uais)
    startup = time.perf_counter() - started
    vars_of = {u: host_vars(registry, registry.site(u)) for u in uais}
    for hv in vars_of.values():  # the sample region's appliances tag VLANs on ix1; the
        for vlan in hv["opnsense_vlans"]:  # simulated firewalls have vtnet devices
            vlan["parent"] = "vtnet1"

    def one(uai: str, check: bool) -> dict[str, Any]:
        client = client_for(doc, uai)
        try:
            start = time.perf_counter()
            result = converge(client, vars_of[uai], check)
            result["seconds"] = time.perf_counter() - start
            return result
        finally:
            client.close()

    out: dict[str, Any] = {"sites": len(uais), "workers": workers,
                           "simulator_start_s": round(startup, 2)}  # fmt: skip
    try:
        for label, check in (("deploy_all", False), ("plan_all", True)):
            start = time.perf_counter()
            with ThreadPoolExecutor(workers) as pool:
                results = list(pool.map(lambda u, c=check: one(u, c), uais))
            wall = time.perf_counter() - start
            totals = {k: sum(r["total"][k] for r in results) for k in results[0]["total"]}
            changes = sum(g["changes"] for r in results for g in r["groups"].values())
            per_site = sorted(r["seconds"] for r in results)
            out[label] = {
                "wall_s": round(wall, 2),
                "per_site_median_s": round(per_site[len(per_site) // 2], 3),
                "per_site_max_s": round(per_site[-1], 3),
                "changes": changes,
                "calls": totals,
                "firmware": sorted({r["firmware"] for r in results}),
            }
    finally:
        service.stop(tmp / "fleet" / "run", "opnsense")
    return out


def cli(tmp: Path) -> dict[str, Any]:
    """fleet deploy + plan of the lab's firewalls through Ansible (a firewall-only lab)."""
    sys.path.insert(0, str(PROJECT / "tests" / "integration"))
    from conftest import LabProject  # the integration tests' throw-away project
    from test_opnsense_lab import firewall_only

    registry = tmp / "cli-registry"
    shutil.copytree(
        PROJECT / "inventories/lab", registry, ignore=shutil.ignore_patterns("generated")
    )
    firewall_only(registry)
    project = LabProject(tmp / "cli-project")
    up = project.fleet("lab", "up", "--lab-registry", str(registry))
    if up.returncode != 0:
        raise RuntimeError(f"fleet lab up failed: {up.stderr[-2000:]}")
    out: dict[str, Any] = {}
    try:
        for label, command in (("fleet_deploy", "deploy"), ("fleet_plan_noop", "plan")):
            start = time.perf_counter()
            proc = project.fleet("--registry", str(registry), "--output", "json", command,
                                 "0450050K", "--component", "opnsense")  # fmt: skip
            wall = time.perf_counter() - start
            data = json.loads(proc.stdout or "{}")
            if "sites" not in data:
                raise RuntimeError(f"fleet {command} failed: {proc.stdout} {proc.stderr[-2000:]}")
            site = data["sites"][0]
            from fleet.opnsense.summary import task_results

            calls = {"reads": 0, "writes": 0, "applies": 0, "safety": 0}
            for _, res in task_results(site["run_dir"]):
                for key in calls:
                    calls[key] += int((res.get("calls") or {}).get(key, 0))
            out[label] = {"wall_s": round(wall, 2), "site_s": site["duration"], "rc": proc.returncode,
                          "status": site["status"], "module_calls": calls}  # fmt: skip
    finally:
        down = project.fleet("lab", "down")
        if down.returncode != 0:
            raise RuntimeError(f"fleet lab down failed: {down.stderr[-2000:]}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=180)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--cli", action="store_true", help="also time fleet deploy/plan")
    parser.add_argument("--only-cli", action="store_true", help="time fleet deploy/plan only")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-opnsense-"))
    try:
        results: dict[str, Any] = {}
        if args.only_cli:  # keep the other parts of the last results
            previous = json.loads((PROJECT / "bench/results/opnsense.json").read_text())
            results = {k: previous[k] for k in ("engine", "fleet180") if k in previous}
        else:
            results["engine"] = engine(tmp)
            results["fleet180"] = fleet180(tmp, args.sites, args.workers)
        if args.cli or args.only_cli:
            results["cli"] = cli(tmp)
    finally:
        subprocess.run(["rm", "-rf", str(tmp)], check=False)
    results["targets"] = ("per object type <= 2 reads, 1 write per change, 1 apply per changed "
                          "service; a no-op makes no write and no apply")  # fmt: skip
    print(write_results("opnsense", results))


if __name__ == "__main__":
    main()
