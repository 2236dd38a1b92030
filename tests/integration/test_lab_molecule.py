"""Molecule scenarios, run for real (podman, the lab image, testinfra), so CI can call them.

The base scenario runs once (`molecule test --destroy never`); its kept instance then shows
that verify is not vacuous (an admin account deleted after converge fails it), and destroy
leaves nothing.

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

# slow: the base role is proved on the lab by test_runner_lab.py in the default run; its
# Molecule scenario (about 5 minutes) runs with the other scenarios, deliberately
pytestmark = [pytest.mark.molecule, pytest.mark.lab, pytest.mark.slow]


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


def molecule(env: dict[str, str], *args: str) -> tuple[int, str]:
    """`molecule ARGS… -s base` in the checkout: (exit code, stdout and stderr)."""
    proc = subprocess.run(
        [str(VENV_BIN / "molecule"), *args, "-s", "base"],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=env,
        timeout=1800,
        check=False,
    )
    return proc.returncode, proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def base_scenario(tmp_path_factory):
    """`molecule test -s base`, its instance kept for the tests below and destroyed after."""
    env = molecule_env(tmp_path_factory.mktemp("molecule-base"))
    molecule(env, "destroy")  # leftovers of an interrupted run (`--destroy never` skips this)
    rc, output = molecule(env, "test", "--destroy", "never")
    yield env, rc, output
    if containers_named(instance(env), env):  # test_destroy_leaves_nothing did not run
        molecule(env, "destroy")


def instance(env: dict[str, str]) -> str:
    return f"fleet-molecule-base-{env['FLEET_MOLECULE_ID']}"


def test_molecule_base_scenario_passes_offline(base_scenario):
    env, rc, output = base_scenario
    assert rc == 0, output[-6000:]
    # converge changed the host, the idempotence run (a second converge) changed nothing
    recaps = re.findall(rf"{re.escape(instance(env))}\s*:\s*ok=(\d+)\s+changed=(\d+)", output)
    # prepare (the stand-in syslog collector), converge, idempotence
    assert len(recaps) == 3, recaps
    _, (_, converge_changed), (_, second_changed) = recaps
    assert int(converge_changed) > 0 and int(second_changed) == 0, recaps
    # every testinfra check ran (none skipped: the scenario has a collector, admin accounts…)
    verified = re.search(r"=+ (\d+) passed in", output)
    assert verified and int(verified.group(1)) >= 8, output[-3000:]
    assert not re.search(r"\d+ (failed|error|skipped)", output)
    assert re.search(r"^base\s*:\s*actions=\d+.*\bfailed=0", output, re.M), output[-2000:]


def test_verify_fails_when_an_admin_account_is_missing(base_scenario):
    """The checks are not vacuous: an account removed after converge fails verify."""
    env, rc, output = base_scenario
    assert rc == 0, "the scenario did not pass: see test_molecule_base_scenario_passes_offline"
    removed = subprocess.run(
        ["podman", "exec", instance(env), "userdel", "--remove", "bob"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert removed.returncode == 0, removed.stderr
    rc, output = molecule(env, "verify")
    assert rc != 0, output[-3000:]
    failed = set(re.findall(r"^FAILED \S+::(\w+)", output, re.M))
    assert failed == {"test_admin_accounts_exist_with_their_key", "test_admin_group_has_sudo"}, (
        output[-3000:]
    )
    assert "AssertionError: bob" in output, output[-3000:]


def test_destroy_leaves_nothing(base_scenario):
    env, _, _ = base_scenario
    rc, output = molecule(env, "destroy")
    assert rc == 0, output[-3000:]
    assert containers_named(instance(env), env) == []
