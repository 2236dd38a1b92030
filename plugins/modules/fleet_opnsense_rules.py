#!/usr/bin/python
# ruff: noqa: E402  (Ansible modules: documentation strings come before the imports)
"""Filter rules of an OPNsense firewall, applied safely (see DOCUMENTATION)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: fleet_opnsense_rules
short_description: Keep an OPNsense firewall's filter rules equal to an ordered list, safely
description:
  - Each rule is identified by the name in its description, C([fleet] <name>). Reads the rules
    once (C(firewall/filter/get)), writes once per rule that differs, converges the order of
    fleet's rules (C(moveRuleBefore) from 25.7, new sequence numbers before) only where it
    differs, and applies the filter once.
  - Safe apply. Up to 26.1 a savepoint is taken first and the filter applied with its revision
    (the firewall restores it by itself after 60 s); from 26.7 the newest configuration backup
    is downloaded first. After the apply a new connection must reach the API; if none does, the
    change is rolled back (over the connection fleet still holds, or by the firewall's own
    rollback) and the module fails with the reason. Otherwise the rollback is cancelled.
  - A failing write or apply rolls back the same way; the module fails with the API's message.
  - Rules without the marker are reported as C(unmanaged), never touched; managed rules no
    longer listed are deleted with I(allow_destroy) only.
  - Check mode reads only; diff shows each rule that changes, and each move.
options:
  api_url: {type: str, required: true, description: "https://<firewall>"}
  api_key: {type: str, description: API key (site vault).}
  api_secret: {type: str, description: API secret (site vault).}
  api_credentials_file: {type: path, description: JSON file with key and secret (the lab's).}
  api_ca: {type: path, description: CA file the firewall's certificate is checked against.}
  api_timeout: {type: float, default: 30, description: Seconds per request.}
  firmware: {type: str, description: The firmware version (fleet_opnsense_info); read when absent.}
  rules:
    type: list
    elements: dict
    required: true
    description: Rules in order C({name, interface, action, protocol, source, destination, port, log, enabled, description}).
  allow_destroy: {type: bool, default: false, description: Delete managed rules no longer listed.}
  rollback_wait: {type: float, default: 75, description: Seconds to wait for the firewall's own rollback (up to 26.1).}
  restore_file: {type: path, description: "26.7: where the pre-change config.xml is kept (mode 0600) for a console restore."}
author: fleet
"""

RETURN = r"""
changes: {description: What changed (or would), one entry per rule or move., type: list, returned: always}
unmanaged: {description: Rules without the [fleet] marker., type: list, returned: always}
stale: {description: Managed rules no longer listed, kept., type: list, returned: always}
calls: {description: API calls made (reads, writes, applies, safety)., type: dict, returned: always}
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.fleet_opnsense import API_ARGS, FIRMWARE_ARG, client, finish, firmware
from ansible.module_utils.fleet_opnsense_reconcile import SafeApply, desired_rules, rules


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            **API_ARGS,
            **FIRMWARE_ARG,
            "rules": {"type": "list", "elements": "dict", "required": True},
            "allow_destroy": {"type": "bool", "default": False},
            "rollback_wait": {"type": "float", "default": 75.0},
            "restore_file": {"type": "path"},
        },
        supports_check_mode=True,
    )
    api = client(module)
    p = module.params
    release = firmware(module, api)
    safety = SafeApply(rollback_wait=p["rollback_wait"], restore_file=p["restore_file"])
    finish(
        module,
        api,
        lambda: rules(
            api, release, desired_rules(p["rules"]), p["allow_destroy"], module.check_mode, safety
        ),
    )


if __name__ == "__main__":
    main()
