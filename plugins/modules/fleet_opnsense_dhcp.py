#!/usr/bin/python
# ruff: noqa: E402  (Ansible modules: documentation strings come before the imports)
"""Kea DHCPv4 of an OPNsense firewall: settings, subnets, reservations (see DOCUMENTATION)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: fleet_opnsense_dhcp
short_description: Keep an OPNsense firewall's Kea DHCPv4 subnets and reservations equal to lists
description:
  - The service settings fleet owns (enabled, interfaces); one subnet per VLAN that needs one
    (pools, routers, DNS and NTP servers, domain; C(option_data_autocollect) off so OPNsense
    never refills them), identified by network; reservations (MAC, address, host name) of
    printers and fixed devices, identified by the name in their description, naming their
    subnet by network.
  - Reads: C(kea/dhcpv4/get) for the settings, one search each (every row) for subnets and
    reservations; a write per object that differs; one Kea reconfigure when something changed.
    A failing write or reconfigure undoes the writes already made.
  - Objects without C([fleet]) are reported as C(unmanaged); managed ones no longer listed are
    deleted with I(allow_destroy) only (reservations before their subnet).
  - Check mode reads only; diff shows each object that changes.
options:
  api_url: {type: str, required: true, description: "https://<firewall>"}
  api_key: {type: str, description: API key (site vault).}
  api_secret: {type: str, description: API secret (site vault).}
  api_credentials_file: {type: path, description: JSON file with key and secret (the lab's).}
  api_ca: {type: path, description: CA file the firewall's certificate is checked against.}
  api_timeout: {type: float, default: 30, description: Seconds per request.}
  settings: {type: dict, description: "C({enabled, interfaces}); omit to leave the settings alone."}
  subnets: {type: list, elements: dict, default: [], description: "C({subnet, pools, routers, dns_servers, ntp_servers, domain_name, description})."}
  reservations: {type: list, elements: dict, default: [], description: "C({hostname, mac, subnet, ip_address, description})."}
  allow_destroy: {type: bool, default: false, description: Delete managed objects no longer listed.}
author: fleet
"""

RETURN = r"""
changes: {description: What changed (or would)., type: list, returned: always}
unmanaged: {description: Objects without the [fleet] marker., type: list, returned: always}
stale: {description: Managed objects no longer listed, kept., type: list, returned: always}
calls: {description: API calls made., type: dict, returned: always}
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.fleet_opnsense import API_ARGS, client, finish
from ansible.module_utils.fleet_opnsense_reconcile import (
    desired_reservations,
    desired_subnets,
    dhcp,
)


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            **API_ARGS,
            "settings": {"type": "dict"},
            "subnets": {"type": "list", "elements": "dict", "default": []},
            "reservations": {"type": "list", "elements": "dict", "default": []},
            "allow_destroy": {"type": "bool", "default": False},
        },
        supports_check_mode=True,
    )
    api = client(module)
    p = module.params
    try:
        reservations = desired_reservations(p["reservations"])
    except (KeyError, ValueError) as exc:
        module.fail_json(msg=f"invalid reservation: {exc}")
    finish(
        module,
        api,
        lambda: dhcp(
            api,
            p["settings"],
            desired_subnets(p["subnets"]),
            reservations,
            p["allow_destroy"],
            module.check_mode,
        ),  # fmt: skip
    )


if __name__ == "__main__":
    main()
