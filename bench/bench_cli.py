"""CLI start-up: `fleet --help` and `fleet sites list` on the 180-site registry.

Targets (issue 2): --help ≤ 0.15 s, sites list ≤ 0.3 s. Run: .venv/bin/python bench/bench_cli.py
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import timed_cmd, write_results  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
FLEET = str(Path(sys.executable).parent / "fleet")


def main() -> None:
    subprocess.run(
        [FLEET, "sites", "list"], check=True, capture_output=True, cwd=REPO
    )  # warm the parse cache
    results = {
        "python_bare": timed_cmd([sys.executable, "-c", "pass"], cwd=REPO),
        "fleet_help": timed_cmd([FLEET, "--help"], cwd=REPO),
        "fleet_sites_list_180": timed_cmd([FLEET, "sites", "list"], cwd=REPO),
        "fleet_sites_list_180_json": timed_cmd([FLEET, "-o", "json", "sites", "list"], cwd=REPO),
        "targets": {"fleet_help_s": 0.15, "fleet_sites_list_180_s": 0.3},
    }
    path = write_results("cli", results)
    print(path.read_text())


if __name__ == "__main__":
    main()
