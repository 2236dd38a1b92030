"""The simulated firewall's filter guards its own API, as pf does: a block rule that matches
the API's traffic cuts new connections once applied, connections already admitted keep
working (pf keeps their states), and rolling back the rules lets new connections in again.
Also: which release a new device runs, and states saved before releases were simulated."""

from __future__ import annotations

import copy
import os

import pytest
from opnsense_client import Api

from fleet.lab.sim.base import Request
from fleet.lab.sim.opnsense import factory, pf, releases
from fleet.lab.sim.opnsense.state import INSTALLER_VLANS

BLOCK_API = {"interface": "wan", "action": "block", "protocol": "TCP",
             "destination_net": "(self)", "destination_port": "443",
             "description": "cuts the API"}  # fmt: skip


class Clock:
    now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def make(version: str, clock=None):
    saved = os.environ.get(releases.ENV)
    os.environ[releases.ENV] = f"*={version}"
    try:
        device = factory("fw-pf", 0, None, 3)
    finally:
        if saved is None:
            os.environ.pop(releases.ENV)
        else:
            os.environ[releases.ENV] = saved
    if clock is not None:
        device.clock = clock
    return device


def over(api: Api, connection: int, method: str, path: str, body=None):
    """A request on a numbered client connection (as the server numbers them)."""
    import json

    headers = {"authorization": api.auth}
    data = b""
    if body is not None:
        headers["content-type"] = "application/json"
        data = json.dumps(body).encode()
    return api.device.handle(
        Request(method, path, {}, headers, data, remote="127.0.0.1", connection=connection)
    )


def test_an_applied_block_rule_cuts_new_connections_and_keeps_established_ones():
    api = Api(make("26.7.2"))
    assert not over(api, 1, "GET", "/api/core/firmware/running").cut
    over(api, 1, "POST", "/api/firewall/filter/addRule", {"rule": BLOCK_API})
    # saved but not applied: the running filter still lets new connections in
    assert not over(api, 2, "GET", "/api/core/firmware/running").cut
    assert over(api, 1, "POST", "/api/firewall/filter/apply").status == 200
    cut = over(api, 3, "GET", "/api/core/firmware/running")
    assert cut.cut and cut.body == b""
    assert over(api, 3, "GET", "/").cut  # the web UI is behind the same filter
    # connections admitted before the change still answer
    assert over(api, 1, "GET", "/api/core/firmware/running").status == 200
    assert over(api, 2, "GET", "/api/core/firmware/running").status == 200


def test_a_pass_rule_before_the_block_keeps_the_api_reachable():
    api = Api(make("26.7.2"))
    api.post("/api/firewall/alias/addItem",
             {"alias": {"name": "region_mgmt", "type": "network", "content": "127.0.0.0/8"}})  # fmt: skip
    api.post("/api/firewall/filter/addRule", {"rule": {
        "sequence": "10", "interface": "wan", "source_net": "region_mgmt",
        "destination_net": "(self)", "description": "management"}})  # fmt: skip
    api.post("/api/firewall/filter/addRule", {"rule": BLOCK_API | {"sequence": "20"}})
    api.post("/api/firewall/filter/apply")
    assert not over(api, 9, "GET", "/api/core/firmware/running").cut
    # narrow the management network: the block rule now decides
    uuid = api.get("/api/firewall/alias/getAliasUUID/region_mgmt")["uuid"]
    api.post(f"/api/firewall/alias/setItem/{uuid}", {"alias": {"content": "10.99.0.0/16"}})
    api.post("/api/firewall/alias/reconfigure")
    assert over(api, 10, "GET", "/api/core/firmware/running").cut


@pytest.mark.parametrize(
    "change",
    [
        {"enabled": "0"},
        {"interface": "opt1"},
        {"destination_port": "22"},
        {"protocol": "UDP"},
        {"quick": "0", "action": "block"},
        {"direction": "out"},
    ],  # fmt: skip
)
def test_rules_that_do_not_match_the_api_traffic_leave_it_alone(change):
    rules = {"r": BLOCK_API | {"enabled": "1", "quick": "1", "direction": "in"} | change}
    if change.get("quick") == "0":  # a non-quick block followed by a non-quick pass: last wins
        rules["s"] = {"interface": "wan", "action": "pass", "quick": "0", "sequence": "2"}
    assert pf.admits_api(rules, {}, "wan", "127.0.0.1")


