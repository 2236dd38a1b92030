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
  api_url: {type: str, required: true, description: "https://<firewall>"}
  api_key: {type: str, description: API key (site vault).}
  api_secret: {type: str, description: API secret (site vault).}
  api_credentials_file: {type: path, description: JSON file with key and secret (the lab's).}
  api_ca: {type: path, description: CA file the firewall's certificate is checked against.}
  api_timeout: {type: float, default: 30, description: Seconds per request.}
  aliases:
    type: list
    elements: dict
    required: true
    description: Aliases C({name, type, content, description}) (opnsense_aliases).
  allow_destroy: {type: bool, default: false, description: Delete managed aliases no longer listed.}
  prune_only: {type: bool, default: false, description: Only delete the stale managed aliases.}
author: fleet
"""

RETURN = r"""
changes: {description: What changed (or would), one entry per alias., type: list, returned: always}
unmanaged: {description: Aliases without the [fleet] marker., type: list, returned: always}
stale: {description: Managed aliases no longer listed, kept., type: list, returned: always}
calls: {description: API calls made., type: dict, returned: always}
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.fleet_opnsense import API_ARGS, client, finish
from ansible.module_utils.fleet_opnsense_reconcile import aliases, desired_aliases


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            **API_ARGS,
            "aliases": {"type": "list", "elements": "dict", "required": True},
            "allow_destroy": {"type": "bool", "default": False},
            "prune_only": {"type": "bool", "default": False},
        },
        supports_check_mode=True,
    )
    api = client(module)
    p = module.params
    finish(
        module,
        api,
        lambda: aliases(
            api,
            desired_aliases(p["aliases"]),
            p["allow_destroy"],
            module.check_mode,
            prune_only=p["prune_only"],
        ),  # fmt: skip
    )


if __name__ == "__main__":
    main()
