#!/usr/bin/python
# ruff: noqa: E402  (Ansible modules: documentation strings come before the imports)
"""Unbound host overrides and forwards of an OPNsense firewall (see DOCUMENTATION)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: fleet_opnsense_dns
short_description: Keep an OPNsense firewall's Unbound host overrides and forwards equal to lists
description:
  - Host overrides (A records of the site's servers) are identified by host name and domain;
    forwards (a domain sent to a server, e.g. the AD realm to the site's domain controller) by
    domain. Up to 24.7 forwards are Unbound domain overrides, from 25.1 query forwarding.
  - One read (C(unbound/settings/get)) for both, a write per object that differs, one Unbound
    reconfigure when something changed. Objects without C([fleet]) in their description are
    reported as C(unmanaged) and never touched; managed ones no longer listed are deleted with
    I(allow_destroy) only.
  - Check mode reads only; diff shows each object that changes.
options:
  host_overrides: {type: list, elements: dict, default: [], description: "C({hostname, domain, address, description})."}
  forwards: {type: list, elements: dict, default: [], description: "C({domain, server, description})."}
extends_documentation_fragment: [fleet_opnsense, fleet_opnsense.destroy, fleet_opnsense.firmware]
author: fleet
"""

RETURN = r"""
changes: {description: Host overrides and forwards changed (or to change)., type: list, returned: always}
unmanaged: {description: "Host overrides and forwards without the [fleet] marker.", type: list, returned: always}
stale: {description: Managed host overrides and forwards no longer listed, kept., type: list, returned: always}
calls: {description: API calls made., type: dict, returned: always}
"""

from ansible.module_utils.fleet_opnsense import ALLOW_DESTROY, OPTIONAL_OBJECTS, run
from ansible.module_utils.fleet_opnsense_reconcile import desired_forwards, desired_hosts, dns


def main() -> None:
    run(
        {"host_overrides": OPTIONAL_OBJECTS, "forwards": OPTIONAL_OBJECTS,
         "allow_destroy": ALLOW_DESTROY},
        lambda api, release, p, check: dns(
            api, release, desired_hosts(p["host_overrides"]), desired_forwards(p["forwards"]),
            p["allow_destroy"], check,
        ),
        with_firmware=True,
    )  # fmt: skip


if __name__ == "__main__":
    main()
