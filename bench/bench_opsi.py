"""OPSI: the catalogue lock checked, a no-op plan of one depot, and the opsi component converged
then planned across 180 simulated depots from one simulator process.

Targets (issue 14): one batched read per depot per plan (productOnDepot_getObjects once, never
per product); a no-op plan makes no write and fetches no package. Figures go to
bench/results/opsi.json; nothing is asserted.

- `validate`: `fleet opsi catalogue validate` of the sample registry (800 locked products):
  read + graph/conditions/cycles/profiles/pins, seconds (median of 5), in this process.
- `one_depot`: the lab lycée's depot (its profiles' products from the lab lock) on a fresh
  simulated depot with the master: first deploy (installs, seconds, calls), then a no-op plan
  (seconds, calls, HTTP requests).
- `fleet`: the sample registry's sites with a depot (180 by default), one simulator process
  with one fresh depot per site plus the master; every depot converged, then every depot
  planned (check mode), in parallel threads as fleet runs sites (fleet.opsi.depot, no Ansible).

    .venv/bin/python bench/bench_opsi.py [--sites 180] [--workers 4]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench.common import write_results
from fleet import catalogue
from fleet.lab.sim import service
from fleet.opsi import depot as engine
from fleet.opsi import lock as lockmod
from fleet.opsi.rpc import Client
from fleet.registry.read import load_registry

PROJECT = Path(__file__).resolve().parents[1]


def client_for(doc: dict, name: str) -> Client:
    d = next(x for x in doc["devices"] if x["name"] == name)
    return Client(d["url"], d["username"], d["password"], d["ca"], timeout=120)


def depot_id(doc: dict, name: str) -> str:
    return next(x for x in doc["devices"] if x["name"] == name)["depot_id"]


def bench_validate() -> dict[str, Any]:
    root = PROJECT / "inventories" / "registry"
    samples = []
    for _ in range(5):
        start = time.perf_counter()
        result = catalogue.validate(root)
        samples.append(time.perf_counter() - start)
    return {"products": result["products"], "dependencies": result["dependencies"],
            "median_s": round(statistics.median(samples), 4), "max_s": round(max(samples), 4)}  # fmt: skip


def desired_of(registry, uai: str) -> list[dict]:
    cat = lockmod.load(registry.root)
    site = registry.sites[uai]
    profiles = {p: list(registry.region.opsi.profiles[p].products) for p in site.opsi.profiles}
    return lockmod.site_products(cat, uai, profiles)


def converge(doc: dict, name: str, desired: list[dict], check: bool) -> dict[str, Any]:
    depot, master = client_for(doc, name), client_for(doc, "master")
    did = depot_id(doc, name)
    start = time.perf_counter()
    current = engine.read(depot, did)
    todo = engine.plan(current, desired)
    if not check:
        engine.apply(depot, master, did, todo, current)
    spent = time.perf_counter() - start
    out = {"seconds": round(spent, 4), "installs": len(todo.installs), "depot_calls": depot.calls.to_dict(),
           "master_calls": master.calls.to_dict()}  # fmt: skip
    depot.close()
    master.close()
    return out


def bench_one_depot(tmp: Path) -> dict[str, Any]:
    registry = load_registry(PROJECT / "inventories" / "lab")
    uai = "0450050K"
    desired = desired_of(registry, uai)
    doc = service.start(tmp / "run1", "opsi", tmp / "state1", names=["master", uai], port=0)
    try:
        first = converge(doc, uai, desired, check=False)
        noop = [converge(doc, uai, desired, check=True) for _ in range(5)]
    finally:
        service.stop(tmp / "run1", "opsi")
    return {"site": uai, "products": len(desired), "first_deploy": first,
            "noop_plan": {**noop[-1], "seconds_median": round(statistics.median(n["seconds"] for n in noop), 4)}}  # fmt: skip


def bench_fleet(tmp: Path, sites: int, workers: int) -> dict[str, Any]:
    registry = load_registry(PROJECT / "inventories" / "registry")
    uais = [u for u, s in registry.sites.items() if s.opsi is not None][:sites]
    desired = {u: desired_of(registry, u) for u in uais}
    start = time.perf_counter()
    doc = service.start(
        tmp / "run", "opsi", tmp / "state", names=["master", *uais], port=0, timeout=300
    )
    started = time.perf_counter() - start
    try:
        results = {}
        for phase, check in (("deploy", False), ("noop_plan", True)):
            t0 = time.perf_counter()
            with ThreadPoolExecutor(workers) as pool:
                runs = list(pool.map(lambda u, c=check: converge(doc, u, desired[u], c), uais))
            spent = time.perf_counter() - t0
            results[phase] = {
                "seconds": round(spent, 2),
                "depots": len(runs),
                "installs": sum(r["installs"] for r in runs),
                "depot_requests": sum(r["depot_calls"]["requests"] for r in runs),
                "depot_writes": sum(r["depot_calls"]["writes"] for r in runs),
                "master_requests": sum(r["master_calls"]["requests"] for r in runs),
                "per_depot_median_s": round(statistics.median(r["seconds"] for r in runs), 4),
            }
    finally:
        service.stop(tmp / "run", "opsi")
    return {
        "sites": len(uais),
        "workers": workers,
        "simulator_start_s": round(started, 2),
        **results,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=180)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    results: dict[str, Any] = {"validate": bench_validate()}
    print("validate", results["validate"], file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="fleet-bench-opsi-") as tmp:
        results["one_depot"] = bench_one_depot(Path(tmp))
        print("one_depot", results["one_depot"], file=sys.stderr)
        results["fleet"] = bench_fleet(Path(tmp), args.sites, args.workers)
    print(write_results("opsi", results))


if __name__ == "__main__":
    main()
