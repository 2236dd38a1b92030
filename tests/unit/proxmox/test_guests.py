"""The guests reconcile against a simulated PVE node over HTTPS: plan, converge, stay converged
in one cluster read + one config read per guest, hand edits found key by key and repaired,
disks grown and never shrunk, unmanaged guests left alone, stale guests kept or destroyed."""

from __future__ import annotations

import copy

import pytest

from fleet.proxmox import guests as engine
from fleet.proxmox.api import ApiError

from .conftest import guest

TWO = [guest(), guest("depot1", 2020, cores=4, memory_mb=8192, state="stopped",
                      disks=[{"slot": "scsi0", "size_gb": 40}, {"slot": "scsi1", "size_gb": 10}])]  # fmt: skip


def _vm(pve, vmid):
    return pve.state["guests"].get(str(vmid))


def test_check_mode_plans_every_guest_and_writes_nothing(pve):
    before = copy.deepcopy(pve.state["guests"])
    client = pve.client()
    outcome = engine.converge(client, TWO, allow_destroy=False, check=True)
    assert outcome.changed
    assert [c.to_dict()["action"] for c in outcome.changes] == ["create", "create"]
    diff = outcome.diff()
    assert diff["after"]["dc1"]["net0"] == "virtio,bridge=vmbr0,tag=20"
    assert diff["after"]["depot1"]["scsi1"] == "10G" and diff["after"]["pool site-0450050k"]
    assert client.calls.to_dict() == {"reads": 1, "writes": 0, "polls": 0}
    assert pve.state["guests"] == before and "pools" not in pve.state or not pve.state["pools"]


def test_converge_then_a_second_run_reads_once_per_guest_and_changes_nothing(pve):
    first = engine.converge(pve.client(), TWO, allow_destroy=False, check=False)
    applied = first.result()["applied"]
    assert first.changed and applied[0] == "pool site-0450050k created"
    assert applied[1] == "guest dc1 (VMID 2010): cloned from template 9000"
    assert applied[-1] == "guest depot1 (VMID 2020): scsi0 grown by 32G"  # 8G template → 40G
    dc1, depot1 = _vm(pve, 2010), _vm(pve, 2020)
    assert dc1["status"] == "running" and depot1["status"] == "stopped"
    assert dc1["config"]["net0"].endswith(",bridge=vmbr0,tag=20")
    assert dc1["config"]["memory"] == "4096" and dc1["config"]["tags"] == "fleet"
    assert "size=32G" in dc1["config"]["scsi0"] and "size=10G" in depot1["config"]["scsi1"]
    assert sorted(pve.state["pools"]["site-0450050k"]["vms"]) == [2010, 2020]
    client = pve.client()
    second = engine.converge(client, TWO, allow_destroy=False, check=False)
    assert not second.changed and second.result()["changes"] == []
    assert client.calls.to_dict() == {"reads": 3, "writes": 0, "polls": 0}
    assert client.calls.paths == ["GET cluster/resources", "GET nodes/pve1/qemu/2010/config",
                                  "GET nodes/pve1/qemu/2020/config"]  # fmt: skip


def test_hand_edits_are_named_by_guest_and_key_then_repaired(pve):
    engine.converge(pve.client(), TWO, allow_destroy=False, check=False)
    mac = _vm(pve, 2010)["config"]["net0"].split(",")[0]
    api = pve.other()
    vm = api.nodes("pve1").qemu(2010)
    vm.config.put(memory=2048, net0=f"{mac},bridge=vmbr0")  # memory changed, VLAN tag removed
    pve.wait(vm.status.stop.post())  # stopped by hand
    plan = engine.converge(pve.client(), TWO, allow_destroy=False, check=True)
    diff = plan.diff()
    assert diff["before"]["dc1"] == {"memory": 2048, "net0": "virtio,bridge=vmbr0",
                                     "status": "stopped"}  # fmt: skip
    assert diff["after"]["dc1"] == {"memory": 4096, "net0": "virtio,bridge=vmbr0,tag=20",
                                    "status": "running"}  # fmt: skip
    assert _vm(pve, 2010)["status"] == "stopped"  # check mode changed nothing
    engine.converge(pve.client(), TWO, allow_destroy=False, check=False)
    config = _vm(pve, 2010)["config"]
    assert config["net0"] == f"{mac},bridge=vmbr0,tag=20"  # the MAC address is kept
    assert config["memory"] == "4096" and _vm(pve, 2010)["status"] == "running"
    again = engine.converge(pve.client(), TWO, allow_destroy=False, check=False)
    assert not again.changed


