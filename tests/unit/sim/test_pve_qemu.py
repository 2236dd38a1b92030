"""QEMU guests through device.handle(): config normalisation, volumes, digest, delete, pending
changes, asynchronous tasks, and bad input that never changes the state."""

from __future__ import annotations

import copy
import json
import re

import pytest

from fleet.lab.sim.pve import PveFactory
from fleet.lab.sim.pve.client import LocalClient


@pytest.fixture
def device(clock):
    return PveFactory(clock=clock, task_seconds=0.8)("pve-001", 0, None, 11)


@pytest.fixture
def api(device):
    return LocalClient(device)


def run(api, clock, reply, seconds=1.0):
    """Let a task finish and return its final status."""
    assert reply.status == 200, reply
    clock.now += seconds
    return api.get(f"/nodes/pve1/tasks/{reply.data}/status").data


def create(api, clock, vmid=100, **config):
    status = run(api, clock, api.post("/nodes/pve1/qemu", vmid=vmid, **config))
    assert status["exitstatus"] == "OK", status


def test_config_is_normalised_like_a_real_node(api, clock):
    create(api, clock, name="web1", memory=2048, cores=2, scsihw="virtio-scsi-single",
           net0="virtio,bridge=vmbr0,firewall=1", scsi0="local-lvm:32,discard=on,iothread=1",
           ide2="none,media=cdrom", tags="web,prod", agent="enabled=1")  # fmt: skip
    config = api.get("/nodes/pve1/qemu/100/config").data
    assert re.fullmatch(r"virtio=BC:24:11(:[0-9A-F]{2}){3},bridge=vmbr0,firewall=1", config["net0"])
    assert config["scsi0"] == "local-lvm:vm-100-disk-0,discard=on,iothread=1,size=32G"
    assert config["ide2"] == "none,media=cdrom"
    assert config["tags"] == "prod;web"
    assert config["boot"] == "order=scsi0;ide2;net0"
    assert (config["memory"], config["cores"], config["agent"]) == ("2048", 2, "1")
    assert re.fullmatch(r"[0-9a-f]{40}", config["digest"])
    assert set(config) == {
        "name", "memory", "cores", "scsihw", "net0", "scsi0", "ide2", "tags", "agent",
        "boot", "vmgenid", "smbios1", "meta", "digest",
    }  # fmt: skip
    content = api.get("/nodes/pve1/storage/local-lvm/content", vmid=100).data
    assert [(v["volid"], v["size"]) for v in content] == [("local-lvm:vm-100-disk-0", 32 * 2**30)]


def test_setting_back_what_was_read_is_no_change(api, clock):
    create(api, clock, name="a", net0="virtio,bridge=vmbr0", scsi0="local-lvm:8")
    config = api.get("/nodes/pve1/qemu/100/config").data
    same = {k: config[k] for k in ("name", "net0", "scsi0")}
    assert api.put("/nodes/pve1/qemu/100/config", digest=config["digest"], **same).status == 200
    assert api.get("/nodes/pve1/qemu/100/config").data == config


def test_digest_guards_concurrent_edits(api, clock, device):
    create(api, clock, name="a")
    digest = api.get("/nodes/pve1/qemu/100/config").data["digest"]
    assert api.put("/nodes/pve1/qemu/100/config", cores=2, digest=digest).status == 200
    before = copy.deepcopy(device.snapshot())  # snapshot() is the live state
    stale = api.put("/nodes/pve1/qemu/100/config", cores=4, digest=digest)
    assert stale.status == 500
    assert (
        stale.reason == "detected modified configuration - file changed by other user? Try again."
    )
    assert device.snapshot() == before


