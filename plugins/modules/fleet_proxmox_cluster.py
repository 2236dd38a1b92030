#!/usr/bin/python
# ruff: noqa: E402  (Ansible modules: documentation strings come before the imports)
"""A site's Proxmox VE cluster objects: storage, automation account, backup jobs."""

from __future__ import annotations

DOCUMENTATION = r"""
module: fleet_proxmox_cluster
short_description: Keep a site's Proxmox VE storage definitions, automation account and backup jobs
description:
  - I(storage) - the storage definitions (C(/storage)); storages not listed are reported as
    C(unmanaged) and left alone; a fixed key (type, server, export, vgname…) that differs fails.
  - I(automation) - fleet's user, its privilege-separated API token and their ACL entries.
    A token created here has its secret written to I(token_secret_file) (mode 0600), never
    returned. A user of that name without the C([fleet]) comment is not taken over.
  - I(backup_jobs) - C(vzdump) jobs marked C([fleet] <id>) in their comment; other jobs are
    C(unmanaged); a managed job no longer listed is deleted only with I(allow_destroy).
  - Each kind is read once; only what differs is written. Check mode reads only.
options:
  storage: {type: list, elements: dict, description: Storage definitions (proxmox_storage).}
  automation: {type: dict, description: "C({user, token_name, acl: [{path, role}]})."}
  token_secret_file: {type: path, description: Where a newly created token's secret goes (mode 0600).}
  backup_jobs: {type: list, elements: dict, description: Backup jobs (proxmox_backup_jobs).}
extends_documentation_fragment: [fleet_proxmox, fleet_proxmox.destroy]
author: fleet
"""

RETURN = r"""
changes: {description: What changed (or would), one entry per object., type: list, returned: always}
unmanaged: {description: Objects fleet did not create., type: list, returned: always}
calls: {description: API calls made (reads, writes, task polls)., type: dict, returned: always}
"""

from ansible.module_utils.fleet_proxmox import ALLOW_DESTROY, run
from ansible.module_utils.fleet_proxmox_objects import (
    ObjectError,
    Outcome,
    access,
    backup_jobs,
    storages,
)


def converge(api, p, check):
    total = Outcome()
    parts = []
    if p["storage"] is not None:
        parts.append(storages(api, p["storage"], check))
    if p["automation"] is not None:
        parts.append(access(api, p["automation"], check, p["token_secret_file"]))
    if p["backup_jobs"] is not None:
        parts.append(backup_jobs(api, p["backup_jobs"], p["allow_destroy"], check))
    for part in parts:
        total.changes += part.changes
        total.unmanaged += part.unmanaged
        total.done += part.done
    return total


def main() -> None:
    run(
        {
            "storage": {"type": "list", "elements": "dict"},
            "automation": {"type": "dict"},
            "token_secret_file": {"type": "path"},
            "backup_jobs": {"type": "list", "elements": "dict"},
            "allow_destroy": ALLOW_DESTROY,
        },  # fmt: skip
        converge,
        failures=(ObjectError,),
    )


if __name__ == "__main__":
    main()
