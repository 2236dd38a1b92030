"""A plain `requests` client written from OPNsense's API documentation drives the simulator
through the real HTTPS server, TLS verification on against the lab CA: add → search → set →
apply/reconfigure → del for every object type, plus firmware, backup and error answers."""

from __future__ import annotations

import pytest
import requests

from fleet.lab.sim.opnsense import factory
from fleet.lab.sim.server import BackgroundSim, SimConfig


class OPNsense:
    """What the docs describe: Basic auth with key/secret, JSON bodies, /api/module/ctrl/action."""

    def __init__(self, url: str, key: str, secret: str, ca: str):
        self.url = url.rstrip("/")
        self.session = requests.Session()
        self.session.auth = (key, secret)
        # per request: requests lets REQUESTS_CA_BUNDLE override a session-level `verify`
        self.ca = ca

    def get(self, path: str) -> dict:
        r = self.session.get(f"{self.url}/api/{path}", verify=self.ca, timeout=10)
        r.raise_for_status()
        return r.json()

    def post(self, path: str, body: dict | None = None) -> dict:
        r = self.session.post(f"{self.url}/api/{path}", json=body if body is not None else {},
                              verify=self.ca, timeout=10)  # fmt: skip
        r.raise_for_status()
        return r.json()


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    config = SimConfig(
        kind="opnsense",
        factory=factory,
        state_dir=tmp_path_factory.mktemp("opnsense-state"),
        names=["fw-001", "fw-002"],
        port=0,
    )
    with BackgroundSim(config) as running:
        yield running


@pytest.fixture
def fw(sim):
    d = sim.doc["devices"][0]  # device 0: the newest release (26.7)
    return OPNsense(d["url"], d["key"], d["secret"], d["ca"])


@pytest.fixture
def fw_26_1(sim):
    d = sim.doc["devices"][1]  # device 1: 26.1, the last release with savepoints
    return OPNsense(d["url"], d["key"], d["secret"], d["ca"])


OBJECTS = [
    # module/controller, action suffix, post key, new item, change, apply endpoint
    ("firewall/alias", "Item", "alias",
     {"name": "lab_servers", "type": "network", "content": "10.20.0.0/24", "description": "[fleet] servers"},
     {"content": "10.20.0.0/24\n10.21.0.0/24"}, "firewall/alias/reconfigure"),
    ("firewall/filter", "Rule", "rule",
     {"interface": "lan", "protocol": "TCP", "destination_port": "443", "description": "[fleet] https"},
     {"action": "block"}, "firewall/filter/apply"),
    ("interfaces/vlan_settings", "Item", "vlan",
     {"if": "vtnet2", "tag": "110", "descr": "[fleet] pedago"},
     {"pcp": "3"}, "interfaces/vlan_settings/reconfigure"),
    ("unbound/settings", "HostOverride", "host",
     {"hostname": "dc1", "domain": "0450050k.lan", "server": "10.20.0.10", "description": "[fleet] dc"},
     {"server": "10.20.0.11"}, "unbound/service/reconfigure"),
    ("kea/dhcpv4", "Subnet", "subnet4",
     {"subnet": "10.30.0.0/24", "pools": "10.30.0.100-10.30.0.199",
      "option_data": {"routers": "10.30.0.1", "domain_name_servers": "10.30.0.1"}},
     {"description": "[fleet] pedago"}, "kea/service/reconfigure"),
]  # fmt: skip


@pytest.mark.parametrize("obj", OBJECTS, ids=lambda o: o[2])
def test_documented_client_round_trip(fw, obj):
    base, action, key, item, change, apply = obj
    added = fw.post(f"{base}/add{action}", {key: item})
    assert added["result"] == "saved"
    uuid = added["uuid"]
    found = fw.post(f"{base}/search{action}", {"current": 1, "rowCount": -1, "searchPhrase": ""})
    row = next(r for r in found["rows"] if r["uuid"] == uuid)
    first = next(iter(k for k in item if isinstance(item[k], str)))
    assert row[first] == item[first]
    assert fw.post(f"{base}/set{action}/{uuid}", {key: change}) == {"result": "saved"}
    got = fw.get(f"{base}/get{action}/{uuid}")[key]
    for field, value in change.items():
        shown = got[field]
        if isinstance(shown, dict):  # an option list: the selected keys are the value
            selected = [k for k, v in shown.items() if v["selected"]]
            assert selected == value.replace("\n", ",").split(",")
        else:
            assert shown == value
    assert fw.post(apply)["status"].strip().lower() == "ok"
    assert fw.post(f"{base}/del{action}/{uuid}") == {"result": "deleted"}
    assert fw.get(f"{base}/get{action}/{uuid}") == []
    fw.post(apply)


