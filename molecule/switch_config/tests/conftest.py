"""The switches to check and a netmiko session to each.

The checks only read, so they run the same under Molecule (each switch's variables are the
files prepare.yml wrote) and against a live site (`FLEET_VERIFY_INVENTORY=<inventory>`: the
switches of its `switches` group, the variables from the inventory; the login from
`switch_username`/`switch_password` or the credentials file the lab names).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest


def _switches() -> dict[str, dict[str, Any]]:
    ephemeral = os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY")
    if ephemeral and (Path(ephemeral) / "switches").is_dir():
        return {
            p.stem: json.loads(p.read_text())
            for p in sorted((Path(ephemeral) / "switches").glob("*.json"))
            if not p.name.endswith(".credentials.json")
        }
    inventory = os.environ.get("FLEET_VERIFY_INVENTORY")
    if not inventory:
        pytest.fail(
            "run through `molecule verify`, or set FLEET_VERIFY_INVENTORY to a site inventory"
        )
    from testinfra.utils.ansible_runner import AnsibleRunner

    runner = AnsibleRunner(inventory)
    return {h: runner.get_variables(h) for h in runner.get_hosts("switches")}


SWITCHES = _switches()


def login(hostvars: dict[str, Any]) -> dict[str, str]:
    if hostvars.get("switch_username"):
        return {"username": hostvars["switch_username"], "password": hostvars["switch_password"],
                "snmp_community": hostvars.get("switch_snmp_community", "")}  # fmt: skip
    with open(hostvars["fleet_switch_credentials_file"], encoding="utf-8") as handle:
        return json.load(handle)


def running_config(hostvars: dict[str, Any]) -> str:
    """`show running-config` with netmiko, the host key checked."""
    from netmiko import ConnectHandler

    creds = login(hostvars)
    params = {
        "device_type": hostvars["switch_intent"]["platform"],
        "host": hostvars.get("fleet_switch_ssh_host") or hostvars["ansible_host"],
        "port": int(hostvars.get("fleet_switch_ssh_port") or 22),
        "username": creds["username"],
        "password": creds["password"],
        "ssh_strict": True,
        "allow_agent": False,
        "use_keys": False,
    }
    known = hostvars.get("fleet_switch_known_hosts")
    if known:
        params.update(system_host_keys=False, alt_host_keys=True, alt_key_file=known)
    conn = ConnectHandler(**params)
    try:
        return conn.send_command("show running-config").replace("\r\n", "\n")
    finally:
        conn.disconnect()


@pytest.fixture(params=sorted(SWITCHES), scope="module")
def switch(request) -> tuple[dict[str, Any], str]:
    hostvars = SWITCHES[request.param]
    return hostvars, running_config(hostvars)
