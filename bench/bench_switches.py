"""Switches: seconds per switch of a first deploy and of a no-op plan, and every switch of the
sample registry's 180 sites planned from one simulator process, with the parallelism used.

What the `fleet_switch_config` module runs (fleet.switches.converge: render, netmiko session,
hier_config remediation) against one `fleet lab sim switches` process started in the
background, as the lab does. Figures go to bench/results/switches.json; nothing is asserted.

- `per_switch`: N switches of each platform (ProCurve, Cisco IOS; 52 ports, the registry's
  default layout) deployed from factory settings, then planned again (no-op): seconds each,
  lines sent, and the re-read included in the deploy.
- `fleet`: every switch of the sample registry's 180 sites (inventories/registry) served by one
  simulator process; each planned from factory settings (the full remediation computed, nothing
  sent) with W parallel sessions: wall seconds, seconds per switch, the process's memory.

    .venv/bin/python bench/bench_switches.py [--per-platform 5] [--workers 16]
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
from fleet import inventory
from fleet.lab.sim import service
from fleet.registry.read import load_registry
from fleet.switches.converge import converge
from fleet.switches.session import Target

PROJECT = Path(__file__).resolve().parents[1]
TEMPLATES = PROJECT / "templates" / "switches"
SECRETS = {"snmp_community": "bench-community"}


def intents(registry_dir: Path) -> dict[str, dict[str, Any]]:
    """Inventory host → switch_intent of every switch of the registry."""
    registry = load_registry(registry_dir)
    inv = inventory.build(registry)
    return {h: v["switch_intent"] for h, v in sorted(inv.hostvars.items()) if "switch_intent" in v}


def target(doc: dict, device: dict, timeout: float = 60.0) -> Target:
    return Target(name=device["name"], platform=device["platform"], host=device["host"],
                  port=device["port"], username=device["username"], password=device["password"],
                  known_hosts=doc["known_hosts"], timeout=timeout)  # fmt: skip


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def stats(samples: list[float]) -> dict[str, float]:
    return {"median_s": round(statistics.median(samples), 3), "min_s": round(min(samples), 3),
            "max_s": round(max(samples), 3), "n": len(samples)}  # fmt: skip


def start(tmp: Path, names: list[str]) -> tuple[dict, float]:
    began = time.perf_counter()
    doc = service.start(tmp / "run", "switches", tmp / "state", names=names,
                        listen="127.0.0.1", port=0, layout="port", timeout=600)  # fmt: skip
    return doc, round(time.perf_counter() - began, 2)


def per_switch(tmp: Path, sample: dict[str, dict], count: int) -> dict[str, Any]:
    by_platform = {"hp_procurve": [], "cisco_ios": []}
    base = next(iter(sample.values()))
    for platform in by_platform:
        for i in range(count):
            data = {**base, "platform": platform, "hostname": f"sw-{platform[:2]}-{i}",
                    "interface": "{port}" if platform == "hp_procurve" else "GigabitEthernet1/0/{port}"}  # fmt: skip
            by_platform[platform].append(data)
    names = [f"{d['hostname']}@{p}/{d['port_count']}" for p, ds in by_platform.items() for d in ds]
    doc, startup = start(tmp / "per", names)
    devices = {d["name"]: d for d in doc["devices"]}
    out: dict[str, Any] = {"simulator_start_s": startup, "ports": base["port_count"]}
    try:
        for platform, datas in by_platform.items():
            deploys, plans, lines = [], [], []
            for data in datas:
                t = target(doc, devices[data["hostname"]])
                began = time.perf_counter()
                first = converge(t, data, str(TEMPLATES), SECRETS, check_mode=False)
                deploys.append(time.perf_counter() - began)
                lines.append(len(first.lines))
                began = time.perf_counter()
                again = converge(t, data, str(TEMPLATES), SECRETS, check_mode=True)
                plans.append(time.perf_counter() - began)
                assert not again.changed, again.lines  # a converged switch plans nothing
            out[platform] = {"first_deploy": stats(deploys), "noop_plan": stats(plans),
                             "lines_sent_per_deploy": statistics.median(lines)}  # fmt: skip
    finally:
        service.stop(tmp / "per" / "run", "switches")
    return out


def fleet_plan(tmp: Path, all_intents: dict[str, dict], workers: int) -> dict[str, Any]:
    names = [f"{h}@{v['platform']}/{v['port_count']}" for h, v in all_intents.items()]
    doc, startup = start(tmp / "fleet", names)
    devices = {d["name"]: d for d in doc["devices"]}
    rss_idle = rss_mb(doc["pid"])
    seconds: list[float] = []
    lines: list[int] = []

    def one(host: str) -> None:
        began = time.perf_counter()
        plan = converge(target(doc, devices[host]), all_intents[host], str(TEMPLATES), SECRETS,
                        check_mode=True)  # fmt: skip
        seconds.append(time.perf_counter() - began)
        lines.append(len(plan.lines))

    try:
        began = time.perf_counter()
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(one, all_intents))
        wall = time.perf_counter() - began
        rss_busy = rss_mb(doc["pid"])
    finally:
        service.stop(tmp / "fleet" / "run", "switches")
    return {
        "switches": len(all_intents),
        "sites": len({h.split(".")[1] for h in all_intents}),
        "platforms": sorted({v["platform"] for v in all_intents.values()}),
        "simulator_processes": 1,
        "simulator_start_s": startup,
        "simulator_rss_mb": {"idle": rss_idle, "after_plans": rss_busy},
        "parallel_sessions": workers,
        "wall_s": round(wall, 2),
        "switches_per_s": round(len(all_intents) / wall, 2),
        "plan_per_switch": stats(seconds),
        "lines_per_plan_median": statistics.median(lines),
        "what": "each switch planned from factory settings: read, render, full remediation computed, nothing sent",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-platform", type=int, default=5)
    parser.add_argument("--workers", type=int, default=16)
    args = parser.parse_args(argv)
    all_intents = intents(PROJECT / "inventories" / "registry")
    with tempfile.TemporaryDirectory(prefix="bench-switches-") as name:
        tmp = Path(name)
        results = {
            "per_switch": per_switch(tmp, all_intents, args.per_platform),
            "fleet": fleet_plan(tmp, all_intents, args.workers),
        }
    path = write_results("switches", results)
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
