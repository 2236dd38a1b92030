#!/usr/bin/python
# ruff: noqa: E402  (Ansible modules: documentation strings come before the imports)
"""A site's guests on Proxmox VE (see DOCUMENTATION)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: fleet_proxmox_guests
short_description: Keep a site's Proxmox VE guests equal to the registry
description:
  - Reads C(/cluster/resources) once and each managed guest's config once; plans every guest
    before any write. A registry disk smaller than the deployed one fails the plan (PVE never
    shrinks), naming guest, disk, deployed and wanted size.
  - Creates a missing guest by cloning its node's template into the site's pool, then sets
    cores, memory, C(net0) bridge and VLAN tag (the MAC address is kept), cloud-init, onboot,
    the QEMU agent, the C(fleet) tag and a C([fleet]) description (one write guarded by the
    config digest), grows disks with C(resize) (C(+) syntax), starts or stops it. Each task is
    waited for by its UPID with I(task_timeout); a task ending in error fails with its exit
    status.
  - Guests without the C(fleet) tag are reported as C(unmanaged) and never touched. A managed
    guest no longer listed is listed first and destroyed only with I(allow_destroy).
  - Check mode reads only; diff shows each guest that changes, key by key, before and after.
options:
  guests:
    type: list
    elements: dict
    required: true
    description: The site's guests (the generated inventory's proxmox_guests of every node).
extends_documentation_fragment: [fleet_proxmox, fleet_proxmox.destroy]
author: fleet
"""

RETURN = r"""
changes: {description: What changed (or would), one entry per guest., type: list, returned: always}
unmanaged: {description: Guests without the fleet tag., type: list, returned: always}
stale: {description: Managed guests no longer in the registry., type: list, returned: always}
calls: {description: API calls made (reads, writes, task polls)., type: dict, returned: always}
"""

from ansible.module_utils.fleet_proxmox import ALLOW_DESTROY, run
from ansible.module_utils.fleet_proxmox_guests import PlanError, converge


def main() -> None:
    run(
        {
            "guests": {"type": "list", "elements": "dict", "required": True},
            "allow_destroy": ALLOW_DESTROY,
        },  # fmt: skip
        lambda api, p, check: converge(api, p["guests"], p["allow_destroy"], check),
        failures=(PlanError,),
    )


if __name__ == "__main__":
    main()
