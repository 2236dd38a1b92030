#!/usr/bin/python
# ruff: noqa: E402, UP031  (Ansible modules: documentation strings come before the imports)
"""Make the synced users of the local Samba AD match the administration's CSV export."""

from __future__ import annotations

DOCUMENTATION = r"""
module: fleet_samba_users_sync
short_description: Sync AD users from the school administration's CSV export
description:
  - Parses the export (UTF-8 or Windows Latin-1, detected and reported); any bad row refuses
    the whole file with every problem and its line number, and nothing is applied.
  - Users of the file are created in the OU of their profile (students in their class OU),
    updated (names), moved between OUs, re-enabled, and put in their profile's groups.
  - Users found under the synced OUs but absent from the file are leavers: disabled, or
    deleted only with I(allow_destroy).
  - New accounts get a random password written to I(initial_passwords_file) (root only, to be
    handed out by the school); passwords never appear in results.
  - All writes happen in one LDB transaction. Check mode reads only; diff shows every user
    that changes, before and after.
options:
  csv_b64: {description: The export's bytes, base64 (read on the controller)., type: str, required: true}
  source: {description: Name of the file, for messages., type: str, default: users.csv}
  encoding: {description: auto, utf-8, cp1252 or latin-1., type: str, default: auto}
  classes: {description: The site's classes (a student's class must be one of them)., type: list, elements: str, required: true}
  profiles:
    description: Profile -> C({ou, groups}); C({class}) in I(ou) is the student's class.
    type: dict
    required: true
  class_profiles: {description: Profiles placed by class., type: list, elements: str, default: [eleve]}
  must_change_password: {description: New users must change their password at first logon., type: bool, default: true}
  initial_passwords_file: {description: Where new users' passwords are appended (mode 0600)., type: path, default: /var/lib/fleet/samba/initial-passwords.csv}
  allow_destroy: {description: Delete leavers instead of disabling them., type: bool, default: false}
  validate_only:
    description: Only parse and check the file (no directory access); the role runs this on the controller before changing anything.
    type: bool
    default: false
author: fleet
"""

EXAMPLES = r"""
- name: Users from the administration export
  fleet_samba_users_sync:
    csv_b64: "{{ export.content }}"
    classes: [2NDE1, TSTMG1]
    profiles:
      eleve: {ou: "Eleves/{class}", groups: [Eleves]}
      enseignant: {ou: Enseignants, groups: [Enseignants]}
"""

RETURN = r"""
encoding: {description: Encoding the file was read with., type: str, returned: always}
users: {description: Number of users in the file., type: int, returned: always}
created: {description: Logins created., type: list, returned: always}
updated: {description: Logins whose names changed., type: list, returned: always}
moved: {description: Logins moved to another OU., type: list, returned: always}
enabled: {description: Logins re-enabled., type: list, returned: always}
disabled: {description: Leavers disabled., type: list, returned: always}
deleted: {description: Leavers deleted (allow_destroy)., type: list, returned: always}
regrouped: {description: Logins whose profile groups changed., type: list, returned: always}
"""

import base64
import binascii
import datetime
import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.fleet_samba import (
    UF_ACCOUNTDISABLE,
    NotProvisioned,
    dn_to_path,
    escape,
    first,
    open_samdb,
    parent_dn,
    random_password,
    replace,
    set_members,
    values,
)
from ansible.module_utils.fleet_samba_naming import path_to_dn
from ansible.module_utils.fleet_samba_userscsv import parse_users_csv

KINDS = ("created", "updated", "moved", "enabled", "disabled", "deleted", "regrouped")


def target_ou(profiles, user):
    return profiles[user.profile]["ou"].replace("{class}", user.classe)


def managed_roots(profiles):
    return sorted({cfg["ou"].split("/")[0] for cfg in profiles.values()})


def read_synced(samdb, base, roots):
    """Users under the synced OUs, keyed by lower-case login."""
    import ldb

    users = {}
    for root in roots:
        try:
            found = samdb.search(
                base=path_to_dn(root, base),
                scope=ldb.SCOPE_SUBTREE,
                expression="(&(objectClass=user)(!(objectClass=computer)))",
                attrs=[
                    "sAMAccountName",
                    "givenName",
                    "sn",
                    "displayName",
                    "userAccountControl",
                    "memberOf",
                ],
            )
        except ldb.LdbError:
            continue  # the OU does not exist yet
        for m in found:
            uac = int(first(m, "userAccountControl", "0"))
            users[first(m, "sAMAccountName").lower()] = {
                "dn": str(m.dn),
                "ou": dn_to_path(parent_dn(str(m.dn)), base),
                "first_name": first(m, "givenName"),
                "last_name": first(m, "sn"),
                "display_name": first(m, "displayName"),
                "enabled": not uac & UF_ACCOUNTDISABLE,
                "uac": uac,
                "member_of": {v.lower() for v in values(m, "memberOf")},
            }
    return users


