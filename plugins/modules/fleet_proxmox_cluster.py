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
    A token created here has its id and secret written to the site's vault (I(vault_file)),
    else to I(token_secret_file) (mode 0600); the secret is never returned. A user of that name without the C([fleet]) comment is not taken over.
  - I(backup_jobs) - C(vzdump) jobs marked C([fleet] <id>) in their comment; other jobs are
    C(unmanaged); a managed job no longer listed is deleted only with I(allow_destroy).
  - Each kind is read once; only what differs is written. Check mode reads only.
options:
  storage: {type: list, elements: dict, description: Storage definitions (proxmox_storage).}
  automation: {type: dict, description: "C({user, token_name, acl: [{path, role}]})."}
  token_secret_file: {type: path, description: Where a newly created token's secret goes (mode 0600) when there is no vault.}
  vault_file:
    type: path
    description:
      - The site's ansible-vault file (the registry's C(vault/<UAI>.yml)). A newly created
        token's id and secret are written into it as C(proxmox_automation_token_id) and
        C(proxmox_automation_token_secret) (created if missing, re-encrypted).
  vault_password_file: {type: path, description: The vault password (the run's copy).}
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


def vault_store(vault_file: str, password_file: str):
    """store(token_id, secret): set both in the site's vault file, re-encrypted, atomically.
    Through the `ansible-vault` command beside this Python (a module cannot import ansible's
    controller code); plaintext only ever in pipes."""
    import os
    import subprocess
    import sys
    import tempfile

    import yaml

    tool = os.path.join(os.path.dirname(sys.executable), "ansible-vault")

    def vault(*args: str, data: str | None = None) -> str:
        done = subprocess.run([tool, *args, "--vault-password-file", password_file],
                              input=data, capture_output=True, text=True, check=False)  # fmt: skip
        if done.returncode != 0:
            raise ObjectError(f"ansible-vault {args[0]} of {vault_file} failed: "
                              f"{done.stderr.strip()[-300:]}")  # fmt: skip
        return done.stdout

    def store(token_id: str, secret: str) -> None:
        data = yaml.safe_load(vault("view", vault_file)) if os.path.exists(vault_file) else {}
        data = data or {}
        data.update(proxmox_automation_token_id=token_id, proxmox_automation_token_secret=secret)
        text = vault("encrypt", "--output", "-", data=yaml.safe_dump(data, sort_keys=True))
        directory = os.path.dirname(os.path.abspath(vault_file))
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".vault-")
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.chmod(tmp, 0o600)
        os.replace(tmp, vault_file)

    return store


def converge(api, p, check):
    total = Outcome()
    parts = []
    if p["storage"] is not None:
        parts.append(storages(api, p["storage"], check))
    if p["automation"] is not None:
        store = None
        if p["vault_file"] and p["vault_password_file"]:
            store = vault_store(p["vault_file"], p["vault_password_file"])
        parts.append(access(api, p["automation"], check, p["token_secret_file"], store))
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
            "vault_file": {"type": "path"},
            "vault_password_file": {"type": "path", "no_log": False},
            "backup_jobs": {"type": "list", "elements": "dict"},
            "allow_destroy": ALLOW_DESTROY,
        },  # fmt: skip
        converge,
        failures=(ObjectError,),
    )


if __name__ == "__main__":
    main()
