"""The lab's timings: cold image build, warm `lab up` (images cached), a no-op `up`, `status`,
`down`, and `molecule test -s base`. Results go to bench/results/lab.json.

The cold build runs once, under another image name (FLEET_LAB_IMAGE_PREFIX), so the shared
machine-wide cache (localhost/fleet-lab-*) is never disturbed; the bench image is removed after.
The lab runs in a throw-away project (symlinks to this checkout) so the checkout's own lab is
not touched. Run as root on the lab machine:

    .venv/bin/python bench/bench_lab.py               # everything (~10 min on 2 busy cores)
    .venv/bin/python bench/bench_lab.py --skip-cold   # no cold build
    .venv/bin/python bench/bench_lab.py --skip-molecule
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import write_results  # noqa: E402
from fleet.lab.hosts import project_id  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
BENCH_PREFIX = "localhost/fleet-bench-lab-"
SKIP = {".fleet", ".git", ".venv", ".pytest_cache", ".ruff_cache", "__pycache__"}


def env(**extra: str) -> dict[str, str]:
    result = dict(os.environ)
    result["PATH"] = f"{VENV_BIN}{os.pathsep}{result.get('PATH', '')}"
    result["CONTAINERS_CONF"] = str(REPO / "fleet" / "lab" / "containers.conf")
    result["NO_COLOR"] = "1"
    result.update(extra)
    return result


def run(argv: list[str], cwd: Path, **extra: str) -> float:
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, env=env(**extra), capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return round(elapsed, 1)


def fleet(*args: str) -> list[str]:
    return [sys.executable, "-m", "fleet.cli.main", *args]


def load() -> float:
    return round(os.getloadavg()[0], 2)


def bench_cold_build(work: Path) -> dict:
    """`fleet lab image base` from nothing, under the bench name; then remove that image."""
    from fleet.lab import image

    os.environ[image.REPOSITORY_ENV] = BENCH_PREFIX
    try:
        refs = [image.image_ref("base"), image.current_ref("base")]
    finally:
        del os.environ[image.REPOSITORY_ENV]
    subprocess.run(["podman", "rmi", "-f", *refs], env=env(), capture_output=True)
    before = load()
    elapsed = run(
        [sys.executable, "-m", "fleet.cli.lab_hosts", "image", "base"],
        cwd=REPO,
        **{image.REPOSITORY_ENV: BENCH_PREFIX},
    )
    size = subprocess.run(
        ["podman", "image", "inspect", "--format", "{{.Size}}", refs[0]],
        env=env(),
        capture_output=True,
        text=True,
    ).stdout.strip()
    subprocess.run(["podman", "rmi", "-f", *refs], env=env(), capture_output=True)
    return {
        "what": "debootstrap bookworm minbase + import (base image)",
        "seconds": elapsed,
        "image_bytes": int(size) if size.isdigit() else None,
        "loadavg_before": before,
    }


def bench_lab_cycle(work: Path) -> dict:
    project = work / "project"
    project.mkdir()
    for entry in REPO.iterdir():
        if entry.name not in SKIP:
            (project / entry.name).symlink_to(entry)
    result = {"project_id": project_id(project), "loadavg_before": load()}
    # images cached (built by `fleet lab image base samba` beforehand), no container yet
    run([sys.executable, "-m", "fleet.cli.lab_hosts", "image", "base", "samba"], cwd=REPO)
    try:
        result["up_warm_s"] = run(fleet("lab", "up"), cwd=project)
        result["up_again_noop_s"] = run(fleet("lab", "up"), cwd=project)
        result["status_s"] = run(fleet("lab", "status"), cwd=project)
        result["ansible_ping_all_s"] = run(
            [str(VENV_BIN / "ansible"), "-i", ".fleet/lab/inventory.yml", "all", "-m", "ping"],
            cwd=project,
        )
    finally:
        result["down_s"] = run(fleet("lab", "down"), cwd=project)
    return result


def bench_molecule(work: Path) -> dict:
    from fleet.lab.image import image_ref

    before = load()
    seconds = run(
        [str(VENV_BIN / "molecule"), "test", "-s", "base"],
        cwd=REPO,
        FLEET_MOLECULE_ID=f"bench-{project_id(REPO)}",
        FLEET_LAB_BASE_IMAGE=image_ref("base"),
        ANSIBLE_HOME=str(work / "ansible-home"),
        XDG_CACHE_HOME=str(work / "cache"),
    )
    return {"scenario": "base", "seconds": seconds, "loadavg_before": before}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-cold", action="store_true", help="do not time a cold image build")
    parser.add_argument("--skip-molecule", action="store_true", help="do not run Molecule")
    args = parser.parse_args()
    results: dict = {}
    with tempfile.TemporaryDirectory(prefix="fleet-bench-lab-") as tmp:
        work = Path(tmp)
        if not args.skip_cold:
            results["cold_image_build"] = bench_cold_build(work)
            print(f"cold image build: {results['cold_image_build']['seconds']} s", flush=True)
        results["lab"] = bench_lab_cycle(work)
        print(f"lab: {results['lab']}", flush=True)
        if not args.skip_molecule:
            results["molecule_base"] = bench_molecule(work)
            print(f"molecule base: {results['molecule_base']['seconds']} s", flush=True)
    path = write_results("lab", results)
    print(path.read_text())


if __name__ == "__main__":
    main()
