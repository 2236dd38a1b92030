"""Molecule scenarios, run for real (podman, the lab image, testinfra), so CI can call them.

Run: .venv/bin/pytest -m molecule tests/integration/test_lab_molecule.py
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from fleet.lab.hosts import project_id
from fleet.lab.image import image_ref

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent

pytestmark = [pytest.mark.molecule, pytest.mark.lab]


def molecule_env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
        CONTAINERS_CONF=str(REPO / "fleet" / "lab" / "containers.conf"),
        # this checkout's own container name and the exact image of the recipe
        FLEET_MOLECULE_ID=project_id(REPO),
        FLEET_LAB_BASE_IMAGE=image_ref("base"),
        # Molecule's and Ansible's ephemeral files out of the user's home
        ANSIBLE_HOME=str(tmp_path / "ansible-home"),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
        NO_COLOR="1",
        PY_COLORS="0",
        ANSIBLE_FORCE_COLOR="0",
    )
    return env


def containers_named(name: str, env: dict[str, str]) -> list[str]:
    out = subprocess.run(
        ["podman", "ps", "-a", "--format", "json", "--filter", f"name=^{name}$"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    return [c["Names"][0] for c in json.loads(out or "[]")]


def test_molecule_base_scenario_passes_offline(tmp_path):
    env = molecule_env(tmp_path)
    proc = subprocess.run(
        [str(VENV_BIN / "molecule"), "test", "-s", "base"],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=env,
        timeout=1800,
        check=False,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-6000:]
    # converge changed the host, the idempotence run (a second converge) changed nothing
    host = f"fleet-molecule-base-{env['FLEET_MOLECULE_ID']}"
    recaps = re.findall(rf"{re.escape(host)}\s*:\s*ok=(\d+)\s+changed=(\d+)", output)
    # prepare (the stand-in syslog collector), converge, idempotence
    assert len(recaps) == 3, recaps
    _, (_, converge_changed), (_, second_changed) = recaps
    assert int(converge_changed) > 0 and int(second_changed) == 0, recaps
    # the testinfra checks ran and passed
    verified = re.search(r"=+ (\d+) passed", output)
    assert verified and int(verified.group(1)) >= 6, output[-3000:]
    assert not re.search(r"\d+ (failed|error)", output)
    assert re.search(r"^base\s*:\s*actions=\d+.*\bfailed=0", output, re.M), output[-2000:]
    # destroy left nothing
    assert containers_named(f"fleet-molecule-base-{env['FLEET_MOLECULE_ID']}", env) == []
