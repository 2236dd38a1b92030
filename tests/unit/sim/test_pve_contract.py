"""Contract tests generated from the reference schema (fleet/lab/sim/pve/data/pve-api.json):
every endpoint is served, every served route is in the reference (or the documented extras),
validation errors, envelopes, UPIDs and booleans have PVE's shapes."""

from __future__ import annotations

import json
import re

import pytest

from fleet.lab.sim.pve import PveFactory
from fleet.lab.sim.pve.client import LocalClient
from fleet.lab.sim.pve.routes import HANDLERS
from fleet.lab.sim.pve.schema import REFERENCE, load
from fleet.lab.sim.pve.tasks import UPID_RE

REF = json.loads(REFERENCE.read_text())
REF_KEYS = [f"{e['method']} {e['path']}" for e in REF["endpoints"]]
PARAM_ERROR = "Parameter verification failed."


@pytest.fixture
def client(clock):
    return LocalClient(PveFactory(clock=clock, task_seconds=0.5)("pve-001", 0, None, 7))


def _fill(path, upid="UPID:pve1:00001000:00000000:00000000:qmstart:9000:root@pam:"):
    values = {
        "node": "pve1", "vmid": "9000", "upid": upid, "userid": "root@pam",
        "tokenid": "fleet", "iface": "vmbr0", "storage": "local-lvm", "id": "job1",
        "poolid": "site",
    }  # fmt: skip
    return re.sub(r"\{([^}]+)\}", lambda m: values[m.group(1)], path)


def test_reference_has_69_entries_and_all_have_handlers():
    assert len(REF_KEYS) == 69
    assert set(REF_KEYS) <= set(HANDLERS)


def test_every_served_route_is_in_the_reference_or_the_documented_extras():
    schema = load()
    for key in HANDLERS:
        endpoint = schema.by_key[key]
        assert endpoint.source == ("reference" if key in REF_KEYS else "extra"), key
    extras = {e.key for e in schema.endpoints if e.source == "extra"}
    assert extras == {
        "GET /access/ticket",
        "POST /access/ticket",
        "PUT /access/password",
        "GET /nodes/{node}/tasks/{upid}/log",
        "GET /nodes/{node}/storage/{storage}/content",
    }


@pytest.mark.parametrize("key", REF_KEYS)
def test_every_reference_endpoint_is_served(client, key):
    method, path = key.split(" ", 1)
    reply = client.request(method, _fill(path))
    assert reply.status != 501, reply
    assert "data" in reply.body
    endpoint = load().by_key[key]
    missing = sorted(
        n for n, s in endpoint.params.items() if s.get("required") and n not in endpoint.path_names
    )
    if missing:
        assert reply.status == 400 and reply.reason == PARAM_ERROR
        assert {n: reply.body["errors"][n] for n in missing} == {
            n: "property is missing and it is not optional" for n in missing
        }


@pytest.mark.parametrize(
    "method,path",
    [
        ("GET", "/nope"),
        ("PATCH", "/version"),
        ("POST", "/version"),
        ("GET", "/nodes/pve1/qemu/9000/foo"),
    ],
)
def test_unknown_routes_answer_501_like_pve(client, method, path):
    reply = client.request(method, path)
    text = f"Method '{method} {path}' not implemented"
    assert (reply.status, reply.reason, reply.body) == (501, text, {"data": None, "message": text})


def _params_of_type(kind):
    for endpoint in load().endpoints:
        for name, spec in endpoint.params.items():
            if spec.get("type") == kind and name not in endpoint.path_names:
                yield endpoint, name


@pytest.mark.parametrize("kind,bad", [("integer", "abc"), ("boolean", "maybe"), ("number", "1x")])
def test_every_typed_parameter_is_type_checked(client, kind, bad):
    checked = 0
    for endpoint, name in _params_of_type(kind):
        reply = client.request(endpoint.method, _fill(endpoint.path), {name: bad})
        assert reply.status == 400, (endpoint.key, name, reply)
        assert reply.body["errors"][name] == f"type check ('{kind}') failed - got '{bad}'"
        checked += 1
    assert checked >= 5


