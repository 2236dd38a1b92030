#!/usr/bin/python
# ruff: noqa: E402, UP031  (Ansible modules: documentation strings come before the imports)
"""Reconcile one user account (service account, Administrator) in the local Samba AD."""

from __future__ import annotations

DOCUMENTATION = r"""
module: fleet_samba_user
short_description: Keep one Samba AD user account as declared, password included
description:
  - Creates, moves, updates, enables/disables and (with I(state=absent)) deletes a user.
  - The password is compared with the stored NT hash, read locally, so a password from the
    vault is applied only when it differs (idempotent, and a vault rotation is applied). It
    travels as a module parameter (never on a command line) and never appears in a result.
  - Runs on the DC against the local sam.ldb; check mode reads only; diff shows the account
    before and after (the password only as C(unchanged)/C(changed)).
options:
  name: {description: sAMAccountName., type: str, required: true}
  state: {description: present or absent., type: str, choices: [present, absent], default: present}
  password: {description: Password (from the vault)., type: str, no_log: true}
  update_password:
    description: C(always) makes the stored password equal to I(password); C(on_create) sets it only when creating.
    type: str
    choices: [always, on_create]
    default: always
  ou: {description: OU path (C(Services)); empty means CN=Users; omitted means not managed., type: str}
  enabled: {description: Account enabled., type: bool, default: true}
  description: {description: Description; omitted means not managed., type: str}
  given_name: {description: First name; omitted means not managed., type: str}
  surname: {description: Last name; omitted means not managed., type: str}
  password_never_expires: {description: Set or clear DONT_EXPIRE_PASSWORD; omitted means not managed., type: bool}
  groups: {description: Groups the account must belong to (others are left alone)., type: list, elements: str, default: []}
author: fleet
"""

EXAMPLES = r"""
- name: OPSI join account
  fleet_samba_user:
    name: svc-opsi-join
    ou: ""
    password: "{{ samba_ad_opsi_join_password }}"
    description: "[fleet] OPSI domain join"
    password_never_expires: true
  no_log: true
"""

