"""Runner benchmarks: wrapper overhead against plain ansible-playbook, and event parsing.

1. Wrapper overhead (target ratio ≤ 1.03; fleet's own cost per site run ≤ 0.3 s):
   `fleet deploy 0180120H --component base` on the lab (a converged site: the no-op run a
   nightly converge mostly is) against plain
   `ansible-playbook` on the same playbook, the same inventory and the same settings (the
   inventory, env vars and extra vars fleet wrote into its private_data_dir). Runs
   rotate within rounds so machine load and warm caches hit all alike; the ratio is of
   medians, and CPU seconds of both process trees are recorded too (on a loaded machine
   wall time mostly measures the neighbours). fleet runs in a wrapper that reads the fleet
   process's own CPU (its rusage, all threads) apart from its children's; the same site in a
   two-site run (`deploy 0180120H 0450050K`) shows what one more site run adds to it.
   A third variant runs ansible-runner alone on the same private_data_dir, called as fleet
   calls it but with nothing of fleet around it (no registry, no handler, no history): the
   floor any wrapper of ansible-runner pays. The three variants rotate within each round
   (fleet/plain/runner, plain/runner/fleet, runner/fleet/plain).
   Needs the lab: `fleet lab up` first.
2. Speed settings (`--settings`): the same plain ansible-playbook run with each of fleet's speed
   defaults turned off in turn (SSH pipelining, ControlPersist, the jsonfile fact cache, forks
   sized to the site), variants interleaved round-robin; median seconds per variant.
   A part not run (`--parse-only`, `--no-lab`, no `--settings`) keeps the previous file's
   figures, with the date they were measured.
3. ansible-runner's floor (no lab needed): a local playbook of debug tasks with as many events
   as the lab site run, through ansible-runner alone and through plain ansible-playbook,
   alternating (20 pairs, or 2 × --repeat): what any wrapper of ansible-runner pays, without
   the SSH noise of the lab runs.
4. Event parsing (target ≥ 20,000 events/s): 100,000 events recorded from real runs
   (tests/fixtures/events/*.jsonl, cycled), parsed by the pure parser; also with JSON decoding
   of each line, as reading artifacts does.

Figures go to bench/results/runner.json. Run: .venv/bin/python bench/bench_runner.py [--repeat N]
[--parse-only | --no-lab] [--settings]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import measured_fleet, previous_results, write_results  # noqa: E402
from fleet.job_events import event_paths, read_events  # noqa: E402
from fleet.runner.events import parse_events  # noqa: E402
from fleet.runner.prepare import SiteDir  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
EVENTS = REPO / "tests" / "fixtures" / "events"
SITE = "0180120H"
SECOND_SITE = "0450050K"  # the lab's other site: a two-site run
EVENT_COUNT = 100_000
TARGETS = {
    "wrapper_overhead_ratio_max": 1.03,
    "event_parse_per_s_min": 20_000,
    # fleet's own cost per site run (issue 18): what a fleet run costs beyond ansible-playbook
    "fleet_own_s_per_site_run_max": 0.3,
}


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


CPU: list[float] = []  # CPU seconds (user+sys) of each measured command's process tree


def playbook_span(run_id: str) -> float:
    """Seconds from the first to the last event of a fleet run: ansible-playbook's own work."""
    events_dir = REPO / ".fleet" / "runs" / run_id / SITE / "artifacts" / run_id / "job_events"
    stamps = sorted(datetime.fromisoformat(e["created"]) for e in read_events(events_dir))
    return (stamps[-1] - stamps[0]).total_seconds()


SELF: list[float] = []  # CPU seconds of the fleet process alone (all its threads)


def fleet_deploy(sites: tuple[str, ...] = (SITE,)) -> tuple[float, dict]:
    """`fleet deploy SITES --component base`, through the wrapper that reports the fleet
    process's own CPU apart from its children's (ansible-playbook, ssh, the guard)."""
    cpu = children_cpu()
    start = time.perf_counter()
    done, usage = measured_fleet(
        [
            "-o",
            "json",
            "--registry",
            "inventories/lab",
            "deploy",
            *sites,
            "--component",
            "base",
            "--state-db",
            str(REPO / ".fleet" / "bench-state.db"),
        ],
        REPO / ".fleet" / "bench-usage.json",
        REPO,
        env={**os.environ, "NO_COLOR": "1", "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"},
    )
    elapsed = time.perf_counter() - start
    CPU.append(children_cpu() - cpu)
    if done.returncode != 0 or usage is None:
        raise SystemExit(f"fleet deploy failed ({done.returncode}): {done.stderr[-2000:]}")
    SELF.append(usage["fleet_cpu_s"])
    return elapsed, json.loads(done.stdout)


