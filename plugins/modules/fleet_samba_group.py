#!/usr/bin/python
# ruff: noqa: E402, UP031  (Ansible modules: documentation strings come before the imports)
"""Reconcile one security group in the local Samba AD (see DOCUMENTATION)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: fleet_samba_group
short_description: Keep one Samba AD security group as declared
description:
  - Creates, moves, describes and (with I(state=absent)) deletes a security group, and keeps
    its members exactly equal to I(members) when that option is given.
  - Runs on the DC against the local sam.ldb; check mode reads only; diff shows the group
    before and after.
options:
  name: {description: sAMAccountName of the group., type: str, required: true}
  state: {description: present or absent., type: str, choices: [present, absent], default: present}
  description: {description: Description (fleet prefixes its marker in the role)., type: str}
  ou: {description: OU path such as C(Groupes); empty means CN=Users., type: str, default: ""}
  scope: {description: Group scope., type: str, choices: [global, domain, universal], default: global}
  members:
    description: sAMAccountNames of the members; omitted means members are not managed.
    type: list
    elements: str
author: fleet
"""

EXAMPLES = r"""
- name: Teachers' group
  fleet_samba_group:
    name: Enseignants
    ou: Groupes
    description: "[fleet] all teachers"
"""

RETURN = r"""
dn: {description: DN of the group after the run., type: str, returned: when present}
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.fleet_samba import (
    NotProvisioned,
    dn_to_path,
    find_account,
    first,
    open_samdb,
    parent_dn,
    replace,
    set_members,
    values,
)
from ansible.module_utils.fleet_samba_naming import check_ou_name, path_to_dn

SCOPES = {"global": 0x80000002, "domain": 0x80000004, "universal": 0x80000008}


def signed(value):
    return value - (1 << 32) if value >= (1 << 31) else value


def member_names(samdb, dns):
    import ldb

    names = []
    for dn in dns:
        found = samdb.search(base=dn, scope=ldb.SCOPE_BASE, attrs=["sAMAccountName"])
        names.append(first(found[0], "sAMAccountName", dn) if found else dn)
    return sorted(names, key=str.lower)


def main():
    module = AnsibleModule(
        argument_spec={
            "name": {"type": "str", "required": True},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
            "description": {"type": "str"},
            "ou": {"type": "str", "default": ""},
            "scope": {"type": "str", "choices": list(SCOPES), "default": "global"},
            "members": {"type": "list", "elements": "str"},
        },
        supports_check_mode=True,
    )
    p = module.params
    problems = [m for part in p["ou"].split("/") if part for m in check_ou_name(part)]
    if problems:
        module.fail_json(msg="invalid ou for group {}: {}".format(p["name"], "; ".join(problems)))
    want_state = {"state": p["state"]}
    if p["state"] == "present":
        want_state.update(ou=p["ou"] or "Users", scope=p["scope"])
        if p["description"] is not None:
            want_state["description"] = p["description"]
        if p["members"] is not None:
            want_state["members"] = sorted(set(p["members"]), key=str.lower)
    try:
        samdb = open_samdb(module)
    except NotProvisioned:
        module.exit_json(
            changed=p["state"] == "present",
            msg="the domain is not provisioned yet",
            diff={"before": {"state": "absent"}, "after": want_state},
        )
    base = samdb.domain_dn()
    group = find_account(samdb, p["name"], ["objectClass", "description", "groupType", "member"])
    if group is not None and "group" not in values(group, "objectClass"):
        module.fail_json(msg="{} exists but is not a group: {}".format(p["name"], group.dn))
    have = {"state": "absent"}
    if group is not None:
        scope = {signed(v): k for k, v in SCOPES.items()}.get(
            int(first(group, "groupType", "0")), "other"
        )
        have = {
            "state": "present",
            "ou": dn_to_path(parent_dn(str(group.dn)), base),
            "scope": scope,
        }
        if p["description"] is not None:
            have["description"] = first(group, "description")
        if p["members"] is not None:
            have["members"] = member_names(samdb, values(group, "member"))
    if have == want_state:
        module.exit_json(changed=False, dn=str(group.dn) if group is not None else None)
    result = {"changed": True, "diff": {"before": have, "after": want_state}}
    if module.check_mode:
        module.exit_json(**result)

    if p["state"] == "absent":
        samdb.delete(str(group.dn))
        module.exit_json(**result)
    ou_dn = path_to_dn(p["ou"], base) if p["ou"] else "CN=Users," + base
    if group is None:
        samdb.newgroup(
            p["name"],
            groupou=ou_dn[: -len(base) - 1],
            grouptype=SCOPES[p["scope"]],
            description=p["description"],
        )
        group = find_account(samdb, p["name"], ["member"])
    else:
        if have["ou"] != want_state["ou"]:
            import ldb

            new_dn = "CN={},{}".format(str(group.dn).split(",", 1)[0].split("=", 1)[1], ou_dn)
            samdb.rename(ldb.Dn(samdb, str(group.dn)), ldb.Dn(samdb, new_dn))
            group = find_account(samdb, p["name"], ["member"])
        if have["scope"] != p["scope"]:
            replace(samdb, str(group.dn), {"groupType": signed(SCOPES[p["scope"]])})
        if p["description"] is not None and have.get("description") != p["description"]:
            replace(samdb, str(group.dn), {"description": p["description"]})
    if p["members"] is not None:
        current = {v.lower(): v for v in values(group, "member")}
        wanted = {}
        for name in want_state["members"]:
            account = find_account(samdb, name, ["dn"])
            if account is None:
                module.fail_json(msg="member {} of group {} does not exist".format(name, p["name"]))
            wanted[str(account.dn).lower()] = str(account.dn)
        set_members(
            samdb,
            str(group.dn),
            [dn for key, dn in wanted.items() if key not in current],
            [dn for key, dn in current.items() if key not in wanted],
        )
    result["dn"] = str(group.dn)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
