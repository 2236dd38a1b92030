"""The Molecule scenarios of the proxmox_node and proxmox_guests roles, run for real (prepare
starts the lab's PVE simulator with the lab lycée's node; converge, idempotence, verify with
testinfra reading the simulator back with proxmoxer).

Marked `slow` (about 30 s each): the lab test (test_proxmox_lab.py) drives the same roles
against the same simulator through fleet itself, in the default run. Run:
FLEET_TESTS=all ./scripts/test.sh, or .venv/bin/molecule test -s proxmox_node.
"""

from __future__ import annotations

import re
import subprocess

import pytest
from test_lab_molecule import VENV_BIN, molecule_env
from test_lab_sims import sim_processes

pytestmark = [pytest.mark.molecule, pytest.mark.lab, pytest.mark.slow]

REPO = VENV_BIN.parent.parent
HOST = "pve1.0450050k.lab.fleet.test"


@pytest.mark.parametrize("scenario,checks", [("proxmox_node", 5), ("proxmox_guests", 1)])
def test_molecule_proxmox_scenario_converges_idempotently_and_verifies(tmp_path, scenario, checks):
    env = molecule_env(tmp_path)
    proc = subprocess.run(
        [str(VENV_BIN / "molecule"), "test", "-s", scenario],
        cwd=REPO, capture_output=True, text=True, env=env, timeout=1200, check=False,
    )  # fmt: skip
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-6000:]
    recaps = re.findall(rf"{re.escape(HOST)}\s*:\s*ok=(\d+)\s+changed=(\d+)", output)
    assert len(recaps) == 2, recaps
    (_, converge_changed), (_, second_changed) = recaps
    assert int(converge_changed) > 0 and int(second_changed) == 0, recaps
    verified = re.search(r"=+ (\d+) passed", output)
    assert verified and int(verified.group(1)) == checks, output[-3000:]
    assert not re.search(r"\d+ (failed|error)", output)
    assert sim_processes(tmp_path) == []
