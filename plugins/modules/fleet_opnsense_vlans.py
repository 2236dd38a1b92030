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
  api_url: {type: str, required: true, description: "https://<firewall>"}
  api_key: {type: str, description: API key (site vault).}
  api_secret: {type: str, description: API secret (site vault).}
  api_credentials_file: {type: path, description: JSON file with key and secret (the lab's).}
  api_ca: {type: path, description: CA file the firewall's certificate is checked against.}
  api_timeout: {type: float, default: 30, description: Seconds per request.}
  vlans:
    type: list
    elements: dict
    required: true
    description: VLANs C({name, tag, parent, device}) (the generated inventory's opnsense_vlans).
  allow_destroy: {type: bool, default: false, description: Delete managed devices no longer listed.}
author: fleet
"""

RETURN = r"""
changes: {description: What changed (or would), one entry per object., type: list, returned: always}
unmanaged: {description: Devices without the [fleet] marker., type: list, returned: always}
stale: {description: Managed devices no longer listed, kept (no allow_destroy)., type: list, returned: always}
calls: {description: API calls made (reads, writes, applies)., type: dict, returned: always}
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.fleet_opnsense import API_ARGS, client, finish
from ansible.module_utils.fleet_opnsense_reconcile import desired_vlans, vlans


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            **API_ARGS,
            "vlans": {"type": "list", "elements": "dict", "required": True},
            "allow_destroy": {"type": "bool", "default": False},
        },
        supports_check_mode=True,
    )
    api = client(module)
    p = module.params
    finish(
        module,
        api,
        lambda: vlans(api, desired_vlans(p["vlans"]), p["allow_destroy"], module.check_mode),
    )


if __name__ == "__main__":
    main()
