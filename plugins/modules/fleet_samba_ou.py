#!/usr/bin/python
# ruff: noqa: E402, UP031  (Ansible modules: documentation strings come before the imports)
"""Reconcile a site's OU tree in the local Samba AD (see DOCUMENTATION)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: fleet_samba_ou
short_description: Keep the organisational units of a Samba AD DC equal to a tree
description:
  - Flattens the tree (with one child OU per class or per room where an entry says C(per)),
    creates missing OUs parents first and fixes their description, which carries the
    C([fleet]) marker.
  - OUs carrying the marker that are no longer in the tree are stale; they are deleted only
    with I(allow_destroy) and only when empty. OUs without the marker are reported as
    C(unmanaged) and never touched.
  - Runs on the DC against the local sam.ldb; check mode reads only; diff shows each OU that
    changes, before and after.
options:
  tree:
    description: List of OU entries C({name, description, children, per}).
    type: list
    elements: raw
    required: true
  classes:
    description: Class names; an entry with C(per=classes) gets one child OU per class.
    type: list
    elements: str
    default: []
  rooms:
    description: Room names; an entry with C(per=rooms) gets one child OU per room.
    type: list
    elements: str
    default: []
  allow_destroy:
    description: Delete stale (marked, empty) OUs.
    type: bool
    default: false
  per:
    description: Top-level OU name -> C(classes) or C(rooms), for entries given as plain names.
    type: dict
    default: {}
author: fleet
"""

EXAMPLES = r"""
- name: OU tree of a lycée
  fleet_samba_ou:
    tree:
      - {name: Eleves, per: classes}
      - {name: Ordinateurs, per: rooms}
      - Enseignants
    classes: [2NDE1, TSTMG1]
    rooms: [B204]
"""

RETURN = r"""
ous: {description: Paths of the OUs in the tree, parents first., type: list, returned: always}
created: {description: Paths created (or to create in check mode)., type: list, returned: always}
updated: {description: Paths whose description was fixed., type: list, returned: always}
stale: {description: Marked OUs no longer in the tree., type: list, returned: always}
deleted: {description: Stale OUs deleted (allow_destroy)., type: list, returned: always}
unmanaged: {description: OUs without the marker that are not in the tree., type: list, returned: always}
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.fleet_samba import (
    NotProvisioned,
    dn_to_path,
    first,
    is_marked,
    marked,
    open_samdb,
    replace,
)
from ansible.module_utils.fleet_samba_naming import ou_paths, path_to_dn

# Built-in OUs a provisioned domain has: never reported as unmanaged.
BUILTIN = {"domain controllers"}


def read_ous(samdb):
    import ldb

    base = samdb.domain_dn()
    found = samdb.search(
        base=base,
        scope=ldb.SCOPE_SUBTREE,
        expression="(objectClass=organizationalUnit)",
        attrs=["description"],
    )
    return {dn_to_path(str(m.dn), base): (str(m.dn), first(m, "description")) for m in found}


def children(samdb, dn):
    import ldb

    return {
        str(m.dn).lower() for m in samdb.search(base=dn, scope=ldb.SCOPE_ONELEVEL, attrs=["dn"])
    }


def main():
    module = AnsibleModule(
        argument_spec={
            "tree": {"type": "list", "elements": "raw", "required": True},
            "classes": {"type": "list", "elements": "str", "default": []},
            "rooms": {"type": "list", "elements": "str", "default": []},
            "per": {"type": "dict", "default": {}},
            "allow_destroy": {"type": "bool", "default": False},
        },
        supports_check_mode=True,
    )
    wanted, problems = ou_paths(
        module.params["tree"],
        module.params["classes"],
        module.params["rooms"],
        module.params["per"],
    )
    if problems:
        module.fail_json(msg="invalid OU tree: " + "; ".join(problems), problems=problems)
    paths = [path for path, _ in wanted]
    result = {
        "changed": False,
        "ous": paths,
        "created": [],
        "updated": [],
        "stale": [],
        "deleted": [],
        "unmanaged": [],
    }
    try:
        samdb = open_samdb(module)
    except NotProvisioned:
        result.update(
            changed=True,
            created=paths,
            msg="the domain is not provisioned yet; every OU would be created",
        )
        result["diff"] = {
            "before": {},
            "after": {p: {"description": marked("", d)} for p, d in wanted},
        }
        module.exit_json(**result)

    base = samdb.domain_dn()
    existing = read_ous(samdb)
    existing_lower = {p.lower(): p for p in existing}
    before, after = {}, {}
    actions = []
    for path, description in wanted:
        want = marked("", description)
        have = existing_lower.get(path.lower())
        if have is None:
            result["created"].append(path)
            before[path] = {"state": "absent"}
            after[path] = {"state": "present", "description": want}
            actions.append(("create", path_to_dn(path, base), want))
        elif existing[have][1] != want:
            result["updated"].append(path)
            before[path] = {"state": "present", "description": existing[have][1]}
            after[path] = {"state": "present", "description": want}
            actions.append(("describe", existing[have][0], want))
    wanted_lower = {p.lower() for p in paths}
    # Deepest first, so a stale parent is only deleted after its stale children.
    for path in sorted(existing, key=lambda p: -p.count("/")):
        if path.lower() in wanted_lower or path.lower() in BUILTIN:
            continue
        dn, description = existing[path]
        if not is_marked(description):
            result["unmanaged"].append(path)
            continue
        result["stale"].append(path)
        if module.params["allow_destroy"]:
            result["deleted"].append(path)
            before[path] = {"state": "present", "description": description}
            after[path] = {"state": "absent"}
            actions.append(("delete", dn, None))
    result["unmanaged"].sort()
    result["stale"].sort()
    if actions:
        result["changed"] = True
        result["diff"] = {"before": before, "after": after}
    deleting = {dn.lower() for action, dn, _ in actions if action == "delete"}
    for action, dn, _ in actions:
        # a stale OU may only hold stale OUs deleted in the same run (deepest first)
        if action == "delete" and children(samdb, dn) - deleting:
            module.fail_json(
                msg=f"stale OU {dn} is not empty; move or delete its objects first", **result
            )
    if actions and not module.check_mode:
        samdb.transaction_start()
        try:
            for action, dn, value in actions:
                if action == "create":
                    samdb.add({"dn": dn, "objectClass": "organizationalUnit", "description": value})
                elif action == "describe":
                    replace(samdb, dn, {"description": value})
                else:
                    samdb.delete(dn)
        except Exception:
            samdb.transaction_cancel()
            raise
        samdb.transaction_commit()
    module.exit_json(**result)


if __name__ == "__main__":
    main()
