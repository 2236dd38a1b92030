"""What every fleet_proxmox_* module shares: the API options, the client, and turning an
outcome (fleet.proxmox.guests / fleet.proxmox.objects) into the module's result.

The modules run on the controller with fleet's Python (the proxmox play sets
`ansible_connection: local` and `ansible_python_interpreter: "{{ ansible_playbook_python }}"`),
where proxmoxer is installed. The engine lives in fleet/proxmox/ and reaches the modules through
the fleet_proxmox_*.py symlinks beside this file.
"""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.fleet_proxmox_api import ApiError, Client, credentials

API_ARGS = {
    "api_url": {"type": "str", "required": True},
    "api_token_id": {"type": "str"},
    "api_token_secret": {"type": "str", "no_log": True},
    "api_credentials_file": {"type": "path"},
    "api_ca": {"type": "path"},
    "api_timeout": {"type": "float", "default": 30.0},
    "task_timeout": {"type": "float", "default": 300.0},
}
ALLOW_DESTROY = {"type": "bool", "default": False}


def client(module) -> Client:
    p = module.params
    try:
        token_id, secret = credentials(
            p["api_token_id"], p["api_token_secret"], p["api_credentials_file"]
        )
    except (ValueError, OSError) as exc:
        module.fail_json(msg=str(exc))
    return Client(p["api_url"], token_id, secret, p["api_ca"], p["api_timeout"], p["task_timeout"])


def run(options: dict, converge, failures: tuple = ()) -> None:
    """A reconcile module: its options besides the API's, and `converge(api, params,
    check_mode)` returning an Outcome (changed, diff(), result()). `failures`: the engine's
    own exceptions that fail the module with their message (plan refused, object conflicts)."""
    module = AnsibleModule(argument_spec={**API_ARGS, **options}, supports_check_mode=True)
    api = client(module)
    try:
        outcome = converge(api, module.params, module.check_mode)
    except ApiError as exc:
        module.fail_json(msg=exc.message, calls=api.calls.to_dict())
    except failures as exc:
        module.fail_json(msg=str(exc), calls=api.calls.to_dict())
    finally:
        api.close()
    result = {"changed": outcome.changed, "calls": api.calls.to_dict(), **outcome.result()}
    if outcome.changed:
        result["diff"] = outcome.diff()
    if not module.params.get("allow_destroy"):
        for item in result.get("stale", []):
            module.warn(
                f"{item}: managed by fleet but no longer in the registry; kept "
                "(fleet deploy --allow-destroy removes it)"
            )
    module.exit_json(**result)
