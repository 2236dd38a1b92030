"""The nightly drift at fleet scale (target: 180 sites in ≤ 900 s on this 2-core machine).

1. `fleet lab up --sites 180 --ssh-sites K --faults 10%`: every site's API devices from one
   simulator process per kind, real SSH hosts for K sampled sites (the others' Linux hosts
   excluded: docs/lab.md "The lab at scale"), 18 sites faulted (down, 500, hang, flap in turn).
2. `fleet deploy` of the sampled sites (their hosts converged: what a nightly drift finds).
3. `fleet drift --all`, plain then `--accelerate`: wall time, CPU of fleet itself and of its
   children (ansible-playbook, modules, ssh), peak memory of fleet and of each simulator, per
   component task seconds from the run's events, and whether the failed sites are exactly the
   faulted ones.
4. The extrapolation to the real fleet — every Linux host of 180 sites (~540) over SSH — from the
   CPU and wall seconds per SSH host measured on the sample (a drift of the sampled sites alone).

Figures go to bench/results/drift_fleet.json. Run (takes 20–40 minutes):
    .venv/bin/python bench/bench_drift_fleet.py [--sites 180] [--ssh-sites 2] [--parallel N]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import measured_fleet, previous_results, write_results  # noqa: E402
from fleet import components  # noqa: E402
from fleet.job_events import read_events  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def fleet(*args: str, timeout: float = 3600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "fleet.cli.main", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def measured(*args: str, tmp: Path) -> dict:
    """Run fleet in a process that reports its own and its children's resource use."""
    proc, usage = measured_fleet(list(args), tmp / "usage.json", REPO)
    if usage is None:
        raise SystemExit(f"fleet {' '.join(args)} died: {proc.stderr[-2000:]}")
    return usage


def simulator_memory() -> dict[str, float]:
    """Peak resident memory (VmHWM, MB) of each running lab simulator."""
    found = {}
    for pid_file in (REPO / ".fleet/lab/sim/run").glob("*.pid"):
        try:
            status = Path(f"/proc/{int(pid_file.read_text())}/status").read_text()
        except (OSError, ValueError):
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                found[pid_file.stem] = round(int(line.split()[1]) / 1024, 1)
    return found


