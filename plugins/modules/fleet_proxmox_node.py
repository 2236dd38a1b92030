#!/usr/bin/python
# ruff: noqa: E402  (Ansible modules: documentation strings come before the imports)
"""One Proxmox VE node's DNS, time zone and bridge (see DOCUMENTATION)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: fleet_proxmox_node
short_description: Keep a Proxmox VE node's DNS, time zone and VLAN-aware bridge
description:
  - Reads the node's DNS, time and network once each; writes what differs. Bridge changes are
    staged and applied with one network reload, whose task is waited for.
  - Check mode reads only; diff shows each object that changes, before and after.
options:
  node: {type: str, required: true, description: The PVE node name.}
  dns: {type: dict, description: "C({search, servers}): the node's resolv.conf."}
  timezone: {type: str, description: The node's time zone.}
  bridge: {type: dict, description: "C({name, ports, vlan_aware, vids, cidr, gateway})."}
extends_documentation_fragment: [fleet_proxmox]
author: fleet
"""

RETURN = r"""
changes: {description: What changed (or would), one entry per object., type: list, returned: always}
calls: {description: API calls made (reads, writes, task polls)., type: dict, returned: always}
"""

from ansible.module_utils.fleet_proxmox import run
from ansible.module_utils.fleet_proxmox_objects import node


def main() -> None:
    run(
        {
            "node": {"type": "str", "required": True},
            "dns": {"type": "dict"},
            "timezone": {"type": "str"},
            "bridge": {"type": "dict"},
        },  # fmt: skip
        lambda api, p, check: node(api, p["node"], p["dns"], p["timezone"], p["bridge"], check),
    )


if __name__ == "__main__":
    main()