# ansible-runner alone, called as fleet/runner/execute.run_site calls it (the same
# private_data_dir, playbook and fact cache setting) but with no event handler, so
# ansible-runner writes its own event files; it reports its process's CPU like FLEET_WRAP.
RUNNER_ALONE = """
import json, resource, sys, uuid
import ansible_runner
run = ansible_runner.run(private_data_dir=sys.argv[2], playbook=sys.argv[3],
                         ident="runner-" + uuid.uuid4().hex[:8], quiet=True, fact_cache_type="fleet")
me = resource.getrusage(resource.RUSAGE_SELF)
with open(sys.argv[1], "w") as out:
    json.dump({"rc": run.rc, "changed": sum((run.stats or {}).get("changed", {}).values()),
               "cpu_s": me.ru_utime + me.ru_stime}, out)
"""


def end_ssh_masters(env: dict, run_dir: Path) -> None:
    """End the run's SSH masters as fleet does after every site run: the next run starts with
    cold connections too (and pays their key exchange in its own process tree)."""
    control = env.get("ANSIBLE_SSH_CONTROL_PATH_DIR")
    if control:
        SiteDir(
            path=run_dir, playbook="", hosts=[], ssh_control_dir=Path(control)
        ).end_ssh_masters()


def runner_alone(run_dir: Path, env: dict) -> tuple[float, float]:
    """ansible-runner alone on fleet's private_data_dir: (wall s, its own process's CPU s)."""
    usage = REPO / ".fleet" / "bench-runner-usage.json"
    usage.unlink(missing_ok=True)
    cpu = children_cpu()
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", RUNNER_ALONE, str(usage), str(run_dir), "playbooks/base.yml"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    end_ssh_masters(env, run_dir)  # as after the other variants
    elapsed = time.perf_counter() - start
    CPU.append(children_cpu() - cpu)
    data = json.loads(usage.read_text()) if usage.exists() else {}
    if done.returncode != 0 or data.get("rc") != 0:
        raise SystemExit(f"ansible-runner alone failed: {done.stderr[-2000:]}")
    if data["changed"]:
        raise SystemExit("the site is not converged: ansible-runner alone changed something")
    return elapsed, data["cpu_s"]


def plain_command(run_dir: Path) -> tuple[list[str], dict, Path]:
    """ansible-playbook with exactly what fleet gave ansible-runner in `run_dir`."""
    envvars = yaml.safe_load((run_dir / "env" / "envvars").read_text())
    env = {**os.environ, **{k: str(v) for k, v in envvars.items()}}
    env.pop("FLEET_RUN_DIR", None)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    argv = [
        str(BIN / "ansible-playbook"),
        "-i",
        str(run_dir / "inventory"),
        "-e",
        f"@{run_dir / 'env' / 'extravars'}",
        "playbooks/base.yml",
    ]
    return argv, env, run_dir / "project"


def plain_playbook(argv: list[str], env: dict, cwd: Path) -> float:
    cpu = children_cpu()
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
    end_ssh_masters(env, cwd)
    elapsed = time.perf_counter() - start
    CPU.append(children_cpu() - cpu)
    if done.returncode != 0:
        raise SystemExit(f"ansible-playbook failed ({done.returncode}): {done.stdout[-2000:]}")
    if "changed=0" not in done.stdout:
        raise SystemExit("the site is not converged: plain run changed something")
    return elapsed


