#!/usr/bin/python
# ruff: noqa: E402, UP031  (Ansible modules: documentation strings come before the imports)
"""Refuse bad AD settings before anything is installed or changed."""

from __future__ import annotations

DOCUMENTATION = r"""
module: fleet_samba_validate
short_description: Check a site's AD settings (realm, NetBIOS name, OU tree) before a run
description:
  - Applies the same rules as the registry validator (fleet/samba/naming.py); reports every
    problem at once. Reads nothing on the host, changes nothing.
options:
  realm: {description: AD realm., type: str, required: true}
  dns_domain: {description: The site's DNS domain the realm must match., type: str, required: true}
  netbios: {description: NetBIOS domain name., type: str, required: true}
  hostname: {description: The DC's FQDN (the NetBIOS name must differ from its first label)., type: str, required: true}
  ou_tree: {description: The OU tree., type: list, elements: raw, default: []}
  classes: {description: Class names., type: list, elements: str, default: []}
  rooms: {description: Room names., type: list, elements: str, default: []}
  per: {description: Top-level OU name -> classes or rooms., type: dict, default: {}}
author: fleet
"""

EXAMPLES = r"""
- name: Validate
  fleet_samba_validate:
    realm: 0450050K.LAB.EXAMPLE.ORG
    dns_domain: 0450050k.lab.example.org
    netbios: L0450050K
    hostname: dc1.0450050k.lab.example.org
"""

RETURN = r"""
ous: {description: The flattened OU paths., type: list, returned: success}
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.fleet_samba_naming import check_netbios, check_realm, ou_paths


def main():
    module = AnsibleModule(
        argument_spec={
            "realm": {"type": "str", "required": True},
            "dns_domain": {"type": "str", "required": True},
            "netbios": {"type": "str", "required": True},
            "hostname": {"type": "str", "required": True},
            "ou_tree": {"type": "list", "elements": "raw", "default": []},
            "classes": {"type": "list", "elements": "str", "default": []},
            "rooms": {"type": "list", "elements": "str", "default": []},
            "per": {"type": "dict", "default": {}},
        },
        supports_check_mode=True,
    )
    p = module.params
    problems = ["samba_ad_realm: " + m for m in check_realm(p["realm"], p["dns_domain"])]
    problems += ["samba_ad_netbios: " + m for m in check_netbios(p["netbios"], p["hostname"])]
    paths, tree_problems = ou_paths(p["ou_tree"], p["classes"], p["rooms"], p["per"])
    problems += ["samba_ad_ou_tree: " + m for m in tree_problems]
    if problems:
        module.fail_json(
            msg="invalid AD settings, nothing applied:\n" + "\n".join(problems), problems=problems
        )
    module.exit_json(changed=False, ous=[path for path, _ in paths])


if __name__ == "__main__":
    main()
