#!/usr/bin/python
# ruff: noqa: E402  (Ansible modules: documentation strings come before the imports)
"""VLAN devices of an OPNsense firewall (see DOCUMENTATION)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: fleet_opnsense_vlans
short_description: Keep an OPNsense firewall's VLAN devices equal to a list
description:
  - One VLAN device per entry on its parent, named C(vlan0.<tag>), its description
    C([fleet] <name>). Reads the devices once (C(interfaces/vlan_settings/get)), writes once per
    device that differs, reconfigures once when something changed.
  - Devices without the marker are reported as C(unmanaged) and never touched; a managed device
    no longer listed is deleted only with I(allow_destroy). A desired device clashing with an
    unmanaged one (same device name, or same tag on the parent) fails before any write.
  - Check mode reads only; diff shows each device that changes, before and after.
options:
  vlans:
    type: list
    elements: dict
    required: true
    description: VLANs C({name, tag, parent, device}) (the generated inventory's opnsense_vlans).
extends_documentation_fragment: [fleet_opnsense, fleet_opnsense.destroy]
author: fleet
"""

RETURN = r"""
changes: {description: What changed (or would), one entry per object., type: list, returned: always}
unmanaged: {description: "Devices without the [fleet] marker.", type: list, returned: always}
stale: {description: Managed devices no longer listed, kept (no allow_destroy)., type: list, returned: always}
calls: {description: API calls made (reads, writes, applies)., type: dict, returned: always}
"""

from ansible.module_utils.fleet_opnsense import ALLOW_DESTROY, OBJECTS, run
from ansible.module_utils.fleet_opnsense_reconcile import desired_vlans, vlans


def main() -> None:
    run(
        {"vlans": OBJECTS, "allow_destroy": ALLOW_DESTROY},
        lambda api, _, p, check: vlans(api, desired_vlans(p["vlans"]), p["allow_destroy"], check),
    )


if __name__ == "__main__":
    main()