def bench_overhead(repeat: int) -> dict:
    _, first = fleet_deploy()  # converge (and warm the fact cache, ControlPersist, …)
    run_dir = REPO / ".fleet" / "runs" / first["run_id"] / SITE
    argv, env, cwd = plain_command(run_dir)
    fleet_s, plain_s, fleet_cpu, plain_cpu, outside = [], [], [], [], []
    fleet_self: list[float] = []

    def one_fleet() -> None:
        elapsed, data = fleet_deploy()
        fleet_cpu.append(CPU[-1])
        fleet_self.append(SELF[-1])
        if data["sites"][0]["totals"]["changed"]:
            raise SystemExit("the site is not converged: fleet run changed something")
        fleet_s.append(elapsed)
        outside.append(elapsed - playbook_span(data["run_id"]))

    def one_plain() -> None:
        plain_s.append(plain_playbook(argv, env, cwd))
        plain_cpu.append(CPU[-1])

    runner_s, runner_cpu, runner_self = [], [], []

    def one_runner() -> None:
        elapsed, own = runner_alone(run_dir, env)
        runner_s.append(elapsed)
        runner_cpu.append(CPU[-1])
        runner_self.append(own)

    # the three variants rotate within each round: whichever runs after another finds warm
    # SSH control masters and page cache; rotating spreads that bias over all three.
    variants = [one_fleet, one_plain, one_runner]
    for index in range(repeat):
        for offset in range(3):
            variants[(index + offset) % 3]()
    # the same site in a run of two sites: what one more site run adds to the fleet process
    fleet_deploy((SITE, SECOND_SITE))  # converge the second site first
    two_self = []
    for _ in range(repeat):
        fleet_deploy((SITE, SECOND_SITE))
        two_self.append(SELF[-1])
    ratio = statistics.median(fleet_s) / statistics.median(plain_s)
    # fleet's own cost of one site run: the same playbook through fleet minus without it, per
    # round (neighbouring runs share the machine's state), then the median of the rounds
    own_cpu = [f - p for f, p in zip(fleet_cpu, plain_cpu, strict=True)]
    own_wall = [f - p for f, p in zip(fleet_s, plain_s, strict=True)]
    return {
        "what": f"fleet deploy {SITE} --component base (converged lab site, 2 hosts) vs "
        "ansible-playbook with the same inventory, env and extra vars",
        "fleet_s": [round(x, 2) for x in fleet_s],
        "plain_s": [round(x, 2) for x in plain_s],
        "fleet_median_s": round(statistics.median(fleet_s), 2),
        "plain_median_s": round(statistics.median(plain_s), 2),
        "ratio": round(ratio, 3),
        "order": "rotated rounds: fleet/plain/runner, plain/runner/fleet, runner/fleet/plain",
        "per_pair_ratios": [round(f / p, 3) for f, p in zip(fleet_s, plain_s, strict=True)],
        "target_max": TARGETS["wrapper_overhead_ratio_max"],
        # CPU seconds of each process tree: less sensitive than wall time to other load
        "fleet_cpu_s": [round(x, 2) for x in fleet_cpu],
        "plain_cpu_s": [round(x, 2) for x in plain_cpu],
        "cpu_ratio": round(statistics.median(fleet_cpu) / statistics.median(plain_cpu), 3),
        "loadavg_1m_after": round(os.getloadavg()[0], 2),
        # fleet's wall time outside the playbook's first..last event: CLI start, registry and
        # inventory, ansible-runner and ansible-playbook start-up, history, reports
        "fleet_outside_playbook_s": [round(x, 2) for x in outside],
        "fleet_own_cpu_s_per_pair": [round(x, 2) for x in own_cpu],
        "fleet_own_wall_s_per_pair": [round(x, 2) for x in own_wall],
        "fleet_own_cpu_s_per_site_run": round(statistics.median(own_cpu), 3),
        # the split of that cost: the fleet process itself (all its threads: Python start,
        # imports, registry, inventory, ansible-runner's event loop, history, reports), read
        # from its own rusage; the rest is what fleet adds under it (the guard process and
        # ansible-runner's event callback inside ansible-playbook) plus the noise of two runs
        "fleet_process_cpu_s": [round(x, 3) for x in fleet_self],
        "fleet_process_cpu_s_median": round(statistics.median(fleet_self), 3),
        "fleet_added_in_children_cpu_s_per_pair": [
            round(f - s - p, 2) for f, s, p in zip(fleet_cpu, fleet_self, plain_cpu, strict=True)
        ],
        # run to run spread of the very same plain playbook: the noise in every difference
        "plain_cpu_spread_s": round(max(plain_cpu) - min(plain_cpu), 2),
        # `fleet deploy SITE SECOND_SITE` (one process, two site runs): the fleet process's
        # CPU, and what the second site run added to it (start-up and imports paid once)
        "two_site_run_fleet_process_cpu_s": [round(x, 3) for x in two_self],
        "fleet_process_cpu_s_per_extra_site_run": round(
            statistics.median(two_self) - statistics.median(fleet_self), 3
        ),
        # ansible-runner alone (RUNNER_ALONE): the floor of any wrapper of ansible-runner.
        # Its process's CPU (Python, ansible_runner's imports, the pexpect loop, the partial
        # and final event files) and, in the same rounds, its process tree minus plain
        # ansible-playbook's (that adds its awx_display callback inside ansible-playbook).
        "runner_alone_process_cpu_s": [round(x, 3) for x in runner_self],
        "runner_alone_process_cpu_s_median": round(statistics.median(runner_self), 3),
        "runner_alone_own_cpu_s_per_round": [
            round(r - p, 2) for r, p in zip(runner_cpu, plain_cpu, strict=True)
        ],
        "runner_alone_own_cpu_s": round(
            statistics.median(r - p for r, p in zip(runner_cpu, plain_cpu, strict=True)), 3
        ),
        # what fleet adds beyond ansible-runner alone, per round: the whole trees, and the
        # two processes alone (the precise part: no playbook noise in it)
        "fleet_beyond_runner_cpu_s": round(
            statistics.median(f - r for f, r in zip(fleet_cpu, runner_cpu, strict=True)), 3
        ),
        "fleet_beyond_runner_process_cpu_s": round(
            statistics.median(f - r for f, r in zip(fleet_self, runner_self, strict=True)), 3
        ),
        "runner_alone_s": [round(x, 2) for x in runner_s],
        "fleet_own_wall_s_per_site_run": round(statistics.median(own_wall), 3),
        "fleet_own_target_max_s": TARGETS["fleet_own_s_per_site_run_max"],
    }


