"""Proxmox VE: API calls and seconds of a first deploy and of a no-op plan of a lycée's node
objects and guests, and the proxmox component across 180 simulated sites from one simulator
process.

Targets (issue 12): a site's no-op reconcile of guests reads `/cluster/resources` once and each
managed guest's config once, and writes nothing; node objects: one read per kind, no write.
Figures go to bench/results/proxmox.json; nothing is asserted.

Two parts:
- `engine`: fleet.proxmox (what the modules run) against one `fleet lab sim pve` process: the
  lab lycée from the lab registry, first deploy, then a no-op plan and a no-op deploy; calls per
  part (node, cluster objects, guests) and seconds. `engine_sample_lycee`: the same for the
  sample registry's lycée 0180051H (4 guests on 2 nodes, put on the simulator's one node).
- `fleet180`: the 180 sites of the sample registry (inventories/registry), one simulator process
  with 180 nodes: every site deployed, then planned (check mode), in parallel threads as fleet
  runs sites; calls and seconds, no Ansible. The simulated sites have one node (`pve1`, template
  9000) and an 800 GiB thin pool: the bench puts every guest on pve1 and caps disks at 32 GB
  (the API work per guest is the same).

Tasks (clone, resize, start) take FLEET_PVE_TASK_SECONDS in the simulator (0.05 s here; a real
clone takes longer: seconds to minutes), so deploy seconds measure fleet and the API, not disks.

    .venv/bin/python bench/bench_proxmox.py [--sites 180] [--workers 4]
"""

from __future__ import annotations

import argparse
import copy
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench.common import write_results
from fleet.lab.sim import service
from fleet.lab.sim.pve import TASK_SECONDS_ENV
from fleet.proxmox import guests as G
from fleet.proxmox import objects as O
from fleet.proxmox.api import Calls, Client
from fleet.registry.proxmox import node_vars
from fleet.registry.read import load_registry

PROJECT = Path(__file__).resolve().parents[1]
TASK_SECONDS = "0.05"


def client_for(doc: dict, name: str) -> Client:
    device = next(d for d in doc["devices"] if d["name"] == name)
    return Client(device["url"], device["token_id"], device["token_secret"], device["ca"], 30)


def start_sim(tmp: Path, names: list[str]) -> dict:
    return service.start(tmp / "run", "pve", tmp / "state", names=names, port=0,
                         listen="127.102.0.1", env={TASK_SECONDS_ENV: TASK_SECONDS})  # fmt: skip


def site_vars(registry, uai: str, squash: bool) -> dict[str, Any]:
    """The node vars of a site's first node, with every guest of the site (all on pve1 and
    capped at 32 GB per disk when `squash`: the simulator's shape)."""
    site = registry.site(uai)
    merged: dict[str, Any] = {}
    guests = []
    for node in site.proxmox.nodes:
        hv = node_vars(registry, site, node)
        merged = merged or hv
        guests += hv["proxmox_guests"]
    guests = copy.deepcopy(guests)
    if squash:
        for g in guests:
            g["node"], g["clone"] = "pve1", 9000
            for d in g["disks"]:
                d["size_gb"] = min(d["size_gb"], 32)
    return {**merged, "proxmox_guests": guests}


def converge(client: Client, hv: dict[str, Any], check: bool) -> dict[str, Any]:
    parts: dict[str, Any] = {}
    steps = (
        ("node", lambda: O.node(client, "pve1", hv["proxmox_dns"], "Europe/Paris",
                                hv["proxmox_bridge"], check)),
        ("cluster", lambda: _cluster(client, hv, check)),
        ("guests", lambda: G.converge(client, hv["proxmox_guests"], False, check)),
    )  # fmt: skip
    for name, run in steps:
        before = Calls(client.calls.reads, client.calls.writes, client.calls.polls)
        start = time.perf_counter()
        outcome = run()
        parts[name] = {
            "seconds": round(time.perf_counter() - start, 3),
            "changes": len(outcome.changes),
            "calls": {"reads": client.calls.reads - before.reads,
                      "writes": client.calls.writes - before.writes,
                      "polls": client.calls.polls - before.polls},
        }  # fmt: skip
    parts["total"] = client.calls.to_dict()
    return parts


def _cluster(client: Client, hv: dict[str, Any], check: bool):
    total = O.Outcome()
    for part in (
        O.storages(client, hv["proxmox_storage"], check),
        O.access(client, hv["proxmox_automation"], check),
        O.backup_jobs(client, hv["proxmox_backup_jobs"], False, check),
    ):
        total.changes += part.changes
    return total


def engine(tmp: Path, registry_dir: str = "inventories/lab", uai: str = "0450050K",
           squash: bool = False) -> dict[str, Any]:  # fmt: skip
    registry = load_registry(PROJECT / registry_dir)
    doc = start_sim(tmp / f"engine-{uai}", [uai])
    hv = site_vars(registry, uai, squash=squash)
    out: dict[str, Any] = {"site": uai, "guests": len(hv["proxmox_guests"])}
    try:
        for label, check in (("first_deploy", False), ("noop_plan", True), ("noop_deploy", False)):
            client = client_for(doc, uai)
            start = time.perf_counter()
            out[label] = converge(client, hv, check)
            out[label]["seconds"] = round(time.perf_counter() - start, 3)
            client.close()
    finally:
        service.stop(tmp / f"engine-{uai}" / "run", "pve")
    return out


def fleet180(tmp: Path, count: int, workers: int) -> dict[str, Any]:
    registry = load_registry(PROJECT / "inventories/registry")
    uais = sorted(u for u in registry.sites if registry.site(u).proxmox)[:count]
    started = time.perf_counter()
    doc = start_sim(tmp / "fleet", uais)
    startup = time.perf_counter() - started
    vars_of = {u: site_vars(registry, u, squash=True) for u in uais}

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
                           "guests": sum(len(v["proxmox_guests"]) for v in vars_of.values()),
                           "simulator_start_s": round(startup, 2)}  # fmt: skip
    try:
        for label, check in (("deploy_all", False), ("plan_all", True)):
            start = time.perf_counter()
            with ThreadPoolExecutor(workers) as pool:
                results = list(pool.map(lambda u, c=check: one(u, c), uais))
            wall = time.perf_counter() - start
            totals = {k: sum(r["total"][k] for r in results) for k in results[0]["total"]}
            per_site = sorted(r["seconds"] for r in results)
            out[label] = {
                "wall_s": round(wall, 2),
                "per_site_median_s": round(per_site[len(per_site) // 2], 3),
                "per_site_max_s": round(per_site[-1], 3),
                "changes": sum(
                    p["changes"]
                    for r in results
                    for k, p in r.items()
                    if isinstance(p, dict) and "changes" in p
                ),  # fmt: skip
                "calls": totals,
            }
    finally:
        service.stop(tmp / "fleet" / "run", "pve")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sites", type=int, default=180)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-proxmox-") as name:
        tmp = Path(name)
        results: dict[str, Any] = {"engine": engine(tmp)}
        # a sample lycée of the production registry (two nodes, squashed onto the one node)
        results["engine_sample_lycee"] = engine(tmp, "inventories/registry", "0180051H", True)
        results["fleet180"] = fleet180(tmp, args.sites, args.workers)
    results["task_seconds"] = float(TASK_SECONDS)
    results["targets"] = ("no-op guests reconcile: 1 read of /cluster/resources + 1 config read "
                          "per managed guest, no write; node objects: 1 read per kind, no write")  # fmt: skip
    print(write_results("proxmox", results))


if __name__ == "__main__":
    main()
