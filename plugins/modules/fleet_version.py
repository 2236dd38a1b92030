#!/usr/bin/python
# ruff: noqa: E402  (Ansible modules: documentation strings come before the imports)
"""Report a version fleet saw on a site (Debian release, Samba, Proxmox VE, OPNsense…)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: fleet_version
short_description: Report a version for fleet's versions matrix
description:
  - Changes nothing, in any mode. Its result carries C(fleet_version), which fleet's event
    parser collects into the site's result and the run history; C(fleet versions) prints the
    matrix of sites and versions and the sites outside the ranges C(region.yml) supports.
  - Call it wherever a role already reads a version (facts, an API answer, a command output).
options:
  name: {description: What the version is of (C(debian), C(samba), C(pve), C(opnsense), C(opsi), C(switch_firmware))., type: str, required: true}
  version: {description: The version as the product shows it., type: str, required: true}
  component: {description: The fleet component that read it., type: str, required: true}
author: fleet
"""

EXAMPLES = r"""
- name: Report the Debian release
  fleet_version:
    name: debian
    version: "{{ ansible_facts['distribution_version'] }}"
    component: base
"""

RETURN = r"""
fleet_version: {description: C({name, version, component})., type: dict, returned: always}
"""

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(
        argument_spec={
            "name": {"type": "str", "required": True},
            "version": {"type": "str", "required": True},
            "component": {"type": "str", "required": True},
        },
        supports_check_mode=True,
    )
    p = module.params
    version = p["version"].strip()
    if not version:
        module.fail_json(msg=f"fleet_version: empty version for {p['name']}")
    module.exit_json(
        changed=False,
        fleet_version={"name": p["name"], "version": version, "component": p["component"]},
    )


if __name__ == "__main__":
    main()