# Each variant: env changes applied on top of what fleet wrote (None = remove the variable).
SETTING_VARIANTS: dict[str, dict[str, str | None]] = {
    "fleet defaults": {},
    "no pipelining": {"ANSIBLE_PIPELINING": "False"},
    "no ControlPersist": {"ANSIBLE_SSH_ARGS": "-C -o ControlMaster=no"},
    "no fact cache": {
        "ANSIBLE_GATHERING": "implicit",
        "ANSIBLE_CACHE_PLUGIN": None,
        "ANSIBLE_CACHE_PLUGIN_CONNECTION": None,
        "ANSIBLE_CACHE_PLUGIN_TIMEOUT": None,
    },
    "forks 1": {"ANSIBLE_FORKS": "1"},
}


def bench_settings(repeat: int) -> dict:
    """Plain ansible-playbook on the converged lab site, one speed default off per variant."""
    _, first = fleet_deploy()
    argv, env, cwd = plain_command(REPO / ".fleet" / "runs" / first["run_id"] / SITE)
    samples: dict[str, list[float]] = {name: [] for name in SETTING_VARIANTS}
    for _ in range(repeat):
        for name, changes in SETTING_VARIANTS.items():
            variant = dict(env)
            for key, value in changes.items():
                if value is None:
                    variant.pop(key, None)
                else:
                    variant[key] = value
            samples[name].append(plain_playbook(argv, variant, cwd))
    base = statistics.median(samples["fleet defaults"])
    return {
        "what": f"ansible-playbook playbooks/base.yml on {SITE} (converged, 2 hosts), "
        "variants round-robin",
        "variants": {
            name: {
                "seconds": [round(x, 2) for x in values],
                "median_s": round(statistics.median(values), 2),
                "vs_defaults": round(statistics.median(values) / base, 3),
            }
            for name, values in samples.items()
        },
        "loadavg_1m_after": round(os.getloadavg()[0], 2),
    }


def recorded_lines() -> list[str]:
    lines = []
    for path in sorted(EVENTS.glob("*.jsonl")):
        lines.extend(path.read_text().splitlines())
    return lines


FLOOR_TASKS = 45  # debug tasks: 138 events, the lab site run's 137 give or take the play's own


