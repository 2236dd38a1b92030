#!/usr/bin/python
# ruff: noqa: E402  (Ansible modules: documentation strings come before the imports)
"""Firewall aliases of an OPNsense firewall (see DOCUMENTATION)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: fleet_opnsense_aliases
short_description: Keep an OPNsense firewall's aliases equal to a list
description:
  - Aliases are identified by name; fleet's carry C([fleet]) in their description. Reads the
    aliases once (C(firewall/alias/get)), writes once per alias that differs (content compared
    as a set of entries), reconfigures once when something changed.
  - Aliases without the marker are reported as C(unmanaged) and never touched; an unmanaged
    alias with a listed name is a conflict (nothing is written).
  - Managed aliases no longer listed are deleted with I(allow_destroy) only, and only in a
    second pass (I(prune_only)) after the filter rules that used them are gone.
  - Check mode reads only; diff shows each alias that changes.
options:
  aliases:
    type: list
    elements: dict
    required: true
    description: Aliases C({name, type, content, description}) (opnsense_aliases).
  prune_only: {type: bool, default: false, description: Only delete the stale managed aliases.}
extends_documentation_fragment: [fleet_opnsense, fleet_opnsense.destroy]
author: fleet
"""

RETURN = r"""
changes: {description: What changed (or would), one entry per alias., type: list, returned: always}
unmanaged: {description: "Aliases without the [fleet] marker.", type: list, returned: always}
stale: {description: Managed aliases no longer listed, kept., type: list, returned: always}
calls: {description: API calls made., type: dict, returned: always}
"""

from ansible.module_utils.fleet_opnsense import ALLOW_DESTROY, OBJECTS, run
from ansible.module_utils.fleet_opnsense_reconcile import aliases, desired_aliases


def main() -> None:
    run(
        {"aliases": OBJECTS, "allow_destroy": ALLOW_DESTROY,
         "prune_only": {"type": "bool", "default": False}},
        lambda api, _, p, check: aliases(
            api, desired_aliases(p["aliases"]), p["allow_destroy"], check, p["prune_only"]
        ),
    )  # fmt: skip


if __name__ == "__main__":
    main()