def test_every_enum_parameter_refuses_other_values(client):
    checked = 0
    for endpoint in load().endpoints:
        for name, spec in endpoint.params.items():
            if "enum" in spec and spec.get("type") == "string":
                reply = client.request(endpoint.method, _fill(endpoint.path), {name: "zz-none"})
                expected = (
                    f"value 'zz-none' does not have a value in the enumeration "
                    f"'{', '.join(spec['enum'])}'"
                )
                assert reply.body["errors"][name] == expected, endpoint.key
                checked += 1
    assert checked >= 14


def test_unknown_parameters_are_refused_everywhere(client):
    for key in REF_KEYS:
        method, path = key.split(" ", 1)
        reply = client.request(method, _fill(path), {"surely_not_a_param": "1"})
        assert reply.status == 400, key
        assert reply.body["errors"]["surely_not_a_param"] == (
            "property is not defined in schema and the schema does not allow additional properties"
        )


def test_validation_error_body_is_exactly_pves(client):
    reply = client.post("/nodes/pve1/qemu", vmid=5, name="not_a_dns_name", memory="x")
    assert reply.status == 400 and reply.reason == PARAM_ERROR
    assert reply.body == {
        "data": None,
        "errors": {
            "vmid": "value must have a minimum value of 100",
            "name": "invalid format - value does not look like a valid DNS name",
            "memory": "invalid format - format error\nmemory.current: "
            "type check ('integer') failed - got 'x'",
        },
        "message": "Parameter verification failed.\n",
    }
    assert reply.response.headers["Content-Type"] == "application/json;charset=UTF-8"


def test_path_and_body_values_must_agree(client):
    reply = client.put("/nodes/pve1/qemu/9000/config", node="pve2", name="x")
    assert reply.body["errors"] == {
        "node": "duplicate parameter (already defined in URI) with conflicting values!"
    }


def test_upids_have_pves_format(client, clock):
    upid = client.post("/nodes/pve1/qemu", vmid=101, name="a").data
    m = UPID_RE.match(upid)
    assert m, upid
    node, pid, pstart, start, kind, ident, user = m.group(1, 3, 4, 5, 6, 7, 8)
    assert (node, kind, ident, user) == ("pve1", "qmcreate", "101", "root@pam!fleet")
    assert all(re.fullmatch(r"[0-9A-F]{8,9}", x) for x in (pid, pstart, start))
    assert int(start, 16) == int(clock.now)
    status = client.get(f"/nodes/pve1/tasks/{upid}/status").data
    assert status == {
        "upid": upid, "node": "pve1", "pid": int(pid, 16), "pstart": int(pstart, 16),
        "starttime": int(clock.now), "type": "qmcreate", "id": "101",
        "user": "root@pam!fleet", "status": "running",
    }  # fmt: skip


def test_booleans_are_0_and_1(client, clock):
    upid = client.post("/nodes/pve1/qemu", vmid=102, onboot="true", protection="off").data
    clock.now += 1
    assert client.get(f"/nodes/pve1/tasks/{upid}/status").data["exitstatus"] == "OK"
    config = client.get("/nodes/pve1/qemu/102/config").data
    assert (config["onboot"], config["protection"]) == (1, 0)
    token = client.post("/access/users/root@pam/token/ci", privsep="yes").data
    assert token["info"]["privsep"] == 1
    nets = client.get("/nodes/pve1/network").data
    assert {n["iface"]: n["active"] for n in nets} == {"eno1": 1, "vmbr0": 1}
    listed = {vm["vmid"]: vm for vm in client.get("/nodes/pve1/qemu").data}
    assert listed[9000]["template"] == 1 and "template" not in listed[102]


def test_nextid_is_a_string_and_checks_a_given_vmid(client):
    assert client.get("/cluster/nextid").data == "100"
    reply = client.get("/cluster/nextid", vmid=9000)
    assert (reply.status, reply.body["errors"]) == (400, {"vmid": "VM 9000 already exists"})
    assert client.get("/cluster/nextid", vmid=555).data == "555"