def test_a_grown_disk_is_resized_with_plus_and_a_smaller_one_refuses_the_whole_plan(pve):
    engine.converge(pve.client(), TWO, allow_destroy=False, check=False)
    bigger = [guest(disks=[{"slot": "scsi0", "size_gb": 48}]), TWO[1]]
    client = pve.client()
    engine.converge(client, bigger, allow_destroy=False, check=False)
    assert "PUT nodes/pve1/qemu/2010/resize" in client.calls.paths
    assert "size=48G" in _vm(pve, 2010)["config"]["scsi0"]
    smaller = [guest(disks=[{"slot": "scsi0", "size_gb": 20}], cores=4), TWO[1]]
    client = pve.client()
    with pytest.raises(engine.PlanError) as refused:
        engine.converge(client, smaller, allow_destroy=False, check=False)
    assert str(refused.value) == (
        "guest dc1 (VMID 2010): disk scsi0 is 48G on the node and 20G in the registry: PVE "
        "cannot shrink a disk; set the registry to 48G or more"
    )
    assert client.calls.writes == 0 and _vm(pve, 2010)["config"]["cores"] == 2


def test_unmanaged_guests_are_reported_and_left_alone_stale_ones_kept_or_destroyed(pve):
    api = pve.other()
    pve.wait(api.nodes("pve1").qemu.post(vmid=500, name="handmade", memory=512))
    engine.converge(pve.client(), TWO, allow_destroy=False, check=False)
    kept = engine.converge(pve.client(), TWO[:1], allow_destroy=False, check=False)
    result = kept.result()
    assert result["unmanaged"] == ["qemu/500 handmade"]
    assert result["stale"] == ["depot1"] and result["changes"][0]["action"] == "kept"
    assert _vm(pve, 2020) is not None and _vm(pve, 500) is not None
    gone = engine.converge(pve.client(), TWO[:1], allow_destroy=True, check=False)
    assert gone.result()["changes"][0] == {"guest": "depot1", "vmid": 2020, "action": "destroy",
                                           "node": "pve1", "keys": ["status"]}  # fmt: skip
    assert _vm(pve, 2020) is None and _vm(pve, 500) is not None


def test_a_vmid_taken_by_another_unmanaged_guest_fails_before_any_write(pve):
    pve.wait(pve.other().nodes("pve1").qemu.post(vmid=2010, name="someone-else", memory=512))
    client = pve.client()
    with pytest.raises(engine.PlanError, match="VMID 2010 is taken by an unmanaged guest"):
        engine.converge(client, TWO, allow_destroy=False, check=False)
    assert client.calls.writes == 0


def test_an_unmanaged_guest_with_the_wanted_vmid_and_name_is_adopted(pve):
    pve.wait(pve.other().nodes("pve1").qemu.post(vmid=2010, name="dc1", memory=512, cores=1,
                                                 scsi0="local-lvm:32", net0="virtio,bridge=vmbr0"))  # fmt: skip
    outcome = engine.converge(pve.client(), TWO[:1], allow_destroy=False, check=False)
    assert outcome.diff()["after"]["dc1"]["tags"] == "fleet"
    assert not engine.converge(pve.client(), TWO[:1], allow_destroy=False, check=False).changed


def test_a_task_ending_in_error_fails_with_its_exit_status_and_what_was_done(pve):
    engine.converge(pve.client(), TWO[:1], allow_destroy=False, check=False)
    huge = [guest(disks=[{"slot": "scsi0", "size_gb": 5000}])]
    with pytest.raises(ApiError) as failed:
        engine.converge(pve.client(), huge, allow_destroy=False, check=False)
    assert "guest dc1 (VMID 2010): resize scsi0: task resize ended in error: no space left on " \
        "storage 'local-lvm'" in failed.value.message  # fmt: skip
    assert "done before the failure: nothing" in failed.value.message


def test_a_task_that_does_not_end_in_time_fails_with_a_timeout(pve):
    pve.device.state["settings"]["task_seconds"] = 30
    with pytest.raises(ApiError, match=r"still running after 0.3 s"):
        engine.converge(pve.client(task_timeout=0.3), TWO[:1], allow_destroy=False, check=False)


def test_an_api_error_is_the_apis_message(pve):
    pve.faults("all:error=500:method=GET:path=/api2/json/cluster/resources")
    with pytest.raises(ApiError, match=r"GET cluster/resources: Internal Server Error"):
        engine.converge(pve.client(), TWO, allow_destroy=False, check=True)
