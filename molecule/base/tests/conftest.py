"""Expected values for the base role's checks, from the same variables the role reads.

The checks are read-only, so they run the same way under Molecule and against a live site:
- Molecule (testinfra's podman backend): the variables come from Molecule's inventory,
  $MOLECULE_INVENTORY_FILE (Molecule exports it to the verifier; the scenario's group_vars and
  host_vars sit next to it and are read with it);
- a live site: `pytest --hosts=ansible://<group> --ansible-inventory=<site inventory>` (testinfra's
  ansible backend reads the inventory itself), or another backend with
  FLEET_VERIFY_INVENTORY=<inventory> naming the inventory.
Without an inventory that knows the host the checks would compare against the role's defaults
(no admin account: nothing to check), so that is an error, never a silent pass.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

DEFAULTS = {
    "timezone": "Europe/Paris",
    "ntp_servers": [],
    "journald_max_use": "500M",
    "admin_accounts": [],
    "admin_group": "fleetadmins",
    "ssh_permit_root_login": "prohibit-password",
    "ssh_max_auth_tries": 3,
    "syslog_server": None,
    "syslog_port": 514,
    "syslog_protocol": "tcp",
}
INVENTORY_ENV = ("MOLECULE_INVENTORY_FILE", "FLEET_VERIFY_INVENTORY")


def _inventory_vars(host) -> dict:
    """The host's inventory variables; fails the test run when no inventory knows the host."""
    if host.backend.NAME == "ansible":
        return host.ansible.get_variables()
    name = host.backend.get_hostname()
    found = [(var, os.environ[var]) for var in INVENTORY_ENV if os.environ.get(var)]
    if not found:
        pytest.fail(
            f"no inventory to take the expected values of {name} from: run under Molecule "
            "(it sets MOLECULE_INVENTORY_FILE), set FLEET_VERIFY_INVENTORY=<inventory>, or use "
            "--hosts=ansible://<group> --ansible-inventory=<inventory>",
            pytrace=False,
        )
    var, inventory = found[0]
    if not Path(inventory).exists():
        pytest.fail(f"{var}={inventory}: no such inventory", pytrace=False)
    from testinfra.utils.ansible_runner import AnsibleRunner

    runner = AnsibleRunner(inventory)
    try:
        hosts = runner.get_hosts("all")
    except RuntimeError as exc:  # testinfra: nothing parsed
        pytest.fail(f"{var}={inventory}: {exc}", pytrace=False)
    if name not in hosts:
        pytest.fail(f"{var}={inventory}: host {name} is not in this inventory", pytrace=False)
    return runner.get_variables(name)


def pytest_configure(config) -> None:
    config.addinivalue_line(
        "markers", "molecule_only: needs Molecule's fixtures or writes; `fleet verify` skips it"
    )


@pytest.fixture(scope="module")
def hostvars(host) -> dict:
    return _inventory_vars(host)


@pytest.fixture(scope="module")
def expected(hostvars) -> dict:
    """base_<key> if set for the host, else fleet_<key> (registry), else the role default."""
    values = {}
    for key, default in DEFAULTS.items():
        values[key] = hostvars.get(f"base_{key}", hostvars.get(f"fleet_{key}", default))
    return values