def view(state, group_names):
    """What the diff shows of a user: no DN, no flags, group names instead of DNs."""
    if state is None:
        return {"state": "absent"}
    return {
        "ou": state["ou"],
        "first_name": state["first_name"],
        "last_name": state["last_name"],
        "display_name": state["display_name"],
        "enabled": state["enabled"],
        "groups": sorted(group_names[dn] for dn in state["member_of"] if dn in group_names),
    }


def main():
    module = AnsibleModule(
        argument_spec={
            "csv_b64": {"type": "str", "required": True, "no_log": True},
            "source": {"type": "str", "default": "users.csv"},
            "encoding": {
                "type": "str",
                "default": "auto",
                "choices": ["auto", "utf-8", "cp1252", "latin-1"],
            },
            "classes": {"type": "list", "elements": "str", "required": True},
            "profiles": {"type": "dict", "required": True},
            "class_profiles": {"type": "list", "elements": "str", "default": ["eleve"]},
            "must_change_password": {"type": "bool", "default": True, "no_log": False},
            "initial_passwords_file": {
                "type": "path",
                "default": "/var/lib/fleet/samba/initial-passwords.csv",
                "no_log": False,
            },
            "allow_destroy": {"type": "bool", "default": False},
            "validate_only": {"type": "bool", "default": False},
        },
        supports_check_mode=True,
    )
    p = module.params
    profiles = p["profiles"]
    for name, cfg in profiles.items():
        if not isinstance(cfg, dict) or not cfg.get("ou"):
            module.fail_json(msg=f"profile {name} needs an 'ou' (e.g. 'Eleves/{{class}}')")
        cfg.setdefault("groups", [])
    try:
        data = base64.b64decode(p["csv_b64"], validate=True)
    except (binascii.Error, ValueError):
        module.fail_json(msg="{}: csv_b64 is not base64".format(p["source"]))
    parsed = parse_users_csv(
        data, p["classes"], tuple(profiles), tuple(p["class_profiles"]), p["encoding"]
    )
    if parsed.problems:
        lines = [
            "{}{}: {}{}".format(
                p["source"], ":%d" % line if line else "", column + ": " if column else "", message
            )
            for line, column, message in parsed.problems
        ]
        module.fail_json(
            msg="%s refused, nothing applied (%d problem%s):\n%s"
            % (p["source"], len(lines), "" if len(lines) == 1 else "s", "\n".join(lines)),
            problems=lines,
            encoding=parsed.encoding,
        )
    result = {"changed": False, "encoding": parsed.encoding, "users": len(parsed.users)}
    if p["validate_only"]:
        module.exit_json(**result)
    result.update({kind: [] for kind in KINDS})
    try:
        samdb = open_samdb(module)
    except NotProvisioned:
        result.update(
            changed=True,
            created=[u.login for u in parsed.users],
            msg="the domain is not provisioned yet",
        )
        module.exit_json(**result)
    import ldb

    base = samdb.domain_dn()
    roots = managed_roots(profiles)
    existing = read_synced(samdb, base, roots)
    # Profile groups: name -> DN; missing groups are only tolerated in check mode (not created yet).
    group_dns, group_names = {}, {}
    for group in sorted({g for cfg in profiles.values() for g in cfg["groups"]}):
        found = samdb.search(
            base=base,
            scope=ldb.SCOPE_SUBTREE,
            attrs=["dn"],
            expression=f"(&(objectClass=group)(sAMAccountName={escape(group)}))",
        )
        if found:
            group_dns[group] = str(found[0].dn)
            group_names[str(found[0].dn).lower()] = group
        elif not module.check_mode:
            module.fail_json(msg=f"group {group} (profile groups) does not exist", **result)

    plans, before, after = [], {}, {}
    wanted = set()
    for user in parsed.users:
        wanted.add(user.login)
        ou = target_ou(profiles, user)
        want_groups = {
            group_dns[g].lower() for g in profiles[user.profile]["groups"] if g in group_dns
        }
        want = {
            "ou": ou,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "display_name": user.display_name,
            "enabled": True,
        }
        have = existing.get(user.login)
        if have is None:
            clash = samdb.search(
                base=base,
                scope=ldb.SCOPE_SUBTREE,
                attrs=["dn"],
                expression=f"(sAMAccountName={escape(user.login)})",
            )
            if clash:
                module.fail_json(
                    msg="%s:%d: login %s already exists outside the synced OUs (%s): %s; nothing applied"
                    % (p["source"], user.line, user.login, ", ".join(roots), clash[0].dn),
                    **result,
                )
            result["created"].append(user.login)
            plans.append(("create", user, ou, want_groups))
            before[user.login] = {"state": "absent"}
            after[user.login] = dict(want, groups=sorted(group_names[g] for g in want_groups))
            continue
        kinds = []
        if have["ou"].lower() != ou.lower():
            kinds.append("moved")
        if (have["first_name"], have["last_name"], have["display_name"]) != (
            user.first_name,
            user.last_name,
            user.display_name,
        ):
            kinds.append("updated")
        if not have["enabled"]:
            kinds.append("enabled")
        managed_groups = set(group_names)
        add = want_groups - have["member_of"]
        remove = (have["member_of"] & managed_groups) - want_groups
        if add or remove:
            kinds.append("regrouped")
        if kinds:
            for kind in kinds:
                result[kind].append(user.login)
            plans.append(("update", user, ou, (have, kinds, add, remove)))
            before[user.login] = view(have, group_names)
            after[user.login] = dict(view(have, group_names), **want)
            after[user.login]["groups"] = sorted(
                group_names[g] for g in (have["member_of"] - remove) | add if g in group_names
            )
    for login in sorted(set(existing) - wanted):
        have = existing[login]
        if p["allow_destroy"]:
            result["deleted"].append(login)
            plans.append(("delete", login, None, have))
            before[login], after[login] = view(have, group_names), {"state": "absent"}
        elif have["enabled"]:
            result["disabled"].append(login)
            plans.append(("disable", login, None, have))
            before[login] = view(have, group_names)
            after[login] = dict(before[login], enabled=False)
    if not plans:
        module.exit_json(**result)
    result["changed"] = True
    result["diff"] = {
        "before": before,
        "after": after,
        "before_header": "{}: users in AD".format(p["source"]),
        "after_header": "{}: users in the export".format(p["source"]),
    }
    if module.check_mode:
        module.exit_json(**result)

    new_passwords = []
    samdb.transaction_start()
    try:
        for action, user, ou, extra in plans:
            if action == "create":
                password = random_password()
                samdb.newuser(
                    user.login,
                    password,
                    force_password_change_at_next_login_req=p["must_change_password"],
                    useusernameascn=True,
                    userou=path_to_dn(ou, base)[: -len(base) - 1],
                    givenname=user.first_name,
                    surname=user.last_name,
                )
                dn = str(
                    samdb.search(
                        base=base,
                        scope=ldb.SCOPE_SUBTREE,
                        attrs=["dn"],
                        expression=f"(sAMAccountName={escape(user.login)})",
                    )[0].dn
                )
                replace(samdb, dn, {"displayName": user.display_name})
                for group_dn in extra:
                    set_members(samdb, group_dn, [dn], [])
                new_passwords.append((user.login, password))
            elif action == "update":
                have, kinds, add, remove = extra
                dn = have["dn"]
                if "moved" in kinds:
                    dn = "{},{}".format(dn.split(",", 1)[0], path_to_dn(ou, base))
                    samdb.rename(ldb.Dn(samdb, have["dn"]), ldb.Dn(samdb, dn))
                if "updated" in kinds:
                    replace(
                        samdb,
                        dn,
                        {
                            "givenName": user.first_name,
                            "sn": user.last_name,
                            "displayName": user.display_name,
                        },
                    )
                if "enabled" in kinds:
                    replace(samdb, dn, {"userAccountControl": have["uac"] & ~UF_ACCOUNTDISABLE})
                for group_dn in add:
                    set_members(samdb, group_dn, [dn], [])
                for group_dn in remove:
                    set_members(samdb, group_dn, [], [dn])
            elif action == "disable":
                replace(
                    samdb, extra["dn"], {"userAccountControl": extra["uac"] | UF_ACCOUNTDISABLE}
                )
            else:
                samdb.delete(extra["dn"])
        if new_passwords:
            write_passwords(p["initial_passwords_file"], new_passwords)
    except Exception:
        samdb.transaction_cancel()
        raise
    samdb.transaction_commit()
    module.exit_json(**result)


def write_passwords(path, rows):
    """Append login;password;date lines, readable by root only (the school hands them out)."""
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    today = datetime.date.today().isoformat()
    with os.fdopen(fd, "a", encoding="utf-8") as handle:
        for login, password in rows:
            handle.write(f"{login};{password};{today}\n")


if __name__ == "__main__":
    main()
