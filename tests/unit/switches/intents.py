"""Fixed switch intents for the golden tests (independent of the lab registry's data)."""

from __future__ import annotations

import copy

VLANS = [{"id": 10, "name": "mgmt"}, {"id": 20, "name": "servers"}, {"id": 30, "name": "admin"},
         {"id": 40, "name": "pedago"}, {"id": 50, "name": "wifi"}]  # fmt: skip
PROFILES = {
    "pedago": {
        "mode": "access",
        "untagged": 40,
        "tagged": [],
        "description": "teaching workstations",
    },
    "admin": {"mode": "access", "untagged": 30, "tagged": [], "description": "administration"},
    "ap": {"mode": "trunk", "untagged": 10, "tagged": [50], "description": "wifi access point"},
    "uplink": {
        "mode": "trunk",
        "untagged": None,
        "tagged": [10, 20, 30, 40, 50],
        "description": "uplink",
    },
}
BASE = {
    "hostname": "sw-test",
    "model": "test-12",
    "port_count": 12,
    "vlans": VLANS,
    "ports": [
        {"ports": "1-6", "profile": "pedago"},
        {"ports": "7-8", "profile": "admin"},
        {"ports": "9", "profile": "ap"},
        {"ports": "11-12", "profile": "uplink"},
    ],  # fmt: skip
    "profiles": PROFILES,
    "mgmt": {
        "vlan": 10,
        "address": "10.64.0.201",
        "netmask": "255.255.255.0",
        "gateway": "10.64.0.1",
    },
    "ntp_servers": ["10.0.0.123"],
    "syslog_server": "10.0.0.14",
    "snmp": {"version": "2c", "contact": "noc@example.org", "location": "Lycee de test"},
}
INTENTS = {
    "hp_procurve": {**BASE, "platform": "hp_procurve", "interface": "{port}"},
    "cisco_ios": {**BASE, "platform": "cisco_ios", "interface": "GigabitEthernet1/0/{port}"},
}
SECRETS = {"snmp_community": "c0mmunity-s3cret"}


def intent(base: str, **changes) -> dict:
    data = copy.deepcopy(INTENTS[base])
    data.update(changes)
    return data
