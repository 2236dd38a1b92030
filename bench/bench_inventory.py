"""Inventory build at 180 / 1,000 / 5,000 sites, and `site new` onboarding 180 sites one by one.

Targets (issue 2): 180 sites ≤ 0.5 s, 5,000 sites ≤ 5 s (linear). Figures go to
bench/results/inventory.json. Run: .venv/bin/python bench/bench_inventory.py
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import timed, write_results  # noqa: E402
from fleet.inventory import generated_files, write_generated  # noqa: E402
from fleet.registry import load_registry  # noqa: E402
from fleet.registry.sample import plan, write_sample  # noqa: E402
from fleet.registry.write import new_site  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
FLEET = str(Path(sys.executable).parent / "fleet")
TARGETS = {"180": 0.5, "5000": 5.0}


def bench_size(work: Path, count: int) -> dict:
    root = work / f"registry-{count}"
    write_sample(root, count)
    cache = REPO / ".fleet" / "cache"
    shutil.rmtree(cache, ignore_errors=True)
    start = time.perf_counter()
    registry = load_registry(root)
    cold_load = time.perf_counter() - start
    warm_load = timed(lambda: load_registry(root), 3)
    generate = timed(lambda: generated_files(registry), 3)
    out = work / f"generated-{count}"
    start = time.perf_counter()
    write_generated(registry, out)
    first_write = time.perf_counter() - start
    # The whole command as a user runs it, warm cache: parse + validate + generate + compare/write.
    command = timed(
        lambda: subprocess.run(
            [FLEET, "--registry", str(root), "inventory", "build", "--out", str(out)],
            check=True,
            capture_output=True,
            cwd=REPO,
        ),
        3,
    )
    return {
        "sites": count,
        "load_cold_s": round(cold_load, 3),
        "load_warm": warm_load,
        "generate": generate,
        "first_write_s": round(first_write, 3),
        "fleet_inventory_build_warm": command,
        "per_site_ms_generate": round(1000 * generate["median_s"] / count, 3),
        "target_s": TARGETS.get(str(count)),
    }


def bench_onboarding(work: Path, count: int = 180) -> dict:
    root = work / "onboard"
    (root / "sites").mkdir(parents=True)
    shutil.copy(REPO / "inventories" / "registry" / "region.yml", root / "region.yml")
    start = time.perf_counter()
    for uai, kind, dept, city, owner, name in plan(count):
        new_site(
            root, uai=uai, name=name, kind=kind.value, department=dept, city=city, owner=owner.value
        )
    elapsed = time.perf_counter() - start
    registry = load_registry(root)
    assert len(registry.sites) == count  # sanity of the benchmark itself, not a timing assertion
    return {
        "sites": count,
        "total_s": round(elapsed, 2),
        "per_site_ms": round(1000 * elapsed / count, 1),
    }


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [180, 1000, 5000]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        results = {
            "sizes": [bench_size(work, n) for n in sizes],
            "onboarding_one_by_one": bench_onboarding(work),
        }
    path = write_results(
        "inventory", {"targets": {"180_sites_s": 0.5, "5000_sites_s": 5.0}, **results}
    )
    print(path.read_text())


if __name__ == "__main__":
    main()
