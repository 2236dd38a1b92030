"""Shared helpers for benchmarks: timing, results files. Benchmarks report; they never assert."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
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
