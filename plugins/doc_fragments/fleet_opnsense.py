"""The API options every fleet_opnsense_* module takes (`extends_documentation_fragment:
fleet_opnsense`)."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  api_url: {type: str, required: true, description: "https://<firewall>"}
  api_key: {type: str, description: API key (site vault).}
  api_secret: {type: str, description: API secret (site vault).}
  api_credentials_file: {type: path, description: JSON file with key and secret (the lab's).}
  api_ca: {type: path, description: CA file the firewall's certificate is checked against.}
  api_timeout: {type: float, default: 30, description: Seconds per request.}
"""

    DESTROY = r"""
options:
  allow_destroy: {type: bool, default: false, description: Delete managed objects the list no longer has.}
"""

    FIRMWARE = r"""
options:
  firmware: {type: str, description: The firmware version (fleet_opnsense_info); read when absent.}
"""
