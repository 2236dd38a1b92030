"""What every fleet_opnsense_* module shares: the API options, the client, the firmware, and
turning an outcome (fleet.opnsense.reconcile) into the module's result.

The API modules run on the controller with fleet's Python (the inventory sets
`ansible_connection: local` and `ansible_python_interpreter: "{{ ansible_playbook_python }}"`),
where `requests` is installed. The engine itself lives in fleet/opnsense/ and reaches the
modules through the fleet_opnsense_*.py symlinks beside this file.
"""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.fleet_opnsense_api import ApiError, Client, credentials
from ansible.module_utils.fleet_opnsense_firmware import Firmware, Unsupported, from_status
from ansible.module_utils.fleet_opnsense_reconcile import ReconcileError

API_ARGS = {
    "api_url": {"type": "str", "required": True},
    "api_key": {"type": "str", "no_log": True},
    "api_secret": {"type": "str", "no_log": True},
    "api_credentials_file": {"type": "path"},
    "api_ca": {"type": "path"},
    "api_timeout": {"type": "float", "default": 30.0},
}
FIRMWARE_ARG = {"firmware": {"type": "str"}}
OBJECTS = {"type": "list", "elements": "dict", "required": True}  # a module's desired list
OPTIONAL_OBJECTS = {"type": "list", "elements": "dict", "default": []}
ALLOW_DESTROY = {"type": "bool", "default": False}


def client(module) -> Client:
    p = module.params
    try:
        key, secret = credentials(p["api_key"], p["api_secret"], p["api_credentials_file"])
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    return Client(p["api_url"], key, secret, p["api_ca"], p["api_timeout"])


def firmware(module, api: Client) -> Firmware:
    """The firmware given by fleet_opnsense_info (read once per site), else read here."""
    try:
        if module.params.get("firmware"):
            return Firmware(module.params["firmware"]).check()
        return from_status(api.read("core/firmware/status"))
    except Unsupported as exc:
        module.fail_json(msg=str(exc))
    except ApiError as exc:
        module.fail_json(msg=f"reading the firmware version failed: {exc.message}")


def finish(module, api: Client, run) -> None:
    """Run `run()` (an Outcome), exit with changed/diff/changes/unmanaged/calls, or fail with
    the API's message."""
    try:
        outcome = run()
    except ReconcileError as exc:
        extra = exc.outcome.result() if exc.outcome is not None else {}
        module.fail_json(msg=exc.message, calls=api.calls.to_dict(), **extra)
    except ApiError as exc:
        module.fail_json(msg=exc.message, calls=api.calls.to_dict())
    except (KeyError, ValueError) as exc:  # a malformed desired object: nothing was sent
        module.fail_json(msg=f"invalid desired object: {exc!r}")
    finally:
        api.close()
    result = {"changed": outcome.changed, "calls": api.calls.to_dict(), **outcome.result()}
    if outcome.changed:
        result["diff"] = outcome.diff()
    module.exit_json(**result)


def run(options: dict, converge, with_firmware: bool = False) -> None:
    """A reconcile module: its options besides the API's, and `converge(api, firmware, params,
    check_mode)` returning an Outcome."""
    spec = {**API_ARGS, **(FIRMWARE_ARG if with_firmware else {}), **options}
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    api = client(module)
    release = firmware(module, api) if with_firmware else None
    params = module.params
    finish(module, api, lambda: converge(api, release, params, module.check_mode))
