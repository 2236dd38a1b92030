#!/usr/bin/python
# ruff: noqa: E402  (Ansible modules: documentation strings come before the imports)
"""Converge one site's OPSI depot to its share of the catalogue lock."""

from __future__ import annotations

DOCUMENTATION = r"""
module: fleet_opsi_depot
short_description: Converge an OPSI depot to the catalogue lock over JSON-RPC
description:
  - Reads the depot in one batched JSON-RPC request (productOnDepot_getObjects for the depot,
    its product property values, the product groups, the depot's host object).
  - Installs each locked product at its locked version, dependencies first; each package is
    fetched from the master's repository and refused unless its sha256 is the lock's, then
    uploaded to the depot's repository and installed with depot_installPackage.
  - Sets the site's property values (productPropertyState of the depot), the profiles as
    product groups, and the depot's registration settings.
  - Products on the depot the lock does not give it are reported as unmanaged and uninstalled
    only with allow_destroy.
  - Check mode reads only; the diff lists each product (installed and locked version), property,
    group and setting that would change. After applying, the depot is read again and must
    compare equal (no perpetual diff).
options:
  api_url: {description: The depot's opsiconfd URL (https://HOST:4447)., type: str, required: true}
  api_username: {description: Admin user., type: str}
  api_password: {description: Its password (vault)., type: str}
  api_credentials_file: {description: JSON file with username and password (the lab's)., type: path}
  api_ca: {description: CA bundle for the depot's TLS certificate., type: path}
  api_timeout: {description: Seconds to wait for an answer., type: float, default: 60}
  master_url: {description: The master's opsiconfd URL (its repository holds the packages)., type: str, required: true}
  master_username: {description: Master user., type: str}
  master_password: {description: Its password (vault)., type: str}
  master_credentials_file: {description: JSON file with username and password., type: path}
  master_ca: {description: CA bundle for the master's TLS certificate., type: path}
  depot_id: {description: The depot's id (FQDN)., type: str, required: true}
  products:
    description: The depot's products in install order (id, type, version, file, sha256, properties).
    type: list
    elements: dict
    required: true
  groups: {description: Profile name → its product ids (product groups)., type: dict, default: {}}
  registration: {description: The depot host object's settings fleet manages., type: dict}
  allow_destroy: {description: Uninstall products the lock does not give this depot., type: bool, default: false}
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.fleet_opsi import API_ARGS, MASTER_ARGS, client
from ansible.module_utils.fleet_opsi_depot import Refused, apply, diff, plan, read, result
from ansible.module_utils.fleet_opsi_rpc import RpcError


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            **API_ARGS,
            **MASTER_ARGS,
            "depot_id": {"type": "str", "required": True},
            "products": {"type": "list", "elements": "dict", "required": True},
            "groups": {"type": "dict", "default": {}},
            "registration": {"type": "dict"},
            "allow_destroy": {"type": "bool", "default": False},
        },
        supports_check_mode=True,
    )
    p = module.params
    depot_id = p["depot_id"]
    depot = client(module, "api")
    master = client(module, "master")

    def calls() -> dict:
        return {"depot": depot.calls.to_dict(), "master": master.calls.to_dict()}

    def wanted(current):
        return plan(current, p["products"], p["groups"], p["registration"], p["allow_destroy"])

    try:
        current = read(depot, depot_id)
        todo = wanted(current)
        out = result(todo, depot_id)
        if not todo.changed or module.check_mode:
            extra = {"diff": diff(todo, current, depot_id)} if todo.changed else {}
            module.exit_json(changed=todo.changed, calls=calls(), **out, **extra)
        done = apply(depot, master, depot_id, todo, current)
        after = read(depot, depot_id)
        left = wanted(after)
        if left.changed:
            module.fail_json(
                msg=f"depot {depot_id} did not converge: still {result(left, depot_id)}",
                done=done,
                calls=calls(),
                **out,
            )
    except Refused as exc:
        module.fail_json(msg=f"depot {depot_id}: {exc.message}", calls=calls())
    except RpcError as exc:
        module.fail_json(msg=f"depot {depot_id}: {exc.message}", calls=calls())
    except (KeyError, TypeError) as exc:
        module.fail_json(msg=f"depot {depot_id}: invalid desired product: {exc!r}")
    finally:
        depot.close()
        master.close()
    module.exit_json(
        changed=True, diff=diff(todo, current, depot_id), done=done, calls=calls(), **out
    )


if __name__ == "__main__":
    main()