RETURN = r"""
dn: {description: DN of the account after the run., type: str, returned: when present}
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.fleet_samba import (
    UF_ACCOUNTDISABLE,
    UF_DONT_EXPIRE_PASSWD,
    NotProvisioned,
    dn_to_path,
    find_account,
    first,
    open_samdb,
    parent_dn,
    password_matches,
    replace,
    set_members,
    set_password,
    values,
)
from ansible.module_utils.fleet_samba_naming import check_ou_name, path_to_dn

ATTRS = {"description": "description", "given_name": "givenName", "surname": "sn"}


def group_names(samdb, dns):
    import ldb

    names = set()
    for dn in dns:
        found = samdb.search(base=dn, scope=ldb.SCOPE_BASE, attrs=["sAMAccountName"])
        if found:
            names.add(first(found[0], "sAMAccountName").lower())
    return names


def main():
    module = AnsibleModule(
        argument_spec={
            "name": {"type": "str", "required": True},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
            "password": {"type": "str", "no_log": True},
            "update_password": {
                "type": "str",
                "choices": ["always", "on_create"],
                "default": "always",
                "no_log": False,
            },
            "ou": {"type": "str"},
            "enabled": {"type": "bool", "default": True},
            "description": {"type": "str"},
            "given_name": {"type": "str"},
            "surname": {"type": "str"},
            "password_never_expires": {"type": "bool", "no_log": False},
            "groups": {"type": "list", "elements": "str", "default": []},
        },
        supports_check_mode=True,
    )
    p = module.params
    problems = [m for part in (p["ou"] or "").split("/") if part for m in check_ou_name(part)]
    if problems:
        module.fail_json(msg="invalid ou for user {}: {}".format(p["name"], "; ".join(problems)))
    want = {"state": p["state"]}
    if p["state"] == "present":
        want["enabled"] = p["enabled"]
        if p["ou"] is not None:
            want["ou"] = p["ou"] or "Users"
        for key in ATTRS:
            if p[key] is not None:
                want[key] = p[key]
        if p["password_never_expires"] is not None:
            want["password_never_expires"] = p["password_never_expires"]
        if p["groups"]:
            want["groups"] = sorted({g.lower() for g in p["groups"]})
        if p["password"] is not None:
            want["password"] = "as requested"
    try:
        samdb = open_samdb(module)
    except NotProvisioned:
        module.exit_json(
            changed=p["state"] == "present",
            msg="the domain is not provisioned yet",
            diff={"before": {"state": "absent"}, "after": want},
        )
    base = samdb.domain_dn()
    user = find_account(
        samdb, p["name"], ["objectClass", "userAccountControl", "memberOf"] + list(ATTRS.values())
    )
    if user is not None and "user" not in values(user, "objectClass"):
        module.fail_json(msg="{} exists but is not a user: {}".format(p["name"], user.dn))
    if user is None and p["state"] == "present" and p["password"] is None:
        module.fail_json(
            msg="user {} does not exist and no password was given to create it".format(p["name"])
        )
    have = {"state": "absent"}
    uac = 0
    if user is not None:
        uac = int(first(user, "userAccountControl", "0"))
        have = {"state": "present", "enabled": not uac & UF_ACCOUNTDISABLE}
        if "ou" in want:
            have["ou"] = dn_to_path(parent_dn(str(user.dn)), base)
        for key, attr in ATTRS.items():
            if key in want:
                have[key] = first(user, attr)
        if "password_never_expires" in want:
            have["password_never_expires"] = bool(uac & UF_DONT_EXPIRE_PASSWD)
        if "groups" in want:
            have["groups"] = sorted(
                group_names(samdb, values(user, "memberOf")) & set(want["groups"])
            )
        if "password" in want:
            if p["update_password"] == "on_create" or password_matches(
                samdb, str(user.dn), p["password"]
            ):
                have["password"] = "as requested"
            else:
                have["password"] = "differs from the requested one"
    if have == want:
        module.exit_json(changed=False, dn=str(user.dn) if user is not None else None)
    result = {"changed": True, "diff": {"before": have, "after": want}}
    if module.check_mode:
        module.exit_json(**result)

    if p["state"] == "absent":
        samdb.delete(str(user.dn))
        module.exit_json(**result)
    import ldb

    ou_dn = path_to_dn(p["ou"], base) if p["ou"] else "CN=Users," + base
    samdb.transaction_start()
    try:
        if user is None:
            samdb.newuser(
                p["name"],
                p["password"],
                useusernameascn=True,
                userou=ou_dn[: -len(base) - 1],
                givenname=p["given_name"],
                surname=p["surname"],
                description=p["description"],
            )
        else:
            if "ou" in want and have["ou"] != want["ou"]:
                samdb.rename(
                    ldb.Dn(samdb, str(user.dn)), ldb.Dn(samdb, "CN={},{}".format(p["name"], ou_dn))
                )
            changes = {
                attr: p[key]
                for key, attr in ATTRS.items()
                if key in want and have[key] != want[key]
            }
            if changes:
                replace(samdb, str(find_account(samdb, p["name"], ["dn"]).dn), changes)
            if have.get("password", "").startswith("differs"):
                set_password(samdb, p["name"], p["password"])
        user = find_account(samdb, p["name"], ["userAccountControl"])
        uac = new_uac = int(first(user, "userAccountControl", "0"))
        new_uac = new_uac & ~UF_ACCOUNTDISABLE if p["enabled"] else new_uac | UF_ACCOUNTDISABLE
        if p["password_never_expires"] is not None:
            new_uac = (
                new_uac | UF_DONT_EXPIRE_PASSWD
                if p["password_never_expires"]
                else new_uac & ~UF_DONT_EXPIRE_PASSWD
            )
        if new_uac != uac:
            replace(samdb, str(user.dn), {"userAccountControl": new_uac})
        if "groups" in want:
            for group_name in p["groups"]:
                group = find_account(samdb, group_name, ["member"])
                if group is None:
                    raise LookupError(f"group {group_name} does not exist")
                if str(user.dn).lower() not in {m.lower() for m in values(group, "member")}:
                    set_members(samdb, str(group.dn), [str(user.dn)], [])
    except LookupError as exc:
        samdb.transaction_cancel()
        module.fail_json(msg=str(exc))
    except Exception:
        samdb.transaction_cancel()
        raise
    samdb.transaction_commit()
    result["dn"] = str(user.dn)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
