"""What the Proxmox scenarios' read-only checks share (molecule/proxmox_node/tests and
molecule/proxmox_guests/tests): which nodes to check, with which variables, and a proxmoxer
client for one of them.

The checks run the same under Molecule (each node's variables are the files prepare.yml wrote
in the ephemeral directory) and against a live site (`FLEET_VERIFY_INVENTORY=<inventory>`: the
hosts of its `proxmox_nodes` group, their variables from the inventory). The API token comes
from `proxmox_api_token_id`/`proxmox_api_token_secret` or the credentials file the lab names.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


def api_for(hostvars: dict[str, Any]):
    import proxmoxer

    url = urlsplit(hostvars.get("fleet_pve_api_url") or hostvars["proxmox_api_url"])
    ca = hostvars.get("fleet_pve_api_ca") or hostvars.get("proxmox_api_ca_file") or True
    token_id = hostvars.get("proxmox_api_token_id")
    secret = hostvars.get("proxmox_api_token_secret")
    if not (token_id and secret):
        with open(hostvars["fleet_pve_api_credentials_file"], encoding="utf-8") as handle:
            data = json.load(handle)
        token_id, secret = data["token_id"], data["token_secret"]
    user, _, name = token_id.partition("!")
    return proxmoxer.ProxmoxAPI(url.hostname, port=url.port or 8006, user=user, token_name=name,
                                token_value=secret, verify_ssl=ca, timeout=15)  # fmt: skip


def nodes() -> dict[str, dict[str, Any]]:
    """Each node to check → its variables."""
    ephemeral = os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY")
    if ephemeral and (Path(ephemeral) / "pve").is_dir():
        return {p.stem: json.loads(p.read_text())
                for p in sorted((Path(ephemeral) / "pve").glob("pve*.json"))}  # fmt: skip
    inventory = os.environ.get("FLEET_VERIFY_INVENTORY")
    if not inventory:
        raise RuntimeError("run through `molecule verify`, or set FLEET_VERIFY_INVENTORY")
    from testinfra.utils.ansible_runner import AnsibleRunner

    runner = AnsibleRunner(inventory)
    return {h: runner.get_variables(h) for h in runner.get_hosts("proxmox_nodes")}


def guests(found: dict[str, dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """(node, guest) for every guest the registry puts on one of `found`'s nodes."""
    return [(node, guest) for node in sorted(found)
            for guest in found[node].get("proxmox_guests") or ()]  # fmt: skip