def test_delete_moves_a_disk_to_unused_and_force_frees_it(api, clock, device):
    create(api, clock, name="a", scsi0="local-lvm:4", scsi1="local-lvm:2", onboot=1)
    assert api.put("/nodes/pve1/qemu/100/config", delete="scsi1,onboot").status == 200
    config = api.get("/nodes/pve1/qemu/100/config").data
    assert config["unused0"] == "local-lvm:vm-100-disk-1" and "onboot" not in config
    assert api.put("/nodes/pve1/qemu/100/config", delete="unused0").status == 200
    assert "vm-100-disk-1" not in device.snapshot()["volumes"]["local-lvm"]
    assert api.put("/nodes/pve1/qemu/100/config", delete="scsi0", force=1).status == 200
    assert "vm-100-disk-0" not in device.snapshot()["volumes"]["local-lvm"]
    clash = api.put("/nodes/pve1/qemu/100/config", delete="name", name="b")
    assert clash.body["errors"] == {
        "delete": "you can't use '-name' and -delete name' at the same time"
    }
    assert api.put("/nodes/pve1/qemu/100/config", delete="nosuchkey").body["errors"] == {
        "delete": "unknown option 'nosuchkey'"
    }


def test_tasks_run_for_the_configured_moment(api, clock):
    reply = api.post("/nodes/pve1/qemu", vmid=100, name="a")
    upid = reply.data
    assert api.get("/nodes/pve1/qemu/100/config").data["lock"] == "create"
    clock.now += 0.5
    assert api.get(f"/nodes/pve1/tasks/{upid}/status").data["status"] == "running"
    clock.now += 0.4
    status = api.get(f"/nodes/pve1/tasks/{upid}/status").data
    assert (status["status"], status["exitstatus"]) == ("stopped", "OK")
    assert "lock" not in api.get("/nodes/pve1/qemu/100/config").data
    log = api.get(f"/nodes/pve1/tasks/{upid}/log")
    assert log.data[-1] == {"n": log.body["total"], "t": "TASK OK"}


def test_power_cycle_and_task_errors(api, clock):
    create(api, clock, name="a", memory=1024)
    assert api.get("/nodes/pve1/qemu/100/status/current").data["status"] == "stopped"
    assert run(api, clock, api.post("/nodes/pve1/qemu/100/status/start"))["exitstatus"] == "OK"
    status = api.get("/nodes/pve1/qemu/100/status/current").data
    assert (status["status"], status["qmpstatus"], status["maxmem"]) == (
        "running",
        "running",
        2**30,
    )
    again = run(api, clock, api.post("/nodes/pve1/qemu/100/status/start"))
    assert again["exitstatus"] == "VM 100 already running"
    busy = api.delete("/nodes/pve1/qemu/100")
    assert (busy.status, busy.reason) == (500, "VM 100 is running - destroy failed")
    assert run(api, clock, api.post("/nodes/pve1/qemu/100/status/shutdown"))["exitstatus"] == "OK"
    assert api.get("/nodes/pve1/qemu/100/status/current").data["status"] == "stopped"
    assert run(api, clock, api.delete("/nodes/pve1/qemu/100"))["exitstatus"] == "OK"
    gone = api.get("/nodes/pve1/qemu/100/config")
    assert (gone.status, gone.body["message"]) == (
        500, "Configuration file 'nodes/pve1/qemu-server/100.conf' does not exist\n",
    )  # fmt: skip


def test_changes_to_a_running_vm_wait_in_pending(api, clock):
    create(api, clock, name="a", cores=1)
    run(api, clock, api.post("/nodes/pve1/qemu/100/status/start"))
    assert api.put("/nodes/pve1/qemu/100/config", cores=4, description="hot").status == 200
    assert api.get("/nodes/pve1/qemu/100/config").data["cores"] == 4
    current = api.get("/nodes/pve1/qemu/100/config", current=1).data
    assert (current["cores"], current["description"]) == (1, "hot")
    run(api, clock, api.post("/nodes/pve1/qemu/100/status/stop"))
    assert api.get("/nodes/pve1/qemu/100/config", current=1).data["cores"] == 4


def test_clone_of_the_template_is_linked_and_gets_new_identity(api, clock):
    status = run(api, clock, api.post("/nodes/pve1/qemu/9000/clone", newid=120, name="dc1"))
    assert status["exitstatus"] == "OK" and status["type"] == "qmclone"
    src = api.get("/nodes/pve1/qemu/9000/config").data
    new = api.get("/nodes/pve1/qemu/120/config").data
    assert new["scsi0"] == "local-lvm:base-9000-disk-0/vm-120-disk-0,iothread=1,size=8G"
    assert new["name"] == "dc1" and "template" not in new
    assert new["net0"] != src["net0"] and new["smbios1"] != src["smbios1"]
    full = api.post("/nodes/pve1/qemu/9000/clone", newid=121, full=1, storage="local-lvm")
    run(api, clock, full)
    assert (
        api.get("/nodes/pve1/qemu/121/config").data["scsi0"].startswith("local-lvm:vm-121-disk-0,")
    )
    taken = api.post("/nodes/pve1/qemu/9000/clone", newid=120)
    assert taken.status == 500


