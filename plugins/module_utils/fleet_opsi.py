"""What the fleet_opsi_* modules share: the API options of the depot and of the master, and
their clients. The engine lives in fleet/opsi/ and reaches the modules through the
fleet_opsi_*.py symlinks beside this file.

The modules run on the controller with fleet's Python (the role delegates them to localhost),
where `requests` is installed.
"""

from __future__ import annotations

from ansible.module_utils.fleet_opsi_rpc import Client, credentials

API_ARGS = {
    "api_url": {"type": "str", "required": True},
    "api_username": {"type": "str"},
    "api_password": {"type": "str", "no_log": True},
    "api_credentials_file": {"type": "path"},
    "api_ca": {"type": "path"},
    "api_timeout": {"type": "float", "default": 60.0},
}
MASTER_ARGS = {
    "master_url": {"type": "str", "required": True},
    "master_username": {"type": "str"},
    "master_password": {"type": "str", "no_log": True},
    "master_credentials_file": {"type": "path"},
    "master_ca": {"type": "path"},
}


def client(module, prefix: str = "api") -> Client:
    p = module.params
    try:
        user, password = credentials(
            p[f"{prefix}_username"], p[f"{prefix}_password"], p[f"{prefix}_credentials_file"]
        )
    except ValueError as exc:
        module.fail_json(msg=f"{prefix}: {exc}")
    return Client(
        p[f"{prefix}_url"], user, password, p[f"{prefix}_ca"], p.get("api_timeout") or 60.0
    )
