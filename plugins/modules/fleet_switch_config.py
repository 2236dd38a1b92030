#!/usr/bin/python
"""Bring a switch's managed configuration to what the registry implies, over SSH (netmiko)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: fleet_switch_config
short_description: Converge a switch to its intended configuration with a minimal remediation
description:
  - Renders the intended configuration of the switch from I(intent) with
    C(<template_dir>/<platform>.j2), reads the running configuration with netmiko and computes
    the remediation with hier_config (docs/switches.md says what is managed).
  - In check mode, reports exactly the lines it would send as the diff and changes nothing.
  - Otherwise sends only those lines, reads the configuration again and fails if anything is
    left to do, then saves it (C(write memory)).
  - Lines outside the managed part are returned as C(unmanaged) and never touched.
  - Runs on the controller (connection local). Secrets never appear in the result.
options:
  intent: {type: dict, required: true, description: The switch_intent host var (fleet.registry.switches).}
  template_dir: {type: path, required: true, description: The directory of the platform templates.}
  host: {type: str, required: true, description: The switch's SSH address.}
  port: {type: int, default: 22, description: The SSH port.}
  username: {type: str, description: Login (or from I(credentials_file)).}
  password: {type: str, no_log: true, description: Password (or from I(credentials_file)).}
  enable_secret: {type: str, no_log: true, description: The enable secret, when the login lands in user EXEC.}
  credentials_file: {type: path, description: 'JSON with username, password and optionally snmp_community (the lab).'}
  snmp_community: {type: str, no_log: true, description: The SNMP community (the site's vault).}
  snmp_auth_password: {type: str, no_log: true, description: The SNMPv3 user's authentication key (the site's vault).}
  snmp_priv_password: {type: str, no_log: true, description: The SNMPv3 user's privacy key (the site's vault).}
  known_hosts: {type: path, description: known_hosts file to check the host key against (default the controller's own).}
  timeout: {type: float, default: 20, description: Seconds for connecting and for each answer.}
  save: {type: bool, default: true, description: Save the configuration (write memory) after a change.}
  backup_dir:
    type: path
    description:
      - fleet's git repository of device backups. When set, the running configuration read at the
        end (secrets masked) is committed to C(<backup_dir>/<backup_site>/<backup_device>) in the
        same run, check mode included (a hand change is kept even when nothing is applied; the
        device is never written in check mode).
  backup_site: {type: str, description: The site's UAI (a directory of the backup repository).}
  backup_device: {type: str, description: 'The backup file name, e.g. C(sw-core.cfg).'}
  backup_message: {type: str, description: The commit message (names the run).}
author: fleet
"""

RETURN = r"""
lines: {description: The remediation lines sent (or to send in check mode), secrets masked., type: list, returned: always}
unmanaged: {description: Lines of the running configuration fleet does not manage (left alone)., type: list, returned: always}
config: {description: The running configuration after the run, secrets masked (for the backup)., type: str, returned: always}
commit: {description: 'The backup commit, or null when the stored configuration was already this one.', type: str, returned: when backup_dir is set}
"""

import json  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402

try:
    from ansible.module_utils.fleet_backups import store
    from ansible.module_utils.fleet_switch_converge import SwitchError, Target, converge
except ImportError:  # pragma: no cover - only outside fleet's project layout
    converge = None


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "intent": {"type": "dict", "required": True},
            "template_dir": {"type": "path", "required": True},
            "host": {"type": "str", "required": True},
            "port": {"type": "int", "default": 22},
            "username": {"type": "str"},
            "password": {"type": "str", "no_log": True},
            "enable_secret": {"type": "str", "no_log": True},
            "credentials_file": {"type": "path"},
            "snmp_community": {"type": "str", "no_log": True},
            "snmp_auth_password": {"type": "str", "no_log": True},
            "snmp_priv_password": {"type": "str", "no_log": True},
            "known_hosts": {"type": "path"},
            "timeout": {"type": "float", "default": 20},
            "save": {"type": "bool", "default": True},
            "backup_dir": {"type": "path"},
            "backup_site": {"type": "str"},
            "backup_device": {"type": "str"},
            "backup_message": {"type": "str"},
        },
        required_by={"backup_dir": ("backup_site", "backup_device", "backup_message")},
        supports_check_mode=True,
    )
    p = module.params
    if converge is None:
        module.fail_json(msg="fleet_switch_* module_utils not found (run through fleet's project)")
    creds = {}
    if p["credentials_file"]:
        try:
            with open(p["credentials_file"], encoding="utf-8") as handle:
                creds = json.load(handle)
        except (OSError, ValueError) as exc:
            module.fail_json(msg=f"credentials file {p['credentials_file']}: {exc}")
    username = p["username"] or creds.get("username")
    password = p["password"] or creds.get("password")
    snmp = {key: p[key] or creds.get(key) or ""
            for key in ("snmp_community", "snmp_auth_password", "snmp_priv_password")}  # fmt: skip
    name = p["intent"].get("hostname", p["host"])
    if not username or not password:
        module.fail_json(
            msg=f"switch {name}: no login (switch_username/switch_password in the site's vault)"
        )
    version = (p["intent"].get("snmp") or {}).get("version")
    needed = {"2c": ["snmp_community"], "3": ["snmp_auth_password", "snmp_priv_password"]}
    missing = [f"switch_{k}" for k in needed.get(version, []) if not snmp[k]]
    if missing:
        module.fail_json(msg=f"switch {name}: {', '.join(missing)} missing from the site's vault")
    for secret in (password, *snmp.values()):
        if secret:
            module.no_log_values.add(secret)
    target = Target(
        name=name,
        platform=p["intent"]["platform"],
        host=p["host"],
        port=p["port"],
        username=username,
        password=password,
        known_hosts=p["known_hosts"],
        timeout=p["timeout"],
        secret=p["enable_secret"],
    )
    try:
        outcome = converge(
            target,
            p["intent"],
            p["template_dir"],
            snmp,
            module.check_mode,
            save=p["save"],
        )
    except (SwitchError, ValueError) as exc:
        module.fail_json(msg=str(exc))
    result = outcome.to_result()
    if p["backup_dir"]:
        # the same process commits what it read: no second module run per switch
        try:
            result["commit"] = store(p["backup_dir"], p["backup_site"], p["backup_device"],
                                     result["config"], p["backup_message"])  # fmt: skip
        except (OSError, ValueError, ImportError) as exc:
            module.fail_json(msg=f"backup of {p['backup_site']}/{p['backup_device']} failed: {exc}",
                             **result)  # fmt: skip
    module.exit_json(**result)


if __name__ == "__main__":
    main()
