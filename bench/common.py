"""Shared helpers for benchmarks: timing, results files. Benchmarks report; they never assert."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def timed(fn, repeat: int = 5) -> dict:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return {
        "median_s": round(statistics.median(samples), 4),
        "min_s": round(min(samples), 4),
        "max_s": round(max(samples), 4),
        "runs": repeat,
    }


def timed_cmd(argv: list[str], repeat: int = 10, **kwargs) -> dict:
    return timed(lambda: subprocess.run(argv, check=True, capture_output=True, **kwargs), repeat)


def machine() -> dict:
    load = os.getloadavg()
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "loadavg_1m": round(load[0], 2),
    }


def previous_results(name: str) -> dict:
    """The results file a new run of benchmark `name` is about to replace ({} when none)."""
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def write_results(name: str, data: dict) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    data = {
        "benchmark": name,
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": machine(),
        **data,
    }
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    return path


# Runs fleet's CLI in a process that then writes its own and its children's resource use to
# argv[1]: fleet's own CPU (all its threads) apart from ansible-playbook's and the guard's.
FLEET_WRAP = """
import resource, sys, time, json
from fleet.cli.main import main
start = time.perf_counter()
code = main(sys.argv[2:])
me = resource.getrusage(resource.RUSAGE_SELF)
kids = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(sys.argv[1], "w") as out:
    json.dump({"wall_s": time.perf_counter() - start, "exit": code,
               "fleet_cpu_s": me.ru_utime + me.ru_stime, "fleet_peak_rss_mb": me.ru_maxrss / 1024,
               "children_cpu_s": kids.ru_utime + kids.ru_stime,
               "children_peak_rss_mb": kids.ru_maxrss / 1024}, out)
sys.exit(code)
"""


def measured_fleet(
    args: list[str], usage: Path, cwd: Path, timeout: float = 7200, env: dict | None = None
) -> tuple[subprocess.CompletedProcess, dict | None]:
    """`fleet ARGS` through FLEET_WRAP: the finished process and its usage (None if it died)."""
    usage.unlink(missing_ok=True)
    proc = subprocess.run(
        [sys.executable, "-c", FLEET_WRAP, str(usage), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=env,
    )
    return proc, json.loads(usage.read_text()) if usage.exists() else None
