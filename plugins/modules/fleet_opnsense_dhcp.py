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
  - Reads C(kea/dhcpv4/get) for the settings, one search each (every row) for subnets and
    reservations; a write per object that differs; one Kea reconfigure when something changed.
    A failing write or reconfigure undoes the writes already made.
  - Objects without C([fleet]) are reported as C(unmanaged); managed ones no longer listed are
    deleted with I(allow_destroy) only (reservations before their subnet).
  - Check mode reads only; diff shows each object that changes.
options:
  settings: {type: dict, description: "C({enabled, interfaces}); omit to leave the settings alone."}
  subnets: {type: list, elements: dict, default: [], description: "C({subnet, pools, routers, dns_servers, ntp_servers, domain_name, description})."}
  reservations: {type: list, elements: dict, default: [], description: "C({hostname, mac, subnet, ip_address, description})."}
extends_documentation_fragment: [fleet_opnsense, fleet_opnsense.destroy]
author: fleet
"""

RETURN = r"""
changes: {description: Settings, subnets and reservations changed (or to change)., type: list, returned: always}
unmanaged: {description: "Subnets and reservations without the [fleet] marker.", type: list, returned: always}
stale: {description: Managed subnets and reservations no longer listed, kept., type: list, returned: always}
calls: {description: API calls made., type: dict, returned: always}
"""

from ansible.module_utils.fleet_opnsense import ALLOW_DESTROY, OPTIONAL_OBJECTS, run
from ansible.module_utils.fleet_opnsense_reconcile import (
    desired_reservations,
    desired_subnets,
    dhcp,
)


def main() -> None:
    run(
        {"settings": {"type": "dict"}, "subnets": OPTIONAL_OBJECTS,
         "reservations": OPTIONAL_OBJECTS, "allow_destroy": ALLOW_DESTROY},
        lambda api, _, p, check: dhcp(
            api, p["settings"], desired_subnets(p["subnets"]),
            desired_reservations(p["reservations"]), p["allow_destroy"], check,
        ),
    )  # fmt: skip


if __name__ == "__main__":
    main()
