"""API-token and ticket authentication, CSRF, allowtoken and privilege separation."""

from __future__ import annotations

import copy

import pytest

from fleet.lab.sim.base import Request
from fleet.lab.sim.pve import PveFactory
from fleet.lab.sim.pve.client import LocalClient


@pytest.fixture
def device(clock):
    return PveFactory(clock=clock)("pve-001", 0, None, 3)


def _raw(device, method, path, headers, body=b""):
    return device.handle(Request(method, f"/api2/json{path}", headers=headers, body=body))


def test_credentials_are_stable_per_seed_and_differ_between_devices(clock):
    a = PveFactory(clock=clock)("pve-001", 0, None, 3).credentials()
    again = PveFactory(clock=clock)("pve-001", 0, None, 3).credentials()
    other = PveFactory(clock=clock)("pve-002", 1, None, 3).credentials()
    assert a == again and a["token_secret"] != other["token_secret"]
    assert a["token_id"] == "root@pam!fleet" and a["username"] == "root@pam"


@pytest.mark.parametrize("sep", ["=", " "])
def test_token_header_with_equals_or_space(device, sep):
    creds = device.credentials()
    header = f"PVEAPIToken{sep}{creds['token_id']}={creds['token_secret']}"
    assert _raw(device, "GET", "/version", {"authorization": header}).status == 200


@pytest.mark.parametrize(
    "headers,reason",
    [
        ({}, "No ticket"),
        ({"authorization": "PVEAPIToken=root@pam!fleet=00000000-0000-0000-0000-000000000000"},
         "Authentication failed!"),
        ({"authorization": "PVEAPIToken=root@pam!nope=x"}, "Authentication failed!"),
        ({"authorization": "PVEAPIToken=garbage"}, "Authentication failed!"),
        ({"cookie": "PVEAuthCookie=PVE:root@pam:00000000::forged"}, "Authentication failed!"),
    ],
)  # fmt: skip
def test_bad_credentials_get_401_with_empty_body(device, headers, reason):
    before = copy.deepcopy(device.snapshot())  # snapshot() is the live state
    response = _raw(device, "POST", "/access/users", headers, b"userid=x@pve")
    assert (response.status, response.reason, response.body) == (401, reason, b"")
    assert device.snapshot() == before


def test_ticket_login_then_csrf_is_required_on_writes(device, clock):
    anon = LocalClient(device, auth={})
    creds = device.credentials()
    login = anon.post("/access/ticket", username="root@pam", password=creds["password"]).data
    assert login["username"] == "root@pam"
    cookie = {"cookie": f"PVEAuthCookie={login['ticket']}"}
    ticket = LocalClient(device, auth=cookie)
    assert ticket.get("/nodes").status == 200  # GET needs no CSRF token
    refused = ticket.post("/access/users", userid="bob@pve")
    assert (refused.status, refused.reason) == (401, "Permission denied - invalid csrf token")
    assert "bob@pve" not in device.snapshot()["users"]
    good = LocalClient(device, auth={**cookie, "csrfpreventiontoken": login["CSRFPreventionToken"]})
    assert good.post("/access/users", userid="bob@pve").status == 200
    clock.now += 7201  # tickets live two hours
    assert ticket.get("/nodes").status == 401


def test_wrong_password_is_401_with_pves_message(device):
    reply = LocalClient(device, auth={}).post("/access/ticket", username="root@pam", password="no")
    assert (reply.status, reply.reason) == (401, "authentication failure")
    assert reply.body == {"data": None, "message": "authentication failure\n"}


def test_endpoint_without_allowtoken_refuses_tokens(device):
    reply = LocalClient(device).put("/access/password", userid="root@pam", password="new-password")
    assert reply.status == 403
    assert reply.reason == (
        "Permission check failed (URI /access/password not available with API token, "
        "need proper ticket.)"
    )


def test_privilege_separated_token_lacks_vm_privileges(device):
    root = LocalClient(device)
    secret = root.post("/access/users/root@pam/token/ro").data["value"]
    limited = LocalClient(device, auth={"authorization": f"PVEAPIToken=root@pam!ro={secret}"})
    assert limited.get("/version").status == 200
    reply = limited.get("/nodes/pve1/qemu/9000/config")
    assert (reply.status, reply.reason) == (403, "Permission check failed (/vms/9000, VM.Audit)")
    assert reply.body == {
        "data": None,
        "message": "Permission check failed (/vms/9000, VM.Audit)\n",
    }
    assert limited.get("/nodes/pve1/qemu").data == []
    denied = limited.post("/nodes/pve1/qemu", vmid=150)
    assert denied.status == 403 and "150" not in device.snapshot()["guests"]


def test_disabled_user_tokens_stop_working(device):
    root = LocalClient(device)
    assert root.post("/access/users", userid="ci@pve").status == 200
    secret = root.post("/access/users/ci@pve/token/run", privsep=0).data["value"]
    ci = LocalClient(device, auth={"authorization": f"PVEAPIToken=ci@pve!run={secret}"})
    assert ci.get("/version").status == 200
    root.put("/access/users/ci@pve", enable=0)
    assert ci.get("/version").status == 401