@pytest.mark.parametrize(
    "params,status,key",
    [
        ({"vmid": 9000}, 500, None),
        ({"vmid": 100, "scsi0": "nostore:4"}, 500, None),
        # the first disk is allocated before the second fails: nothing may remain of it
        ({"vmid": 100, "scsi0": "local-lvm:4", "scsi1": "nostore:4"}, 500, None),
        ({"vmid": 100, "net0": "bridge=vmbr0"}, 400, "net0"),
        ({"vmid": 100, "net0": "virtio,speed=9"}, 400, "net0"),
        ({"vmid": 100, "ostype": "dos"}, 400, "ostype"),
        ({"vmid": 100, "cores": 0}, 400, "cores"),
        ({"vmid": 100, "node": "pve9"}, 400, "node"),
    ],
)
def test_bad_create_requests_change_nothing(api, device, params, status, key):
    before = copy.deepcopy(device.snapshot())  # snapshot() is the live state
    reply = api.post("/nodes/pve1/qemu", **params)
    assert reply.status == status, reply
    if key:
        assert key in reply.body["errors"]
    assert device.snapshot() == before


def test_a_config_change_failing_halfway_changes_nothing(api, device):
    before = copy.deepcopy(device.snapshot())
    reply = api.put("/nodes/pve1/qemu/9000/config", scsi5="local-lvm:4", scsi6="nostore:4")
    assert reply.status == 500 and "nostore" in reply.body["message"], reply
    assert device.snapshot() == before


def test_known_error_texts(api):
    assert api.post("/nodes/pve1/qemu", vmid=9000).reason == (
        "unable to create VM 9000 - VM 9000 already exists on node 'pve1'"
    )
    assert api.post("/nodes/pve1/qemu", vmid=100, scsi0="nostore:4").reason == (
        "storage 'nostore' does not exist"
    )
    assert api.get("/nodes/pve7/qemu").reason == "no such cluster node 'pve7'"
    net = api.post("/nodes/pve1/qemu", vmid=100, net0="bridge=vmbr0").body["errors"]["net0"]
    assert (
        net
        == "invalid format - format error\nnet0.model: property is missing and it is not optional"
    )


def test_json_bodies_and_malformed_bodies(api, device, clock):
    reply = api.request("POST", "/nodes/pve1/qemu", {"vmid": 100, "onboot": True}, json_body=True)
    run(api, clock, reply)
    assert api.get("/nodes/pve1/qemu/100/config").data["onboot"] == 1
    before = copy.deepcopy(device.snapshot())  # snapshot() is the live state
    bad = api.request("POST", "/nodes/pve1/qemu", headers={"content-type": "application/json"},
                      body=b"{not json")  # fmt: skip
    assert bad.status == 400 and bad.body["data"] is None
    assert device.snapshot() == before
    binary = api.request("PUT", "/nodes/pve1/qemu/100/config", body=b"\xff\xfe=\x00",
                         headers={"content-type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert binary.status == 400
    assert device.snapshot() == before


def test_resources_list_guests_storages_and_node(api, clock):
    create(api, clock, name="a", memory=4096, scsi0="local-lvm:10")
    rows = api.get("/cluster/resources").data
    assert {r["type"] for r in rows} == {"node", "qemu", "storage", "sdn"}
    vm = next(r for r in rows if r["id"] == "qemu/100")
    assert (vm["vmid"], vm["node"], vm["maxmem"], vm["maxdisk"], vm["template"]) == (
        100, "pve1", 4 * 2**30, 10 * 2**30, 0,
    )  # fmt: skip
    assert [r["id"] for r in api.get("/cluster/resources", type="vm").data] == [
        "qemu/100", "qemu/9000",
    ]  # fmt: skip
    body = json.dumps(rows)
    assert "storage/pve1/local-lvm" in body
