"""Scale-out: a fleet private_data_dir through the real `ansible-runner transmit | worker |
process` pipeline (the streaming protocol AWX's Receptor mesh uses) gives the same RunResult
as a local run, and the processed artifacts hold no secret. Runs against localhost."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from fleet.inventory import SiteInventory, dump_yaml
from fleet.runner.artifacts import result_from_artifacts
from fleet.runner.execute import process_env, run_site
from fleet.runner.prepare import prepare_site_dir, read_vault_password
from fleet.runner.spec import RunSpec

REPO = Path(__file__).resolve().parents[2]
PROJECT = REPO / "tests" / "fixtures" / "playbooks"
BIN = Path(sys.executable).parent
SITE = "0450050K"
DC, PVE = "dc1.0450050k.test", "pve1.0450050k.test"


def inventory() -> SiteInventory:
    """Two hosts run locally; the file is written by fleet's one inventory writer."""
    local = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    groups = {"samba_dc": {"hosts": {DC: local}}, "proxmox_nodes": {"hosts": {PVE: local}}}
    text = dump_yaml({"all": {"children": {"site_0450050k": {"children": groups}}}})
    return SiteInventory(
        uai=SITE,
        files={"site_0450050k.yml": text},
        hosts=[DC, PVE],
        groups={"samba_dc": [DC], "proxmox_nodes": [PVE]},
    )


@pytest.fixture
def vault(tmp_path):
    secret = "fleet-secret-" + secrets.token_hex(12)
    password = "vault-pass-" + secrets.token_hex(12)
    pwfile = tmp_path / "vault-pass"
    pwfile.write_text(password + "\n")
    vault_file = tmp_path / "vault.yml"
    vault_file.write_text(f"fleet_test_secret: {secret}\n")
    subprocess.run(
        [
            str(BIN / "ansible-vault"),
            "encrypt",
            "--vault-password-file",
            str(pwfile),
            str(vault_file),
        ],
        check=True,
        capture_output=True,
    )
    return vault_file, pwfile, secret, password


def comparable(result) -> dict:
    data = result.to_dict()
    for key in ("started", "finished", "duration", "run_dir"):
        data.pop(key)
    # Two hosts run in parallel (forks=2): which host reports a task first varies per run.
    data["changed"].sort(key=lambda c: (c["host"], c["task"]))
    data["failures"].sort(key=lambda f: (f["host"], f["task"]))
    return data


def test_transmit_worker_process_gives_the_local_result_and_no_secret(tmp_path, vault):
    vault_file, pwfile, secret, password = vault
    target = tmp_path / "target"  # where the playbook writes (both runs start from empty)
    spec = RunSpec(
        playbook="playbooks/scaleout.yml",
        diff=True,
        extra_vars={"fleet_test_dir": str(target)},
    )

    def prepare(name: str):
        return prepare_site_dir(
            spec,
            inventory(),
            tmp_path / name / SITE,
            PROJECT,
            name,
            facts_dir=tmp_path / "facts",
            vault_file=vault_file,
            vault_password=read_vault_password(pwfile),
            bundle=True,  # a remote worker cannot follow symlinks into this checkout
        )

    target.mkdir()
    local = run_site(prepare("local"), SITE, "apply", "local", threading.Event())
    assert local.status == "changed" and local.totals().changed > 0

    shutil.rmtree(target)
    target.mkdir()
    site_dir = prepare("remote")
    env = {**os.environ, **process_env()}
    out = tmp_path / "processed"
    transmit = subprocess.Popen(
        [
            str(BIN / "ansible-runner"),
            "transmit",
            str(site_dir.path),
            "-p",
            site_dir.playbook,
            "-i",
            "remote",
        ],
        stdout=subprocess.PIPE,
        env=env,
    )
    worker = subprocess.Popen(
        [str(BIN / "ansible-runner"), "worker"],
        stdin=transmit.stdout,
        stdout=subprocess.PIPE,
        env=env,
    )
    transmit.stdout.close()
    process = subprocess.run(
        [str(BIN / "ansible-runner"), "process", str(out), "-i", "remote"],
        stdin=worker.stdout,
        capture_output=True,
        env=env,
        timeout=600,
    )
    worker.stdout.close()
    assert worker.wait(timeout=60) == 0 and transmit.wait(timeout=60) == 0
    assert process.returncode == 0, process.stderr.decode()[-2000:]
    site_dir.remove_secrets()  # shipped with the job: fleet deletes it once transmitted

    remote = result_from_artifacts(out / "artifacts" / "remote", SITE, "apply")
    for key, value in comparable(local).items():
        assert comparable(remote)[key] == value, key
    assert (target / f"{DC}.secret").read_text().strip() == secret  # the worker really ran it

    leaks = []
    for root in (out, tmp_path / "local", tmp_path / "remote"):
        for path in root.rglob("*"):
            if path.is_file():
                content = path.read_bytes()
                leaks += [f"{path}: {n[:12]}…" for n in (secret, password) if n.encode() in content]
    leaks += [
        f"process stdout: {n[:12]}…" for n in (secret, password) if n.encode() in process.stdout
    ]
    assert leaks == []
