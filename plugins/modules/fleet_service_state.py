#!/usr/bin/python
# ruff: noqa: E402  (Ansible modules: documentation strings come before the imports)
"""A systemd unit enabled and running, with a before/after diff (for drift reports)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: fleet_service_state
short_description: Keep a systemd unit enabled and active, reporting a diff
description:
  - Like M(ansible.builtin.systemd_service) for the two properties fleet manages (enabled,
    active), but the result carries a diff of both, before and after, so C(fleet drift) shows
    what changed by hand (e.g. a stopped backup timer). Check mode only reads.
options:
  name: {description: Unit name (e.g. C(fleet-samba-backup.timer))., type: str, required: true}
  enabled: {description: Enabled at boot., type: bool, default: true}
  active: {description: Running now., type: bool, default: true}
  daemon_reload: {description: Run C(systemctl daemon-reload) first (when unit files changed)., type: bool, default: false}
author: fleet
"""

EXAMPLES = r"""
- name: Nightly backup timer enabled and running
  fleet_service_state:
    name: fleet-samba-backup.timer
"""

RETURN = r"""
state: {description: C({enabled, active}) after the run (or as it would be)., type: dict, returned: always}
"""

from ansible.module_utils.basic import AnsibleModule


def read(module, name):
    systemctl = module.get_bin_path("systemctl", required=True)
    rc_enabled, out, _ = module.run_command([systemctl, "is-enabled", name])
    rc_active, _, _ = module.run_command([systemctl, "is-active", "--quiet", name])
    return {"enabled": rc_enabled == 0 and out.strip() == "enabled", "active": rc_active == 0}


def main():
    module = AnsibleModule(
        argument_spec={
            "name": {"type": "str", "required": True},
            "enabled": {"type": "bool", "default": True},
            "active": {"type": "bool", "default": True},
            "daemon_reload": {"type": "bool", "default": False},
        },
        supports_check_mode=True,
    )
    name = module.params["name"]
    systemctl = module.get_bin_path("systemctl", required=True)
    if module.params["daemon_reload"] and not module.check_mode:
        module.run_command([systemctl, "daemon-reload"], check_rc=True)
    have = read(module, name)
    want = {"enabled": module.params["enabled"], "active": module.params["active"]}
    if have == want:
        module.exit_json(changed=False, state=have)
    if not module.check_mode:
        if have["enabled"] != want["enabled"]:
            verb = "enable" if want["enabled"] else "disable"
            module.run_command([systemctl, verb, name], check_rc=True)
        if have["active"] != want["active"]:
            verb = "start" if want["active"] else "stop"
            module.run_command([systemctl, verb, name], check_rc=True)
        now = read(module, name)
        if now != want:
            module.fail_json(msg=f"{name}: still {now} after the change, wanted {want}")
    module.exit_json(
        changed=True,
        state=want,
        diff={
            "before": {name: have},
            "after": {name: want},
            "before_header": f"{name} (systemd)",
            "after_header": f"{name} (systemd)",
        },
    )


if __name__ == "__main__":
    main()