def task_seconds(report: dict) -> dict:
    """Task seconds per component summed over every site's events (runner_on_* durations)."""
    by_role = components.by_role()
    total: dict[str, float] = defaultdict(float)
    per_site: dict[str, float] = {}
    for site in report["sites"]:
        per_site[site["site"]] = site.get("duration") or 0.0
        run_dir = Path(site.get("run_dir") or "")
        events = [
            event
            for events_dir in run_dir.glob("artifacts/*/job_events")
            for event in read_events(events_dir, skip_unreadable=True)
        ]
        for event in events:
            data = event.get("event_data") or {}
            if event.get("event", "").startswith("runner_on_") and "duration" in data:
                role = (data.get("role") or "").rsplit(".", 1)[-1]
                total[by_role.get(role, role or "(no role)")] += float(data["duration"] or 0)
    slowest = sorted(per_site.items(), key=lambda kv: -kv[1])[:5]
    return {
        "task_s_by_component": {k: round(v, 1) for k, v in sorted(total.items())},
        "site_s_median": round(sorted(per_site.values())[len(per_site) // 2], 2),
        "site_s_slowest": dict(slowest),
    }


def drift_all(registry: str, parallel: int, accelerate: bool, plan: dict, tmp: Path) -> dict:
    report = tmp / f"drift{'-acc' if accelerate else ''}.json"
    html = REPO / f".fleet/scale/drift{'-acc' if accelerate else ''}.html"
    args = ["--registry", registry, "--output", "json", "drift", "--all", "--include-onboarding",
            "--parallel",
            str(parallel), "--json-report", str(report), "--report", str(html),
            "--vault-password-file", plan["vault_password_file"]]  # fmt: skip
    if accelerate:
        args.append("--accelerate")
    load_before = os.getloadavg()[0]
    usage = measured(*args, tmp=tmp)
    data = json.loads(report.read_text())
    statuses: dict[str, int] = defaultdict(int)
    for site in data["sites"]:
        statuses[site["status"]] += 1
    failed = sorted(s["site"] for s in data["sites"] if s["status"] in ("failed", "unreachable"))
    cpu = usage["fleet_cpu_s"] + usage["children_cpu_s"]
    return {
        "accelerate": accelerate,
        "parallel": parallel,
        "exit_code": usage["exit"],
        "wall_s": round(usage["wall_s"], 1),
        "target_s": 900,
        "statuses": dict(statuses),
        "failed_equals_faulted": failed == sorted(plan["faults"]),
        "failed": failed,
        "cpu_s": {
            "fleet": round(usage["fleet_cpu_s"], 1),
            "children": round(usage["children_cpu_s"], 1),
            "fleet_per_site_run": round(usage["fleet_cpu_s"] / max(1, len(data["sites"])), 3),
            "busy_share_of_2_cores": round(cpu / (usage["wall_s"] * (os.cpu_count() or 1)), 2),
        },
        "peak_rss_mb": {
            "fleet": round(usage["fleet_peak_rss_mb"], 1),
            "largest_child": round(usage["children_peak_rss_mb"], 1),
            "simulators": simulator_memory(),
        },
        "loadavg_1m_before": round(load_before, 2),
        "html_report": str(html.relative_to(REPO)),
        **task_seconds(data),
    }


def ssh_cost(plan: dict, accelerate: bool, tmp: Path) -> dict:
    """CPU and wall seconds per SSH host: a drift of the sampled sites' SSH components."""
    registry, sites = plan["registry"], plan["ssh_sites"]
    hosts = 0
    for uai in sites:
        proc = fleet("--registry", registry, "--output", "json", "inventory", "show", uai)
        inventory = json.loads(proc.stdout)
        linux = inventory.get("linux", {}).get("hosts", [])
        hosts += len(linux)
    wall = cpu = 0.0
    for component in ("base", "samba_ad"):
        # one site at a time: wall seconds per site are what the extrapolation needs
        args = ["--registry", registry, "--output", "json", "drift", *sites, "--component",
                component, "--parallel", "1",
                "--vault-password-file", plan["vault_password_file"]]  # fmt: skip
        if accelerate:
            args.append("--accelerate")
        usage = measured(*args, tmp=tmp)
        wall += usage["wall_s"]
        cpu += usage["fleet_cpu_s"] + usage["children_cpu_s"]
    return {
        "sites": sites,
        "hosts": hosts,
        "components": ["base", "samba_ad"],
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "cpu_s_per_host": round(cpu / max(1, hosts), 2),
    }


REAL_SITES = 180


def linux_hosts(sites: int = REAL_SITES) -> int:
    """Linux hosts (the `linux` group: nodes and guests) of the sample registry of that many
    sites: the region's composition of lycées, collèges, EF2S and CFA."""
    import tempfile

    from fleet.inventory import build_inventory
    from fleet.lab.scale import write_registry
    from fleet.registry import load_registry

    with tempfile.TemporaryDirectory() as tmp:
        inventory = build_inventory(load_registry(write_registry(Path(tmp), sites)))
    return len((inventory.get("linux") or {}).get("hosts", []))


def extrapolate(api_run: dict, ssh: dict, lab_sites: int, real_hosts: int, cores: int) -> dict:
    """The real fleet (180 sites): the API part scaled from the measured drift, plus every Linux
    host over SSH.

    Two bounds for the SSH part, the estimate takes the larger: CPU on the control node
    (measured CPU seconds per SSH host × hosts ÷ cores; the hosts' own work runs on the hosts)
    and waiting (measured wall seconds per sampled site × sites ÷ the run's parallel sites;
    pessimistic: in the lab the "remote" hosts share this machine's two cores)."""
    scale = REAL_SITES / lab_sites
    cpu_bound = real_hosts * ssh["cpu_s_per_host"] / cores
    wall_bound = ssh["wall_s"] / max(1, len(ssh["sites"])) * REAL_SITES / api_run["parallel"]
    ssh_s = max(cpu_bound, wall_bound)
    api_s = api_run["wall_s"] * scale
    return {
        "method": f"API part: the measured {lab_sites}-site drift (its Linux hosts excluded) "
        f"× {REAL_SITES}/{lab_sites}; SSH part: the larger of control-node CPU (CPU s per SSH "
        "host × hosts ÷ cores) and waiting (wall s per sampled site × sites ÷ parallel sites)",
        "sites": REAL_SITES,
        "linux_hosts": real_hosts,
        "api_part_s": round(api_s),
        "ssh_cpu_bound_s": round(cpu_bound),
        "ssh_wall_bound_s": round(wall_bound),
        "total_s": round(api_s + ssh_s),
        "target_s": 900,
    }


def extrapolations(runs: list[dict], ssh: dict, result: dict) -> dict:
    cores = result.get("machine", {}).get("cpus") or os.cpu_count() or 1
    return {
        mode: extrapolate(run, ssh[mode], result["sites"], result["real_linux_hosts"], cores)
        for mode, run in zip(("plain", "accelerated"), runs, strict=False)
        if mode in ssh
    }


def earlier_accelerated() -> dict | None:
    """The accelerated figures of the results file this run replaces (kept, with their date and
    size, when this run skips the accelerated mode)."""
    old = previous_results("drift_fleet")
    if "accelerated_earlier" in old and not any(r.get("accelerate") for r in old["runs"]):
        return old["accelerated_earlier"]
    runs = [r for r in old.get("runs", []) if r.get("accelerate")]
    if not runs:
        return None
    return {
        "when": old.get("when"),
        "sites": old.get("sites"),
        "ssh_sites": old.get("ssh_sites"),
        "note": "measured before controller-side modules ran in Ansible's worker",
        "run": runs[0],
        "ssh_cost": old.get("ssh_cost", {}).get("accelerated"),
        "extrapolation": old.get("extrapolation", {}).get("accelerated"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sites", type=int, default=180)
    parser.add_argument("--ssh-sites", type=int, default=2)
    parser.add_argument("--faults", default="10%")
    parser.add_argument("--parallel", type=int, default=4)
    parser.add_argument("--no-accelerate", action="store_true")
    parser.add_argument(
        "--extrapolate-only",
        action="store_true",
        help="recompute the extrapolation of the last results file, running nothing",
    )
    opts = parser.parse_args()
    if opts.extrapolate_only:
        path = Path(__file__).resolve().parent / "results" / "drift_fleet.json"
        result = json.loads(path.read_text())
        result.pop("linux_hosts", None)
        result["real_linux_hosts"] = linux_hosts()
        result["extrapolation"] = extrapolations(result["runs"], result["ssh_cost"], result)
        path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
        print(json.dumps(result["extrapolation"], indent=2))
        return
    tmp = REPO / ".fleet/scale/bench"
    tmp.mkdir(parents=True, exist_ok=True)

    start = time.perf_counter()
    up = fleet("--output", "json", "lab", "up", "--sites", str(opts.sites), "--ssh-sites",
               str(opts.ssh_sites), "--faults", opts.faults)  # fmt: skip
    lab_up_s = time.perf_counter() - start
    plan = json.loads(up.stdout)["scale"]
    registry = plan["registry"]
    try:
        # the sampled sites converged first (all components): what a nightly drift meets
        deployed = fleet("--registry", registry, "--output", "json", "deploy", *plan["ssh_sites"],
                         "--yes", "--vault-password-file", plan["vault_password_file"])  # fmt: skip
        runs = [drift_all(registry, opts.parallel, False, plan, tmp)]
        ssh = {"plain": ssh_cost(plan, False, tmp)}
        if not opts.no_accelerate:
            runs.append(drift_all(registry, opts.parallel, True, plan, tmp))
            ssh["accelerated"] = ssh_cost(plan, True, tmp)
    finally:
        fleet("lab", "down", timeout=600)
    result = {
        "sites": plan["sites"],
        "method": plan["method"],
        "ssh_sites": plan["ssh_sites"],
        "faults": plan["faults"],
        "lab_up_s": round(lab_up_s, 1),
        "real_linux_hosts": linux_hosts(),
        "sample_deploy_exit": deployed.returncode,
        "components_implemented": [c.name for c in components.implemented()],
        "runs": runs,
        "ssh_cost": ssh,
    }
    result["extrapolation"] = extrapolations(runs, ssh, result)
    if opts.no_accelerate:
        result["accelerated_earlier"] = earlier_accelerated()
    path = write_results("drift_fleet", result)
    print(json.dumps(result, indent=2))
    print(f"written: {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