def bench_floor(pairs: int) -> dict:
    """ansible-runner's own cost, without fleet and without SSH: a local playbook of debug tasks
    with as many events as the lab site run, through ansible-runner (as fleet calls it) and
    through plain ansible-playbook, alternating; CPU of each process tree. No lab needed, and
    none of the SSH noise of the lab runs."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    with tempfile.TemporaryDirectory(prefix="fleet-floor-") as tmp:
        root = Path(tmp)
        (root / "project").mkdir()
        (root / "inventory").mkdir()
        tasks = "".join(
            f"    - name: step {i}\n      ansible.builtin.debug:\n        msg: step {i}\n"
            for i in range(FLOOR_TASKS)
        )
        (root / "project" / "local.yml").write_text(
            f"- hosts: localhost\n  gather_facts: false\n  tasks:\n{tasks}"
        )
        (root / "inventory" / "hosts").write_text(
            f"localhost ansible_connection=local ansible_python_interpreter={sys.executable}\n"
        )
        plain_argv = [str(BIN / "ansible-playbook"), "-i", str(root / "inventory"), "local.yml"]
        runner_argv = [
            sys.executable,
            "-c",
            RUNNER_ALONE,
            str(root / "usage.json"),
            tmp,
            "local.yml",
        ]

        def tree_cpu(argv: list[str], cwd: Path) -> float:
            cpu = children_cpu()
            subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=True)
            return children_cpu() - cpu

        plain, runner, own = [], [], []
        for index in range(pairs):
            if index % 2 == 0:
                plain.append(tree_cpu(plain_argv, root / "project"))
                runner.append(tree_cpu(runner_argv, REPO))
            else:
                runner.append(tree_cpu(runner_argv, REPO))
                plain.append(tree_cpu(plain_argv, root / "project"))
            own.append(json.loads((root / "usage.json").read_text())["cpu_s"])
        events = len(event_paths(next((root / "artifacts").iterdir()) / "job_events"))
    diffs = [r - p for r, p in zip(runner, plain, strict=True)]
    return {
        "what": f"a local playbook of {FLOOR_TASKS} debug tasks ({events} events; the lab site "
        "run has 137) through ansible-runner alone vs plain ansible-playbook, alternating",
        "events": events,
        "plain_cpu_s": [round(x, 2) for x in plain],
        "runner_cpu_s": [round(x, 2) for x in runner],
        "runner_process_cpu_s_median": round(statistics.median(own), 3),
        "runner_own_cpu_s_per_pair": [round(x, 2) for x in diffs],
        # what running a playbook through ansible-runner costs beyond ansible-playbook itself:
        # its process (Python, imports, pexpect loop, event files) and its callback's work in
        # ansible-playbook beyond the default callback's
        "runner_own_cpu_s": round(statistics.median(diffs), 3),
        "plain_cpu_spread_s": round(max(plain) - min(plain), 2),
    }


def bench_parse() -> dict:
    runs = []
    for path in sorted(EVENTS.glob("*.jsonl")):
        runs.append(path.read_text().splitlines())
    # cycle whole recorded runs until 100,000 events, each run parsed as one site run
    batches, total = [], 0
    while total < EVENT_COUNT:
        for lines in runs:
            take = lines[: EVENT_COUNT - total]
            batches.append(take)
            total += len(take)
            if total >= EVENT_COUNT:
                break
    decoded = [[json.loads(line) for line in batch] for batch in batches]

    def parse_dicts() -> None:
        for batch in decoded:
            parse_events(batch, SITE, "check")

    def parse_lines() -> None:
        for batch in batches:
            parse_events((json.loads(line) for line in batch), SITE, "check")

    out = {"events": total, "site_runs": len(batches)}
    for name, fn in (("parse", parse_dicts), ("json_decode_and_parse", parse_lines)):
        samples = []
        for _ in range(3):
            start = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - start)
        best = min(samples)
        out[name] = {
            "seconds": [round(s, 3) for s in samples],
            "events_per_s": int(total / statistics.median(samples)),
            "events_per_s_best": int(total / best),
        }
    out["target_events_per_s_min"] = TARGETS["event_parse_per_s_min"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--parse-only", action="store_true")
    parser.add_argument("--settings", action="store_true", help="also the speed-settings runs")
    parser.add_argument("--no-lab", action="store_true", help="only the parts that need no lab")
    args = parser.parse_args()
    results: dict = {"targets": TARGETS, "event_parsing": bench_parse()}
    if not args.parse_only and not args.no_lab:
        results["wrapper_overhead"] = bench_overhead(args.repeat)
    if not args.parse_only:
        results["runner_floor"] = bench_floor(max(2 * args.repeat, 20))
    if args.settings:
        results["speed_settings"] = bench_settings(args.repeat)
    # a part not run this time keeps its previous figures, with the date they were measured
    previous = previous_results("runner")
    for part in ("wrapper_overhead", "runner_floor", "speed_settings"):
        if part not in results and part in previous:
            results[part] = {"when": previous["when"], **previous[part]}
    path = write_results("runner", results)
    print(path.read_text())


if __name__ == "__main__":
    main()
