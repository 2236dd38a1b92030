#!/usr/bin/python
"""Store a device's configuration in fleet's local git repository of backups."""

from __future__ import annotations

DOCUMENTATION = r"""
module: fleet_config_backup
short_description: Commit a device's configuration to fleet's backup repository
description:
  - Writes C(<backup_dir>/<site>/<device>) and commits it when it differs from the stored
    version, so C(git log -p) shows every change of the device, made by fleet or by hand.
  - Runs on the controller. Mask secrets in I(content) before calling it.
  - Never reports C(changed): a backup changes nothing on the device, and in check mode (plan,
    drift) it still records what it read, so a hand change is kept even when nothing is applied.
options:
  backup_dir: {type: path, required: true, description: The git repository (created if absent).}
  site: {type: str, required: true, description: The site's UAI (a directory).}
  device: {type: str, required: true, description: File name, e.g. fw1.xml or sw-core.cfg.}
  content: {type: str, required: true, description: The configuration text, secrets masked.}
  message: {type: str, required: true, description: The commit message (name the run).}
author: fleet
"""

RETURN = r"""
commit: {description: The new commit id, or null when the stored version was already this one., type: str, returned: always}
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402

try:
    from ansible.module_utils.fleet_backups import store
except ImportError:  # pragma: no cover - only outside fleet's project layout
    store = None


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "backup_dir": {"type": "path", "required": True},
            "site": {"type": "str", "required": True},
            "device": {"type": "str", "required": True},
            "content": {"type": "str", "required": True},
            "message": {"type": "str", "required": True},
        },
        supports_check_mode=True,
    )
    p = module.params
    if store is None:
        module.fail_json(msg="fleet_backups module_utils not found (run through fleet's project)")
    try:
        commit = store(p["backup_dir"], p["site"], p["device"], p["content"], p["message"])
    except (OSError, ValueError, ImportError) as exc:
        module.fail_json(msg=f"backup of {p['site']}/{p['device']} failed: {exc}")
    module.exit_json(changed=False, commit=commit)


if __name__ == "__main__":
    main()