def test_reservation_round_trip_and_safe_subnet_delete(fw):
    sub = fw.post("kea/dhcpv4/addSubnet", {"subnet4": {"subnet": "10.40.0.0/24"}})["uuid"]
    res = fw.post("kea/dhcpv4/addReservation", {"reservation": {
        "subnet": sub, "ip_address": "10.40.0.5", "hw_address": "02:00:00:00:00:05"}})["uuid"]  # fmt: skip
    rows = fw.post("kea/dhcpv4/searchReservation", {"searchPhrase": "02:00:00:00:00:05"})["rows"]
    assert [r["uuid"] for r in rows] == [res]
    r = fw.session.post(
        f"{fw.url}/api/kea/dhcpv4/delSubnet/{sub}", json={}, verify=fw.ca, timeout=10
    )
    assert r.status_code == 500 and "in use by" in r.json()["errorTitle"]
    assert fw.post(f"kea/dhcpv4/setReservation/{res}",
                   {"reservation": {"hostname": "copier"}}) == {"result": "saved"}  # fmt: skip
    assert fw.post("kea/service/reconfigure") == {"status": "ok"}
    assert fw.post(f"kea/dhcpv4/delReservation/{res}") == {"result": "deleted"}
    assert fw.post(f"kea/dhcpv4/delSubnet/{sub}") == {"result": "deleted"}


def test_savepoint_apply_cancel(fw_26_1, fw):
    revision = fw_26_1.post("firewall/filter/savepoint")["revision"]
    uuid = fw_26_1.post("firewall/filter/addRule", {"rule": {"description": "[fleet] tmp"}})["uuid"]
    assert fw_26_1.post(f"firewall/filter/apply/{revision}") == {"status": "OK\n\n"}
    assert "status" in fw_26_1.post(f"firewall/filter/cancelRollback/{revision}")
    assert fw_26_1.post(f"firewall/filter/delRule/{uuid}") == {"result": "deleted"}
    # 26.7 removed savepoints
    with pytest.raises(requests.HTTPError) as gone:
        fw.post("firewall/filter/savepoint")
    assert gone.value.response.status_code == 404


def test_wrong_credentials_and_validation_answers(sim, fw):
    d = sim.doc["devices"][0]
    r = requests.get(f"{fw.url}/api/core/firmware/status", auth=(d["key"], "wrong"),
                     verify=d["ca"], timeout=10)  # fmt: skip
    assert (r.status_code, r.json()) == (401, {"status": 401, "message": "Authentication Failed"})
    other = sim.doc["devices"][1]  # each device has its own key
    r = requests.get(f"{fw.url}/api/core/firmware/status", auth=(other["key"], other["secret"]),
                     verify=d["ca"], timeout=10)  # fmt: skip
    assert r.status_code == 401
    bad = fw.post("firewall/alias/addItem", {"alias": {"name": "has space", "type": "host"}})
    assert bad["result"] == "failed" and "alias.name" in bad["validations"]
    r = fw.session.post(f"{fw.url}/api/firewall/alias/addItem", data="{oops",
                        headers={"Content-Type": "application/json"}, verify=fw.ca, timeout=10)  # fmt: skip
    assert (r.status_code, r.json()) == (400, {"status": 400, "message": "Invalid JSON syntax"})


def test_tls_is_verified_against_the_lab_ca(sim, fw):
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"{fw.url}/api/core/firmware/running", timeout=10)  # system CAs only


def test_firmware_and_backup(fw):
    assert fw.get("core/firmware/status")["product"]["product_name"] == "OPNsense"
    r = fw.session.get(f"{fw.url}/api/core/backup/download/this", verify=fw.ca, timeout=10)
    assert r.status_code == 200 and r.content.startswith(b'<?xml version="1.0"?>\n<opnsense>')
    assert "attachment; filename=config-" in r.headers["Content-Disposition"]
