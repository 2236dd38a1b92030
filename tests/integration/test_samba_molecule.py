"""`molecule test -s samba_ad_dc`: the role against a real Samba AD DC in podman, offline.

Sequence: dependency (builds/reuses the lab's samba image), destroy, syntax, create, converge,
idempotence, verify (testinfra: the DC checks and the per-module tests), destroy. About 6 to 10
minutes on 2 cores; stage timings are in bench/results/samba.json. Marked slow: the default run
(CI) covers the role on a real DC through tests/integration/test_samba_lab.py (deploy,
idempotence, drift, repair); run this one with FLEET_TESTS=all or `molecule test -s samba_ad_dc`.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.molecule, pytest.mark.slow]

PROJECT = Path(__file__).resolve().parents[2]


def test_molecule_samba_ad_dc(tmp_path):
    env = dict(
        os.environ,
        CONTAINERS_CONF=str(PROJECT / "fleet/lab/containers.conf"),
        # Molecule's ephemeral files stay out of the user's home
        ANSIBLE_HOME=str(tmp_path / "ansible-home"),
        NO_COLOR="1",
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    done = subprocess.run(
        [str(Path(sys.executable).with_name("molecule")), "test", "-s", "samba_ad_dc"],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
    )
    output = re.sub(r"\x1b\[[0-9;]*m", "", done.stdout + done.stderr)
    assert done.returncode == 0, output[-6000:]
    # converge, idempotence and verify really ran (none skipped)
    for stage in ("converge", "idempotence", "verify"):
        assert f"{stage}: Executed: Successful" in output, output[-3000:]
