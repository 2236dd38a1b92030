"""Fixtures for the samba_ad_dc checks: the host's inventory variables and a module runner.

The checks read the DC through testinfra's podman backend. The module tests run fleet's own
modules on the same DC through ansible ad-hoc (`containers.podman.podman` connection, the json
callback), so check mode, diffs and idempotence are observed on a real Samba AD DC.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[3]
SAM = "/var/lib/samba/private/sam.ldb"


def pytest_configure(config) -> None:
    config.addinivalue_line(
        "markers", "molecule_only: needs Molecule's fixtures or writes; `fleet verify` skips it"
    )


def _inventory_file() -> str:
    """Molecule's inventory, or a live site's (`fleet verify` sets FLEET_VERIFY_INVENTORY)."""
    inventory = os.environ.get("MOLECULE_INVENTORY_FILE") or os.environ.get(
        "FLEET_VERIFY_INVENTORY"
    )
    if not inventory:
        pytest.fail(
            "neither MOLECULE_INVENTORY_FILE nor FLEET_VERIFY_INVENTORY is set: run these "
            "checks through `molecule verify` or `fleet verify`"
        )
    return inventory


@pytest.fixture(scope="module")
def hostvars(host) -> dict:
    from testinfra.utils.ansible_runner import AnsibleRunner

    return AnsibleRunner(_inventory_file()).get_variables(host.backend.get_hostname())


@pytest.fixture(scope="module")
def realm(hostvars) -> str:
    return hostvars["samba_ad_realm"]


@pytest.fixture(scope="module")
def base_dn(realm) -> str:
    return ",".join(f"DC={label}" for label in realm.lower().split("."))


class ModuleRunner:
    """Run one fleet module on the DC with ansible ad-hoc and return its result dict."""

    def __init__(self, hostname: str, tmp: Path):
        self.hostname = hostname
        self.tmp = tmp

    def __call__(self, name: str, args: dict, check: bool = False) -> dict:
        env = dict(
            os.environ,
            ANSIBLE_LIBRARY=str(PROJECT / "plugins/modules"),
            ANSIBLE_MODULE_UTILS=str(PROJECT / "plugins/module_utils"),
            ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
            ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
            ANSIBLE_HOST_KEY_CHECKING="0",
            CONTAINERS_CONF=str(PROJECT / "fleet/lab/containers.conf"),
        )
        # Arguments (they may hold a password) go through a 0600 file, not the command line.
        args_file = self.tmp / f"{name}.json"
        args_file.write_text(json.dumps({"module_args": args}), encoding="utf-8")
        args_file.chmod(0o600)
        playbook = self.tmp / f"{name}.yml"
        playbook.write_text(
            json.dumps(
                [
                    {
                        "hosts": "all",
                        "gather_facts": False,
                        "vars_files": [str(args_file)],
                        "tasks": [{"name": name, name: "{{ module_args }}"}],
                    }
                ]
            ),
            encoding="utf-8",
        )
        command = [
            str(Path(os.sys.executable).with_name("ansible-playbook")),
            "-i",
            f"{self.hostname},",
            "-c",
            "containers.podman.podman",
            "-e",
            "ansible_python_interpreter=/usr/bin/python3",
            str(playbook),
        ]
        if check:
            command += ["--check", "--diff"]
        else:
            command += ["--diff"]
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        try:
            report = json.loads(done.stdout)
            return report["plays"][0]["tasks"][0]["hosts"][self.hostname]
        except (ValueError, KeyError, IndexError):
            pytest.fail(
                f"ansible-playbook gave no result ({done.returncode}):\n{done.stdout}\n{done.stderr}"
            )


@pytest.fixture(scope="module")
def run_module(host, tmp_path_factory) -> ModuleRunner:
    return ModuleRunner(host.backend.get_hostname(), tmp_path_factory.mktemp("modules"))


@pytest.fixture
def directory(host, base_dn):
    """A text snapshot of the directory objects fleet manages (what a write would change)."""

    def snapshot() -> str:
        out = host.check_output(
            "ldbsearch -H %s -b %s --sorted "
            "'(|(objectClass=organizationalUnit)(objectClass=group)(objectClass=user)(objectClass=domainDNS))' "
            "dn description givenName sn displayName userAccountControl member minPwdLength "
            "pwdHistoryLength lockoutThreshold",
            SAM,
            base_dn,
        )
        return "\n".join(line for line in out.splitlines() if not line.startswith("#"))

    return snapshot
