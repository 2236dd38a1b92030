#!/usr/bin/python
# ruff: noqa: E402  (Ansible modules: documentation strings come before the imports)
"""An OPNsense firewall's config.xml, secrets masked, into fleet's backup repository."""

from __future__ import annotations

DOCUMENTATION = r"""
module: fleet_opnsense_config
short_description: Commit an OPNsense firewall's config.xml (secrets masked) to fleet's backups
description:
  - Downloads the newest configuration (C(core/backup/download/this)), masks its secrets (API
    keys and secrets, passwords and hashes, pre-shared keys, private keys; fleet.opnsense.configxml)
    and commits it as C(<backup_dir>/<site>/<device>) when it differs from the stored one, with
    a message naming the run and the firewall's own revision (who saved it, when, why).
  - The same store as C(fleet_switch_config)'s backup (fleet/backups.py); the configuration travels from
    the API to the repository inside this module, so it never sits in the run's events.
  - Never reports C(changed) (a backup changes nothing on the device); in check mode (plan,
    drift) it still records what it read, so a change made by hand is kept.
options:
  backup_dir: {type: path, required: true, description: The git repository (created if absent).}
  site: {type: str, required: true, description: The site's UAI.}
  device: {type: str, required: true, description: File name, e.g. fw1.xml.}
  run: {type: str, default: "", description: What fleet run this is (command, run id, mode).}
extends_documentation_fragment: [fleet_opnsense]
author: fleet
"""

RETURN = r"""
commit: {description: The new commit id, or null when the stored configuration is the same., type: str, returned: success}
masked: {description: How many secret values were masked., type: int, returned: success}
revision: {description: The configuration's own revision (username, time, description)., type: dict, returned: success}
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.fleet_backups import store
from ansible.module_utils.fleet_opnsense import API_ARGS, client
from ansible.module_utils.fleet_opnsense_api import ApiError
from ansible.module_utils.fleet_opnsense_configxml import mask, revision


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            **API_ARGS,
            "backup_dir": {"type": "path", "required": True},
            "site": {"type": "str", "required": True},
            "device": {"type": "str", "required": True},
            "run": {"type": "str", "default": ""},
        },
        supports_check_mode=True,
    )
    p = module.params
    api = client(module)
    try:
        xml = api.download("core/backup/download/this")
    except ApiError as exc:
        module.fail_json(msg=f"downloading config.xml failed: {exc.message}")
    finally:
        api.close()
    if "<opnsense" not in xml:
        module.fail_json(msg="the firewall returned no configuration (core/backup/download/this)")
    masked, count = mask(xml)
    rev = revision(xml)
    saved = (
        f"saved {rev.get('time', '?')} by {rev.get('username', '?')}: {rev.get('description', '')}"
    )
    message = f"{p['site']} {p['device']}: {p['run'] or 'fleet'}\n\nconfig.xml {saved}\n"
    try:
        commit = store(p["backup_dir"], p["site"], p["device"], masked, message)
    except (OSError, ValueError, ImportError) as exc:
        module.fail_json(msg=f"backup of {p['site']}/{p['device']} failed: {exc}")
    module.exit_json(changed=False, commit=commit, masked=count, revision=rev)


if __name__ == "__main__":
    main()
