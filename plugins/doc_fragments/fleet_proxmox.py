"""The API options every fleet_proxmox_* module takes (`extends_documentation_fragment:
fleet_proxmox`)."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  api_url: {type: str, required: true, description: "https://<node>:8006"}
  api_token_id: {type: str, description: "API token id, user@realm!name (site vault)."}
  api_token_secret: {type: str, description: API token secret (site vault).}
  api_credentials_file: {type: path, description: JSON file with token_id and token_secret (the lab's).}
  api_ca: {type: path, description: CA file the node's certificate is checked against.}
  api_timeout: {type: float, default: 30, description: Seconds per request.}
  task_timeout: {type: float, default: 300, description: Seconds to wait for a PVE task (UPID).}
"""

    DESTROY = r"""
options:
  allow_destroy: {type: bool, default: false, description: Delete managed objects the registry no longer has.}
"""
