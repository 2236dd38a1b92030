"""The opsi_depot role's result: the host (testinfra over podman) and the depot read back
over JSON-RPC (the scenario's simulator, TLS verified against its CA)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from fleet.opsi import depot as engine
from fleet.opsi.rpc import Client


@pytest.fixture(scope="module")
def hostvars(host) -> dict:
    """The depot's variables: the scenario's file under Molecule; on a live site (`fleet
    verify`), the site inventory's (FLEET_VERIFY_INVENTORY)."""
    directory = os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY")
    if directory:
        return json.loads((Path(directory) / "opsi" / "depot1.json").read_text())
    inventory = os.environ.get("FLEET_VERIFY_INVENTORY")
    if not inventory:
        pytest.fail("run through `molecule verify`, or set FLEET_VERIFY_INVENTORY (fleet verify)")
    from testinfra.utils.ansible_runner import AnsibleRunner

    return AnsibleRunner(inventory).get_variables(host.backend.get_hostname())


def test_depot_directories_belong_to_the_service_group(host):
    for sub in ("depot", "repository", "workbench"):
        d = host.file(f"/var/lib/opsi/{sub}")
        assert d.is_directory and d.group == "pcpatch" and d.mode == 0o2775


def test_service_account_cannot_log_in(host):
    user = host.user("pcpatch")
    assert user.exists and user.shell == "/usr/sbin/nologin" and user.group == "pcpatch"


def test_smbd_serves_the_depot_share(host):
    assert host.service("smbd").is_running and host.service("smbd").is_enabled
    assert host.socket("tcp://0.0.0.0:445").is_listening
    config = host.check_output("testparm -s --section-name=opsi_depot 2>/dev/null")
    assert "path = /var/lib/opsi/depot" in config and "valid users = @pcpatch" in config
    shares = host.run("smbclient -N -L //127.0.0.1 -g")
    assert "Disk|opsi_depot|OPSI depot" in shares.stdout, shares.stdout + shares.stderr


def test_the_depot_has_every_locked_product_of_its_profiles(hostvars):
    creds = json.loads(Path(hostvars["fleet_opsi_api_credentials_file"]).read_text())
    client = Client(hostvars["fleet_opsi_api_url"], creds["username"], creds["password"],
                    hostvars["fleet_opsi_api_ca"], 15)  # fmt: skip
    current = engine.read(client, hostvars["opsi_depot_id"])
    assert {pid: engine.version_of(p) for pid, p in current.products.items()} == {
        p["id"]: p["version"] for p in hostvars["opsi_products"]
    }
    for product in hostvars["opsi_products"]:
        for prop, values in product["properties"].items():
            assert current.states[(product["id"], prop)] == values
    assert set(current.groups) >= set(hostvars["opsi_profiles"])
    the_plan = engine.plan(current, hostvars["opsi_products"], hostvars["opsi_profiles"])
    assert not the_plan.changed


@pytest.mark.molecule_only  # the scenario's own password: `fleet verify` skips it
def test_the_service_account_reads_the_share_with_its_password(host):
    # the scenario's test-only password (molecule.yml); a wrong one is refused
    ok = host.run("PASSWD='Molecule-Share-2024!' smbclient //127.0.0.1/opsi_depot -U pcpatch -c ls")
    assert ok.rc == 0, ok.stdout + ok.stderr
    bad = host.run("PASSWD='wrong' smbclient //127.0.0.1/opsi_depot -U pcpatch -c ls")
    assert bad.rc != 0 and "NT_STATUS_LOGON_FAILURE" in bad.stdout + bad.stderr
