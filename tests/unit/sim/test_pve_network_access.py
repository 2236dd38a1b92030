"""Node network (staged, applied, reverted), users and API tokens, and state that survives a
rebuild of the device from its snapshot (what a simulator restart does)."""

from __future__ import annotations

import copy
import json

import pytest

from fleet.lab.sim.pve import PveFactory
from fleet.lab.sim.pve.client import LocalClient


@pytest.fixture
def device(clock):
    return PveFactory(clock=clock, task_seconds=0.5)("pve-001", 0, None, 5)


@pytest.fixture
def api(device):
    return LocalClient(device)


def test_network_changes_are_staged_until_applied(api, clock):
    reply = api.post("/nodes/pve1/network", iface="vmbr1", type="bridge", autostart=1,
                     bridge_vlan_aware=1, cidr="10.1.0.1/24", comments="servers")  # fmt: skip
    assert reply.status == 200 and reply.data is None
    listing = api.get("/nodes/pve1/network")
    rows = {r["iface"]: r for r in listing.data}
    assert "active" not in rows["vmbr1"] and rows["vmbr0"]["active"] == 1
    assert (rows["vmbr1"]["address"], rows["vmbr1"]["netmask"]) == ("10.1.0.1", "24")
    assert "+auto vmbr1" in listing.body["changes"]
    assert api.get("/nodes/pve1/network/vmbr1").data["method"] == "static"
    upid = api.put("/nodes/pve1/network").data
    assert ":srvreload:networking:" in upid
    clock.now += 1
    assert api.get(f"/nodes/pve1/tasks/{upid}/status").data["exitstatus"] == "OK"
    listing = api.get("/nodes/pve1/network")
    assert "changes" not in listing.body
    assert {r["iface"]: r.get("active") for r in listing.data}["vmbr1"] == 1


def test_network_revert_drops_staged_changes(api):
    api.post("/nodes/pve1/network", iface="vmbr9", type="bridge")
    api.delete("/nodes/pve1/network/eno1")
    assert api.delete("/nodes/pve1/network").data is None
    listing = api.get("/nodes/pve1/network")
    assert [r["iface"] for r in listing.data] == ["eno1", "vmbr0"]
    assert "changes" not in listing.body


def test_network_errors(api, device):
    before = copy.deepcopy(device.snapshot())  # snapshot() is the live state
    assert api.post("/nodes/pve1/network", iface="vmbr0", type="bridge").body["errors"] == {
        "iface": "interface already exists"
    }
    assert api.get("/nodes/pve1/network/vmbr7").body["errors"] == {
        "iface": "interface does not exist"
    }
    gw = api.post("/nodes/pve1/network", iface="vmbr2", type="bridge", cidr="10.2.0.1/24",
                  gateway="10.2.0.254")  # fmt: skip
    assert gw.body["errors"] == {"gateway": "Default gateway already exists on interface 'vmbr0'."}
    assert api.post("/nodes/pve1/network", iface="x", type="bridge").status == 400
    assert api.post("/nodes/pve1/network", iface="vmbr3", type="wifi").status == 400
    assert device.snapshot() == before


def test_users_and_tokens(api):
    assert api.post("/access/users", userid="alice@pve", email="a@example.org",
                    password="s3cret-pass").data is None  # fmt: skip
    again = api.post("/access/users", userid="alice@pve")
    assert (again.status, again.reason) == (
        500,
        "create user failed: user 'alice@pve' already exists",
    )
    created = api.post("/access/users/alice@pve/token/deploy", comment="ci", privsep=0).data
    assert created["full-tokenid"] == "alice@pve!deploy"
    assert created["info"] == {"privsep": 0, "expire": 0, "comment": "ci"}
    secret = created["value"]
    assert len(secret) == 36
    shown = json.dumps([api.get("/access/users/alice@pve/token").data,
                        api.get("/access/users/alice@pve/token/deploy").data,
                        api.get("/access/users", full=1).data,
                        api.get("/access/users/alice@pve").data])  # fmt: skip
    assert secret not in shown  # the secret is returned once, at creation
    assert api.get("/access/users/alice@pve").data["email"] == "a@example.org"
    alice = LocalClient(api.device, auth={
        "authorization": f"PVEAPIToken=alice@pve!deploy={secret}"})  # fmt: skip
    assert alice.get("/version").status == 200
    assert api.delete("/access/users/alice@pve/token/deploy").data is None
    assert alice.get("/version").status == 401
    missing = api.get("/access/users/bob@pve")
    assert (missing.status, missing.reason) == (500, "no such user ('bob@pve')")
    assert api.get("/access/users/root@pam/token/nope").reason == (
        "no such token 'nope' for user 'root@pam'"
    )


def test_state_survives_a_rebuild_including_running_tasks(device, clock, api):
    upid = api.post("/nodes/pve1/qemu", vmid=100, name="a", scsi0="local-lvm:4").data
    saved = json.loads(json.dumps(device.snapshot()))  # what the server writes to disk
    rebuilt = PveFactory(clock=clock, task_seconds=0.5)("pve-001", 0, saved, 5)
    again = LocalClient(rebuilt)
    assert again.get(f"/nodes/pve1/tasks/{upid}/status").data["status"] == "running"
    clock.now += 1
    assert again.get(f"/nodes/pve1/tasks/{upid}/status").data["exitstatus"] == "OK"
    assert again.get("/nodes/pve1/qemu/100/config").data["scsi0"].startswith("local-lvm:vm-100")
    assert rebuilt.credentials() == device.credentials()


def test_injected_errors_use_pves_envelope(device):
    response = device.error_response(503)
    assert response.status == 503 and response.reason == "Service Unavailable"
    assert json.loads(response.body) == {"data": None, "message": "Service Unavailable\n"}
