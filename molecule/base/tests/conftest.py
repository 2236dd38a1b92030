"""Expected values for the base role's checks, from the same variables the role reads.

The checks are read-only, so they run the same way under Molecule (podman backend; the
variables come from Molecule's inventory, $MOLECULE_INVENTORY_FILE) and against a live site
(`pytest --hosts=ansible://<group> --ansible-inventory=<site inventory>`; the variables come from
the generated inventory through testinfra's ansible backend).
"""

from __future__ import annotations

import os

import pytest

DEFAULTS = {
    "timezone": "Europe/Paris",
    "ntp_servers": [],
    "journald_max_use": "500M",
    "admin_accounts": [],
    "admin_group": "fleetadmins",
    "ssh_permit_root_login": "prohibit-password",
    "ssh_max_auth_tries": 3,
}


def _inventory_vars(host) -> dict:
    if host.backend.NAME == "ansible":
        return host.ansible.get_variables()
    inventory = os.environ.get("MOLECULE_INVENTORY_FILE") or os.environ.get(
        "FLEET_VERIFY_INVENTORY"
    )
    if not inventory:
        return {}
    from testinfra.utils.ansible_runner import AnsibleRunner

    return AnsibleRunner(inventory).get_variables(host.backend.get_hostname())


@pytest.fixture(scope="module")
def expected(host) -> dict:
    """base_<key> if set for the host, else fleet_<key> (registry), else the role default."""
    hostvars = _inventory_vars(host)
    values = {}
    for key, default in DEFAULTS.items():
        values[key] = hostvars.get(f"base_{key}", hostvars.get(f"fleet_{key}", default))
    return values
