"""`molecule test -s opsi_depot`: the role against a real depot host in podman (the lab's
samba image) and the lab's opsi simulator (master + the lycée's fresh depot), offline.

Sequence: dependency (builds/reuses the samba image), cleanup, destroy, syntax, create,
prepare (simulator), converge, idempotence, verify (testinfra: share, directories, service
account, smbd; a JSON-RPC client reading the depot back), cleanup, destroy. Marked slow: the
default run covers the role through tests/integration/test_opsi_lab.py.
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


def test_molecule_opsi_depot(tmp_path):
    env = dict(
        os.environ,
        CONTAINERS_CONF=str(PROJECT / "fleet/lab/containers.conf"),
        ANSIBLE_HOME=str(tmp_path / "ansible-home"),
        NO_COLOR="1",
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    done = subprocess.run(
        [str(Path(sys.executable).with_name("molecule")), "test", "-s", "opsi_depot"],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
    )
    output = re.sub(r"\x1b\[[0-9;]*m", "", done.stdout + done.stderr)
    assert done.returncode == 0, output[-6000:]
    for stage in ("converge", "idempotence", "verify"):
        assert f"{stage}: Executed: Successful" in output, output[-3000:]
