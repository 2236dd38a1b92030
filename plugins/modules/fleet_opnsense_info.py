#!/usr/bin/python
# ruff: noqa: E402  (Ansible modules: documentation strings come before the imports)
"""What an OPNsense firewall runs, read once per site (see DOCUMENTATION)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: fleet_opnsense_info
short_description: Read an OPNsense firewall's firmware version and assigned interfaces
description:
  - Reads C(core/firmware/status) once; the version decides which API the other
    fleet_opnsense_* modules speak (domain overrides before 25.1, query forwarding from 25.1,
    savepoints up to 26.1). Refuses a version fleet does not speak (24.7 to 26.7).
  - Reads the assigned interfaces (C(firewall/filter/getInterfaceList)) and fails, before any
    change, when an interface the registry puts a VLAN on is not assigned (assignment has no
    API in these releases; the installer template or the console does it).
  - Read-only; never changed.
options:
  interfaces: {type: list, elements: str, default: [], description: Interface keys that must be assigned.}
extends_documentation_fragment: [fleet_opnsense]
author: fleet
"""

RETURN = r"""
firmware: {description: product_version, e.g. 26.7.2., type: str, returned: success}
series: {description: e.g. 26.7., type: str, returned: success}
capabilities: {description: What this release speaks (savepoints, query_forwarding, move_rule, raw_search_rows)., type: dict, returned: success}
interfaces: {description: Assigned interface keys and their descriptions., type: dict, returned: success}
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.fleet_opnsense import API_ARGS, client
from ansible.module_utils.fleet_opnsense_api import ApiError
from ansible.module_utils.fleet_opnsense_firmware import Unsupported, from_status


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            **API_ARGS,
            "interfaces": {"type": "list", "elements": "str", "default": []},
        },
        supports_check_mode=True,
    )
    api = client(module)
    try:
        firmware = from_status(api.read("core/firmware/status"))
        listing = api.read("firewall/filter/getInterfaceList")
    except Unsupported as exc:
        module.fail_json(msg=str(exc))
    except ApiError as exc:
        module.fail_json(msg=f"{module.params['api_url']}: {exc.message}")
    finally:
        api.close()
    assigned = {
        str(i.get("value")): str(i.get("label", ""))
        for i in (listing.get("interfaces") or {}).get("items", [])
        if isinstance(i, dict)
    }
    missing = [key for key in module.params["interfaces"] if key not in assigned]
    if missing:
        module.fail_json(
            msg=f"interface(s) {', '.join(missing)} not assigned on the firewall (assigned: "
            f"{', '.join(sorted(assigned))}); assign each VLAN device to its interface "
            "(Interfaces > Assignments, or the installer template) before deploying",
            interfaces=assigned,
        )
    module.exit_json(
        changed=False,
        firmware=firmware.version,
        series=f"{firmware.series[0]}.{firmware.series[1]}",
        capabilities=firmware.capabilities(),
        interfaces=assigned,
        calls=api.calls.to_dict(),
    )


if __name__ == "__main__":
    main()
