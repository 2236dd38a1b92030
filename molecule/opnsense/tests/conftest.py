"""The firewalls to check and a plain HTTP client for each.

The checks only read, so they run the same under Molecule (each firewall's variables are the
files prepare.yml wrote) and against a live site (`FLEET_VERIFY_INVENTORY=<inventory>`: the
firewalls of its `opnsense` group, the variables from the inventory; the API key and secret
from `opnsense_api_key`/`opnsense_api_secret` or the credentials file the lab names).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import requests


class Api:
    """What OPNsense's documentation describes: Basic auth with key/secret, JSON, TLS verified
    against the firewall's CA on every request (REQUESTS_CA_BUNDLE must not replace it)."""

    def __init__(self, hostvars: dict[str, Any]):
        self.url = hostvars.get("fleet_opnsense_api_url") or hostvars["opnsense_api_url"]
        self.ca = (
            hostvars.get("fleet_opnsense_api_ca") or hostvars.get("opnsense_api_ca_file") or True
        )
        key, secret = hostvars.get("opnsense_api_key"), hostvars.get("opnsense_api_secret")
        if not (key and secret):
            with open(hostvars["fleet_opnsense_api_credentials_file"], encoding="utf-8") as f:
                data = json.load(f)
            key, secret = data["key"], data["secret"]
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.auth = (key, secret)

    def get(self, path: str) -> Any:
        r = self.session.get(f"{self.url}/api/{path}", verify=self.ca, timeout=15)
        r.raise_for_status()
        return r.json()

    def post(self, path: str, body: Any) -> Any:
        r = self.session.post(f"{self.url}/api/{path}", json=body, verify=self.ca, timeout=15)
        r.raise_for_status()
        return r.json()


def _firewalls() -> dict[str, dict[str, Any]]:
    ephemeral = os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY")
    if ephemeral and (Path(ephemeral) / "opnsense").is_dir():
        return {
            p.stem: json.loads(p.read_text())
            for p in sorted((Path(ephemeral) / "opnsense").glob("fw*.json"))
        }
    inventory = os.environ.get("FLEET_VERIFY_INVENTORY")
    if not inventory:
        pytest.fail(
            "run through `molecule verify`, or set FLEET_VERIFY_INVENTORY to a site inventory"
        )
    from testinfra.utils.ansible_runner import AnsibleRunner

    runner = AnsibleRunner(inventory)
    return {h: runner.get_variables(h) for h in runner.get_hosts("opnsense")}


FIREWALLS = _firewalls()


@pytest.fixture(params=sorted(FIREWALLS), scope="module")
def firewall(request) -> tuple[dict[str, Any], Api]:
    hostvars = FIREWALLS[request.param]
    return hostvars, Api(hostvars)
