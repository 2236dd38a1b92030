#!/usr/bin/python
# ruff: noqa: E402, UP031  (Ansible modules: documentation strings come before the imports)
"""Reconcile the domain password and lockout policy of the local Samba AD."""

from __future__ import annotations

DOCUMENTATION = r"""
module: fleet_samba_policy
short_description: Keep the domain password and account lockout policy as declared
description:
  - Reads and writes the password/lockout attributes of the domain object (what
    C(samba-tool domain passwordsettings) edits), in days and minutes.
  - Check mode reads only; diff shows every setting that changes, before and after.
options:
  min_length: {description: Minimum password length., type: int, required: true}
  complexity: {description: Require the AD complexity rules., type: bool, required: true}
  history_length: {description: Passwords remembered., type: int, required: true}
  min_age_days: {description: Minimum password age in days., type: int, required: true}
  max_age_days: {description: Maximum password age in days (0 = never expires)., type: int, required: true}
  lockout_threshold: {description: Failed logons before lockout (0 = never)., type: int, required: true}
  lockout_duration_minutes: {description: Lockout duration., type: int, required: true}
  lockout_window_minutes: {description: Reset the failure count after this many minutes., type: int, required: true}
author: fleet
"""

EXAMPLES = r"""
- name: Regional password policy
  fleet_samba_policy:
    min_length: 10
    complexity: true
    history_length: 12
    min_age_days: 0
    max_age_days: 365
    lockout_threshold: 10
    lockout_duration_minutes: 15
    lockout_window_minutes: 15
"""

RETURN = r"""
policy: {description: The policy after the run., type: dict, returned: always}
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.fleet_samba import NotProvisioned, first, open_samdb, replace

DAY = 24 * 3600 * 10**7  # AD stores ages as negative counts of 100 ns
MINUTE = 60 * 10**7
NEVER = -(2**63)
DOMAIN_PASSWORD_COMPLEX = 1


def to_ad(value, unit, zero_means_never=False):
    return str(NEVER) if zero_means_never and value == 0 else str(-value * unit)


def from_ad(raw, unit):
    value = int(raw or 0)
    return 0 if value == NEVER else abs(value) // unit


def main():
    spec = {
        "min_length": {"type": "int", "required": True},
        "complexity": {"type": "bool", "required": True},
        "history_length": {"type": "int", "required": True},
        "min_age_days": {"type": "int", "required": True},
        "max_age_days": {"type": "int", "required": True},
        "lockout_threshold": {"type": "int", "required": True},
        "lockout_duration_minutes": {"type": "int", "required": True},
        "lockout_window_minutes": {"type": "int", "required": True},
    }
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    want = {k: module.params[k] for k in spec}
    bad = [k for k, v in want.items() if not isinstance(v, bool) and v < 0]
    if bad:
        module.fail_json(msg="negative values are not allowed: {}".format(", ".join(bad)))
    if want["min_length"] > 255 or want["history_length"] > 24:
        module.fail_json(msg="min_length must be at most 255 and history_length at most 24")
    if want["max_age_days"] and want["min_age_days"] >= want["max_age_days"]:
        module.fail_json(
            msg="min_age_days ({min_age_days}) must be lower than max_age_days ({max_age_days})".format(
                **want
            )
        )
    if want["lockout_duration_minutes"] < want["lockout_window_minutes"]:
        module.fail_json(
            msg="lockout_duration_minutes ({lockout_duration_minutes}) must be at least "
            "lockout_window_minutes ({lockout_window_minutes})".format(**want)
        )
    try:
        samdb = open_samdb(module)
    except NotProvisioned:
        module.exit_json(
            changed=True,
            policy=want,
            msg="the domain is not provisioned yet",
            diff={"before": {}, "after": want},
        )
    import ldb

    base = samdb.domain_dn()
    attrs = [
        "minPwdLength",
        "pwdProperties",
        "pwdHistoryLength",
        "minPwdAge",
        "maxPwdAge",
        "lockoutThreshold",
        "lockoutDuration",
        "lockOutObservationWindow",
    ]
    domain = samdb.search(base=base, scope=ldb.SCOPE_BASE, attrs=attrs)[0]
    properties = int(first(domain, "pwdProperties", "0"))
    have = {
        "min_length": int(first(domain, "minPwdLength", "0")),
        "complexity": bool(properties & DOMAIN_PASSWORD_COMPLEX),
        "history_length": int(first(domain, "pwdHistoryLength", "0")),
        "min_age_days": from_ad(first(domain, "minPwdAge"), DAY),
        "max_age_days": from_ad(first(domain, "maxPwdAge"), DAY),
        "lockout_threshold": int(first(domain, "lockoutThreshold", "0")),
        "lockout_duration_minutes": from_ad(first(domain, "lockoutDuration"), MINUTE),
        "lockout_window_minutes": from_ad(first(domain, "lockOutObservationWindow"), MINUTE),
    }
    changed = {k for k in want if have[k] != want[k]}
    if not changed:
        module.exit_json(changed=False, policy=have)
    result = {
        "changed": True,
        "policy": want,
        "diff": {
            "before": {k: have[k] for k in sorted(changed)},
            "after": {k: want[k] for k in sorted(changed)},
        },
    }
    if not module.check_mode:
        new_properties = (
            properties | DOMAIN_PASSWORD_COMPLEX
            if want["complexity"]
            else properties & ~DOMAIN_PASSWORD_COMPLEX
        )
        replace(
            samdb,
            base,
            {
                "minPwdLength": want["min_length"],
                "pwdProperties": new_properties,
                "pwdHistoryLength": want["history_length"],
                "minPwdAge": to_ad(want["min_age_days"], DAY),
                "maxPwdAge": to_ad(want["max_age_days"], DAY, zero_means_never=True),
                "lockoutThreshold": want["lockout_threshold"],
                "lockoutDuration": to_ad(want["lockout_duration_minutes"], MINUTE),
                "lockOutObservationWindow": to_ad(want["lockout_window_minutes"], MINUTE),
            },
        )
    module.exit_json(**result)


if __name__ == "__main__":
    main()
