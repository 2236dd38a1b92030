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
  rules:
    type: list
    elements: dict
    required: true
    description: Rules in order C({name, interface, action, protocol, source, destination, port, log, enabled, description}).
  rollback_wait: {type: float, default: 75, description: Seconds to wait for the firewall's own rollback (up to 26.1).}
  restore_file: {type: path, description: "26.7: where the pre-change config.xml is kept (mode 0600) for a console restore."}
extends_documentation_fragment: [fleet_opnsense, fleet_opnsense.destroy, fleet_opnsense.firmware]
author: fleet
"""

RETURN = r"""
changes: {description: What changed (or would), one entry per rule or move., type: list, returned: always}
unmanaged: {description: "Rules without the [fleet] marker.", type: list, returned: always}
stale: {description: Managed rules no longer listed, kept., type: list, returned: always}
calls: {description: API calls made (reads, writes, applies, safety)., type: dict, returned: always}
"""

from ansible.module_utils.fleet_opnsense import ALLOW_DESTROY, OBJECTS, run
from ansible.module_utils.fleet_opnsense_reconcile import SafeApply, desired_rules, rules


def converge(api, release, p, check):
    safety = SafeApply(rollback_wait=p["rollback_wait"], restore_file=p["restore_file"])
    return rules(api, release, desired_rules(p["rules"]), p["allow_destroy"], check, safety)


def main() -> None:
    run(
        {"rules": OBJECTS, "allow_destroy": ALLOW_DESTROY,
         "rollback_wait": {"type": "float", "default": 75.0}, "restore_file": {"type": "path"}},
        converge,
        with_firmware=True,
    )  # fmt: skip


if __name__ == "__main__":
    main()
