"""Onboarding a lab lycée from nothing to verified: wall time per stage, against the region's
service promise (a critical site restored within 4 hours). Results: bench/results/onboard.json.

In a throw-away project (symlinks to this checkout, its own .fleet/ and lab): a lab registry
with no site, `fleet site new` of a lycée (skeleton trimmed to one Proxmox node, the DC and the
depot: three containers), its secrets generated into the vault, `fleet lab up`, then
`fleet onboard --output json`; each stage's seconds come from the onboarding's own document.
Stages whose component is not implemented yet are pending and cost nothing here: the figure
grows when they land (the JSON lists them). Images must be built (`fleet lab image base samba`).

    .venv/bin/python bench/bench_onboard.py          # ~8 min on 2 busy cores
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import write_results  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
SKIP = {".fleet", ".git", ".venv", ".pytest_cache", ".ruff_cache", "__pycache__"}
UAI = "0450062Y"
PROMISE_S = 4 * 3600


def env() -> dict[str, str]:
    result = dict(os.environ)
    result["PATH"] = f"{VENV_BIN}{os.pathsep}{result.get('PATH', '')}"
    result["CONTAINERS_CONF"] = str(REPO / "fleet" / "lab" / "containers.conf")
    result["NO_COLOR"] = "1"
    result.pop("FLEET_LAB_REGISTRY", None)
    return result


def fleet(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "fleet.cli.main", *args], cwd=project,
                          env=env(), capture_output=True, text=True, check=False)  # fmt: skip


def main() -> None:
    sys.path.insert(0, str(REPO / "tests" / "integration"))
    from test_onboard_lab import empty_lab_registry
    from test_onboard_lycee_lab import trim

    root = Path(tempfile.mkdtemp(prefix="fleet-bench-onboard-"))
    project = root / "project"
    project.mkdir()
    for entry in REPO.iterdir():
        if entry.name not in SKIP:
            (project / entry.name).symlink_to(entry)
    registry = empty_lab_registry(root)
    password = root / "vault-password"
    password.write_text(secrets.token_urlsafe(24) + "\n")
    try:
        start = time.perf_counter()
        done = fleet(project, "--registry", str(registry), "site", "new", "--uai", UAI,
                     "--name", "Lycée bench", "--kind", "lycee", "--dept", "45",
                     "--city", "Orléans")  # fmt: skip
        assert done.returncode == 0, done.stderr
        trim(registry / "sites" / f"{UAI}.yml")
        registry_s = time.perf_counter() - start
        start = time.perf_counter()
        done = fleet(project, "lab", "up", "--lab-registry", str(registry))
        assert done.returncode == 0, done.stderr[-2000:]
        lab_up_s = time.perf_counter() - start
        done = fleet(project, "--registry", str(registry), "site", "secrets", UAI, "--generate",
                     "--vault-password-file", str(password))  # fmt: skip
        assert done.returncode == 0, done.stderr
        start = time.perf_counter()
        done = fleet(project, "--registry", str(registry), "--output", "json", "onboard", UAI,
                     "--yes", "--vault-password-file", str(password))  # fmt: skip
        wall_s = time.perf_counter() - start
        doc = json.loads(done.stdout)
        assert done.returncode == 0, done.stderr[-3000:]
        stages = {s["stage"]: {"status": s["status"], "seconds": s["seconds"]}
                  for s in doc["stages"]}  # fmt: skip
        fleet_s = sum(s["seconds"] for s in doc["stages"])
        result = {
            "site": f"{UAI}: lab lycée, 1 Proxmox node + DC + depot containers, firewall sim",
            "stages": stages,
            "pending": [s for s, v in stages.items() if v["status"] == "pending"],
            "site_new_s": round(registry_s, 2),
            "lab_up_s": round(lab_up_s, 2),
            "onboard_wall_s": round(wall_s, 2),
            "stages_total_s": round(fleet_s, 2),
            "promise_s": PROMISE_S,
            "fraction_of_promise": round(wall_s / PROMISE_S, 4),
            "state": doc["state"],
            "verification": doc["verification"]["counts"],
            "note": "fleet's own work on a lab site; real hardware adds install/boot time of "
                    "nodes and guests (Proxmox stages pending here) and WAN latency",
        }  # fmt: skip
        path = write_results("onboard", result)
        print(json.dumps(result, indent=2, ensure_ascii=False))
        print(f"written {path}")
    finally:
        fleet(project, "lab", "down")
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
