"""The Molecule scenario of the switch_config role, run for real (prepare starts the lab's
switches simulator with the lab lycée's two switches, ProCurve and Cisco IOS; converge, idempotence,
verify with testinfra reading the running configuration back with netmiko).

Marked `slow`: the lab test (test_switches_lab.py) drives the same role against the same
simulator through fleet itself, in the default run. Run: FLEET_TESTS=all ./scripts/test.sh, or
.venv/bin/molecule test -s switch_config.
"""

from __future__ import annotations

import re
import subprocess

import pytest
from test_lab_molecule import VENV_BIN, molecule_env
from test_lab_sims import sim_processes

pytestmark = [pytest.mark.molecule, pytest.mark.lab, pytest.mark.slow]

REPO = VENV_BIN.parent.parent


def test_molecule_switch_config_scenario_converges_idempotently_and_verifies(tmp_path):
    env = molecule_env(tmp_path)
    proc = subprocess.run(
        [str(VENV_BIN / "molecule"), "test", "-s", "switch_config"],
        cwd=REPO, capture_output=True, text=True, env=env, timeout=1200, check=False,
    )  # fmt: skip
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-6000:]
    for host in ("sw-core.0450050k.lab.fleet.test", "sw-b.0450050k.lab.fleet.test"):
        recaps = re.findall(rf"{re.escape(host)}\s*:\s*ok=(\d+)\s+changed=(\d+)", output)
        assert len(recaps) == 2, (host, recaps)
        (_, converge_changed), (_, second_changed) = recaps
        assert int(converge_changed) > 0 and int(second_changed) == 0, recaps
    verified = re.search(r"=+ (\d+) passed", output)
    assert verified and int(verified.group(1)) == 10, output[-3000:]
    assert not re.search(r"\d+ (failed|error)", output)
    assert sim_processes(tmp_path) == []
