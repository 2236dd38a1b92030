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
  api_url: {type: str, required: true, description: "https://<firewall>"}
  api_key: {type: str, description: API key (site vault).}
  api_secret: {type: str, description: API secret (site vault).}
  api_credentials_file: {type: path, description: JSON file with key and secret (the lab's).}
  api_ca: {type: path, description: CA file the firewall's certificate is checked against.}
  api_timeout: {type: float, default: 30, description: Seconds per request.}
  firmware: {type: str, description: The firmware version (fleet_opnsense_info); read when absent.}
  host_overrides: {type: list, elements: dict, default: [], description: "C({hostname, domain, address, description})."}
  forwards: {type: list, elements: dict, default: [], description: "C({domain, server, description})."}
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
from ansible.module_utils.fleet_opnsense import API_ARGS, FIRMWARE_ARG, client, finish, firmware
from ansible.module_utils.fleet_opnsense_reconcile import (
    desired_forwards,
    desired_hosts,
    dns,
)


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            **API_ARGS,
            **FIRMWARE_ARG,
            "host_overrides": {"type": "list", "elements": "dict", "default": []},
            "forwards": {"type": "list", "elements": "dict", "default": []},
            "allow_destroy": {"type": "bool", "default": False},
        },
        supports_check_mode=True,
    )
    api = client(module)
    p = module.params
    release = firmware(module, api)
    finish(
        module,
        api,
        lambda: dns(
            api,
            release,
            desired_hosts(p["host_overrides"]),
            desired_forwards(p["forwards"]),
            p["allow_destroy"],
            module.check_mode,
        ),  # fmt: skip
    )


if __name__ == "__main__":
    main()
