"""The components' verify checks — the testinfra modules Molecule's verify step runs
(`molecule/<scenario>/tests`, named by the component table) — run against a live site.

pytest runs in a child process with testinfra's ansible backend over the site's own inventory
(the generated files, plus the lab's connection overlay), so each check reaches the hosts the
way Ansible does (SSH, host keys checked). Checks that only make sense under Molecule (they
write, or read Molecule's fixtures) carry `@pytest.mark.molecule_only` and are left out.
Results come back as JUnit XML: one Check per test case, the failure text as its evidence.
"""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from fleet.components import Component
from fleet.verify.checks import ERROR, FAILED, PASSED, Check

LIVE_MARKS = "not molecule_only"
EVIDENCE_CHARS = 600
TIMEOUT = 900


def pytest_command(tests: Path, junit: Path, group: str | None, inventory: Path) -> list[str]:
    cmd = [sys.executable, "-m", "pytest", str(tests), "-q", "-p", "no:cacheprovider",
           "-p", "no:randomly", "-m", LIVE_MARKS, f"--junitxml={junit}",
           "-o", "junit_family=xunit1", "--rootdir", str(tests)]  # fmt: skip
    if group is not None:
        cmd += [f"--hosts=ansible://{group}", f"--ansible-inventory={inventory}"]
    return cmd


ANSIBLE_CFG = """\
# Written by fleet verify for testinfra: SSH connections shared between a host's checks
[defaults]
host_key_checking = True
interpreter_python = auto_silent

[ssh_connection]
ssh_args = -o ControlMaster=auto -o ControlPersist=15s
control_path = %(directory)s/%%C

[persistent_connection]
control_path_dir = {control_dir}
"""


def write_ansible_cfg(work: Path, control_dir: Path) -> Path:
    """An ansible.cfg for the checks' pytest: testinfra's ssh backend shares one connection per
    host only when a control path is configured (the project's cfg leaves it to Ansible's
    default, which testinfra does not know). `control_dir` must be short (socket path limit)."""
    path = work / "ansible.cfg"
    path.write_text(ANSIBLE_CFG.format(control_dir=control_dir), encoding="utf-8")
    return path


def run_component(component: Component, project: Path, inventory: Path, work: Path,
                  ssh_hosts: bool, ansible_cfg: Path | None = None) -> list[Check]:  # fmt: skip
    """Every live check of `component` on the site whose inventory is `inventory`."""
    found: list[Check] = []
    for scenario, tests in zip(component.molecule, component.verify, strict=True):
        tests_dir = project / tests
        if not tests_dir.is_dir():
            found.append(Check(f"{component.name}: {tests}", component.name, tests, ERROR,
                               f"{tests} does not exist"))  # fmt: skip
            continue
        junit = work / f"{scenario}.xml"
        env = dict(os.environ, FLEET_VERIFY_INVENTORY=str(inventory),
                   ANSIBLE_CONFIG=str(ansible_cfg or project / "ansible.cfg"),
                   PYTHONDONTWRITEBYTECODE="1")  # fmt: skip
        env.pop("MOLECULE_INVENTORY_FILE", None)
        env.pop("MOLECULE_EPHEMERAL_DIRECTORY", None)
        cmd = pytest_command(tests_dir, junit, component.group if ssh_hosts else None, inventory)
        try:
            done = subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True,
                                  timeout=TIMEOUT, check=False)  # fmt: skip
        except subprocess.TimeoutExpired:
            found.append(Check(f"{component.name}: {tests}", component.name, tests, ERROR,
                               f"no answer within {TIMEOUT} s"))  # fmt: skip
            continue
        cases = parse_junit(junit, component.name, tests) if junit.is_file() else []
        if not cases:
            tail = (done.stdout + done.stderr).strip().splitlines()[-15:]
            found.append(Check(f"{component.name}: {tests}", component.name, tests, ERROR,
                               f"pytest exited {done.returncode} with no result: "
                               + "\n".join(tail)))  # fmt: skip
        found += cases
    return found


def parse_junit(path: Path, component: str, source: str) -> list[Check]:
    root = ET.parse(path).getroot()
    checks = []
    for case in root.iter("testcase"):
        name = case.get("name", "?")
        status, evidence = PASSED, ""
        for tag, outcome in (("failure", FAILED), ("error", ERROR)):
            node = case.find(tag)
            if node is not None:
                status = outcome
                text = (node.get("message") or "") + "\n" + (node.text or "")
                evidence = _short(text)
        if case.find("skipped") is not None:
            continue  # not applicable on this host (the test said why): not a check
        host = name.split("[", 1)[1].rstrip("]") if "[" in name else ""
        module = (case.get("file") or case.get("classname") or "").split("/")[-1]
        if status == PASSED:
            evidence = f"{module}::{name}".strip(":")
        checks.append(Check(f"{component}: {name}", component, source, status, evidence, host,
                            float(case.get("time") or 0)))  # fmt: skip
    return checks


def _short(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    for line in lines:  # pytest's "E   assert …" lines say what differed
        if line.lstrip().startswith("E "):
            picked = [ln.strip() for ln in lines if ln.lstrip().startswith("E ")]
            return "\n".join(picked)[:EVIDENCE_CHARS]
    return "\n".join(lines[:6])[:EVIDENCE_CHARS]