def test_the_savepoint_rollback_restores_access_on_26_1():
    clock = Clock()
    api = Api(make("26.1", clock))
    revision = over(api, 1, "POST", "/api/firewall/filter/savepoint")
    revision = __import__("json").loads(revision.body)["revision"]
    over(api, 1, "POST", "/api/firewall/filter/addRule", {"rule": BLOCK_API})
    over(api, 1, "POST", f"/api/firewall/filter/apply/{revision}")
    assert over(api, 2, "GET", "/api/core/firmware/running").cut
    clock.now += 61  # nobody confirmed: OPNsense rolls the rules back by itself
    assert over(api, 1, "GET", "/api/core/firmware/running").status == 200  # (tick)
    assert not over(api, 3, "GET", "/api/core/firmware/running").cut


def test_26_7_has_no_rollback_timer():
    clock = Clock()
    api = Api(make("26.7.2", clock))
    over(api, 1, "POST", "/api/firewall/filter/addRule", {"rule": BLOCK_API})
    over(api, 1, "POST", "/api/firewall/filter/apply/1700000000.0001")
    clock.now += 120
    assert api.device.state["rollbacks"] == {}
    assert over(api, 2, "GET", "/api/core/firmware/running").cut


def test_the_installer_template_assigns_one_interface_per_vlan():
    interfaces = make("26.7.2").state["system"]["interfaces"]
    assert interfaces["wan"]["if"] == "vtnet0" and interfaces["lan"]["if"] == "vtnet1"
    for key, tag, descr in INSTALLER_VLANS:
        assert interfaces[key] == {"descr": descr, "if": f"vlan0.{tag}"}


def test_the_default_plan_alternates_the_newest_release_and_the_last_with_savepoints():
    assert [releases.planned(f"s{i}", i, "") for i in range(4)] == [
        "26.7.2", "26.1", "26.7.2", "26.1"]  # fmt: skip
    plan = "0450050K=24.7,04*=25.7,*=26.1"
    assert releases.planned("0450050K", 0, plan) == "24.7"
    assert releases.planned("0450051L", 0, plan) == "25.7"
    assert releases.planned("0180120H", 1, plan) == "26.1"
    for bad in ("nonsense", "x=27.1", "=26.1"):
        with pytest.raises(ValueError, match=releases.ENV):
            releases.parse_plan(bad)


def test_a_device_keeps_its_release_and_old_states_are_upgraded():
    device = make("25.1")
    state = copy.deepcopy(device.snapshot())
    again = factory("fw-pf", 0, state, 3)  # the plan now says 26.7.2 for index 0
    assert again.release.version == "25.1"
    old = copy.deepcopy(state)
    del old["firmware"]["version"], old["config"]["domain"], old["system"]["api_interface"]
    upgraded = factory("fw-pf", 0, old, 3)
    assert upgraded.release.version == releases.NEWEST
    assert upgraded.state["config"]["domain"] == {}


def test_over_https_a_kept_alive_connection_survives_the_cut_and_a_new_one_does_not(start_sim):
    import requests

    sim = start_sim("opnsense", names=["fw-a"])
    d = sim.doc["devices"][0]
    base, auth, ca = d["url"], (d["key"], d["secret"]), d["ca"]
    kept = requests.Session()

    def call(session, method, path, body=None):
        return session.request(method, f"{base}{path}", json=body, auth=auth, verify=ca,
                               timeout=5)  # fmt: skip

    assert call(kept, "GET", "/api/core/firmware/running").json() == {"status": "ready"}
    call(kept, "POST", "/api/firewall/filter/addRule", {"rule": BLOCK_API})
    call(kept, "POST", "/api/firewall/filter/apply")
    with pytest.raises(requests.ConnectionError):
        call(requests.Session(), "GET", "/api/core/firmware/running")
    # the established connection still talks: it can remove the rule and reload
    uuid = call(kept, "GET", "/api/firewall/filter/searchRule").json()["rows"][0]["uuid"]
    assert call(kept, "POST", f"/api/firewall/filter/delRule/{uuid}").json() == {
        "result": "deleted"}  # fmt: skip
    call(kept, "POST", "/api/firewall/filter/apply")
    assert call(requests.Session(), "GET", "/api/core/firmware/running").status_code == 200
