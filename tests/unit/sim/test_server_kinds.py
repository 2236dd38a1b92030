"""The real PVE, OPNsense and opsiconfd devices through the server core: credentials in the
ready document, TLS-verified calls, a write that survives a restart, injected errors with the
API's own body."""

from __future__ import annotations

import base64

import pytest
import requests

from fleet.lab.sim.kinds import load_factory


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _pve(device: dict, write: bool) -> tuple[requests.Response, list]:
    auth = {"Authorization": f"PVEAPIToken={device['token_id']}={device['token_secret']}"}
    url, ca = device["url"] + "/api2/json/access/users", device["ca"]
    if write:
        posted = requests.post(url, data={"userid": "bob@pve"}, headers=auth, verify=ca, timeout=10)
        assert posted.status_code == 200
    answer = requests.get(url, headers=auth, verify=ca, timeout=10)
    return answer, [u["userid"] for u in answer.json()["data"]]


def _opnsense(device: dict, write: bool) -> tuple[requests.Response, list]:
    auth = {"Authorization": _basic(device["key"], device["secret"])}
    base, ca = device["url"] + "/api/firewall/alias/", device["ca"]
    if write:
        alias = {
            "alias": {"name": "fleet_x", "type": "host", "content": "10.0.0.1", "enabled": "1"}
        }
        posted = requests.post(base + "add_item", json=alias, headers=auth, verify=ca, timeout=10)
        assert posted.json()["result"] == "saved"
    answer = requests.post(
        base + "search_item", json={"searchPhrase": "fleet_x"}, headers=auth, verify=ca, timeout=10
    )
    return answer, [row["name"] for row in answer.json()["rows"]]


def _opsi(device: dict, write: bool) -> tuple[requests.Response, list]:
    auth = {"Authorization": _basic(device["username"], device["password"])}
    url, ca = device["url"] + "/rpc", device["ca"]

    def call(method: str, *params):
        body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}
        return requests.post(url, json=body, headers=auth, verify=ca, timeout=10)

    if write:
        created = call("host_createOpsiClient", "pc1.lab.opsi.lab").json()
        assert "result" in created and created.get("error") is None
    answer = call("host_getIdents")
    return answer, answer.json()["result"]


CASES = {
    "pve": (_pve, ("token_id", "token_secret"), "bob@pve"),
    "opnsense": (_opnsense, ("key", "secret"), "fleet_x"),
    "opsi": (_opsi, ("username", "password"), "pc1.lab.opsi.lab"),
}


@pytest.mark.parametrize("kind", sorted(CASES))
def test_real_device_serves_persists_and_faults(kind, start_sim, tmp_path):
    client, credential_keys, written = CASES[kind]
    state_dir = tmp_path / kind
    sim = start_sim(kind, state_dir=state_dir, devices=2)
    first, second = sim.doc["devices"]
    assert all(first[key] for key in credential_keys)

    answer, names = client(first, write=True)
    assert answer.status_code == 200 and written in names
    assert written not in client(second, write=False)[1]  # devices do not share state
    sim.stop()

    again = start_sim(kind, state_dir=state_dir, devices=2)
    first = again.doc["devices"][0]
    assert written in client(first, write=False)[1]

    again.set_faults(f"dev={first['name']}:error=503")
    expected = load_factory(kind)(first["name"], 0, None, 0).error_response(503)
    faulted = requests.get(first["url"] + "/", verify=first["ca"], timeout=10)
    assert faulted.status_code == 503
    assert faulted.content == expected.body
    assert client(again.doc["devices"][1], write=False)[0].status_code == 200
