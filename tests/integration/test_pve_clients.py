"""Real, unchanged clients against the PVE simulator over HTTPS with TLS verification on:
proxmoxer through a whole guest life cycle, and the community.proxmox Ansible modules in a
real ansible-playbook run (second run of the same proxmox_kvm task: changed=false)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import proxmoxer
import pytest

from fleet.lab.sim.pve import PveFactory
from fleet.lab.sim.server import BackgroundSim, SimConfig

VENV_BIN = Path(sys.executable).parent


@pytest.fixture
def pve(tmp_path):
    config = SimConfig(
        kind="pve",
        factory=PveFactory(task_seconds=0.3),
        state_dir=tmp_path / "state",
        names=["pve-001"],
        port=0,
    )
    with BackgroundSim(config) as sim:
        yield sim.doc["devices"][0]


def _api(dev, **auth):
    url = urlsplit(dev["url"])
    return proxmoxer.ProxmoxAPI(
        url.hostname, port=url.port, verify_ssl=dev["ca"], timeout=10, **auth
    )


def _wait(api, node, upid):
    for _ in range(100):
        status = api.nodes(node).tasks(upid).status.get()
        if status["status"] == "stopped":
            return status
        time.sleep(0.1)
    raise AssertionError(f"task {upid} did not finish")


def test_proxmoxer_guest_life_cycle(pve):
    token = pve["token_id"].split("!")[1]
    api = _api(pve, user="root@pam", token_name=token, token_value=pve["token_secret"])
    node = api.nodes.get()[0]["node"]
    vmid = int(api.cluster.nextid.get())

    upid = api.nodes(node).qemu.post(
        vmid=vmid, name="web1", memory=2048, cores=2,
        net0="virtio,bridge=vmbr0,firewall=1", scsi0="local-lvm:32",
        scsihw="virtio-scsi-single",
    )  # fmt: skip
    assert upid.startswith(f"UPID:{node}:") and f":qmcreate:{vmid}:root@pam!{token}:" in upid
    assert _wait(api, node, upid)["exitstatus"] == "OK"

    config = api.nodes(node).qemu(vmid).config.get()
    assert config["scsi0"] == f"local-lvm:vm-{vmid}-disk-0,size=32G"
    assert config["net0"].startswith("virtio=BC:24:11:") and config["net0"].endswith(
        ",bridge=vmbr0,firewall=1"
    )
    assert config["cores"] == 2 and config["memory"] == "2048"

    # a change with the digest just read succeeds; replaying the stale digest is refused
    api.nodes(node).qemu(vmid).config.put(cores=4, digest=config["digest"])
    with pytest.raises(proxmoxer.ResourceException) as stale:
        api.nodes(node).qemu(vmid).config.put(cores=8, digest=config["digest"])
    assert stale.value.status_code == 500
    assert "detected modified configuration" in str(stale.value)
    assert api.nodes(node).qemu(vmid).config.get()["cores"] == 4

    upid = api.nodes(node).qemu(vmid).status.start.post()
    assert _wait(api, node, upid)["exitstatus"] == "OK"
    assert api.nodes(node).qemu(vmid).status.current.get()["status"] == "running"

    newid = int(api.cluster.nextid.get())
    upid = api.nodes(node).qemu(vmid).clone.post(newid=newid, name="web2")
    assert _wait(api, node, upid)["exitstatus"] == "OK"
    clone = api.nodes(node).qemu(newid).config.get()
    assert clone["name"] == "web2"
    assert clone["scsi0"] == f"local-lvm:vm-{newid}-disk-0,size=32G"
    assert clone["net0"] != config["net0"]  # a clone gets its own MAC address

    upid = api.nodes(node).qemu(vmid).status.stop.post()
    assert _wait(api, node, upid)["exitstatus"] == "OK"
    for guest in (vmid, newid):
        upid = api.nodes(node).qemu(guest).delete()
        assert _wait(api, node, upid)["exitstatus"] == "OK"
    vms = {vm["vmid"] for vm in api.cluster.resources.get(type="vm")}
    assert vmid not in vms and newid not in vms
    volumes = {v["volid"] for v in api.nodes(node).storage("local-lvm").content.get()}
    assert not any(f"vm-{vmid}-" in v or f"vm-{newid}-" in v for v in volumes)


def test_proxmoxer_ticket_login_and_validation_errors(pve):
    api = _api(pve, user=pve["username"], password=pve["password"])
    assert api.version.get()["version"].startswith("9.")
    # a write with ticket auth carries the CSRF token proxmoxer got at login
    api.access.users.post(userid="alice@pve", comment="lab")
    assert "alice@pve" in [u["userid"] for u in api.access.users.get()]
    with pytest.raises(proxmoxer.ResourceException) as bad:
        api.nodes("pve1").qemu.post(vmid="abc", bogus=1)
    assert bad.value.status_code == 400
    assert bad.value.errors == {
        "vmid": "type check ('integer') failed - got 'abc'",
        "bogus": "property is not defined in schema and the schema does not allow "
        "additional properties",
    }
    with pytest.raises(proxmoxer.AuthenticationError):
        _api(pve, user="root@pam", password="wrong")


PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  module_defaults:
    group/community.proxmox.proxmox:
      api_host: "{host}"
      api_port: {port}
      api_user: root@pam
      api_token_id: "{token}"
      api_token_secret: "{{{{ lookup('env', 'PVE_TOKEN_SECRET') }}}}"
      validate_certs: true
  tasks:
    - name: guest exists
      community.proxmox.proxmox_kvm:
        node: pve1
        name: dc1
        memory: 2048
        cores: 2
        net:
          net0: virtio,bridge=vmbr0
        scsi:
          scsi0: local-lvm:16
        timeout: 20
      register: created
    - name: guest running
      community.proxmox.proxmox_kvm:
        node: pve1
        name: dc1
        state: started
        timeout: 20
      register: started
    - name: node info
      community.proxmox.proxmox_node_info:
      register: nodes
    - name: vm info
      community.proxmox.proxmox_vm_info:
        name: dc1
        config: current
      register: vms
    - name: results
      ansible.builtin.copy:
        dest: "{out}"
        content: "{{{{ {{'created': created, 'started': started, 'nodes': nodes, 'vms': vms}}
          | to_json }}}}"
        mode: "0600"
"""


def _playbook(tmp_path, dev, out):
    url = urlsplit(dev["url"])
    book = tmp_path / "play.yml"
    book.write_text(
        PLAYBOOK.format(
            host=url.hostname, port=url.port, token=dev["token_id"].split("!")[1], out=out
        )
    )
    env = {
        **os.environ,
        "PVE_TOKEN_SECRET": dev["token_secret"],
        "REQUESTS_CA_BUNDLE": dev["ca"],
        "ANSIBLE_HOME": str(tmp_path / "ansible-home"),
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-tmp"),
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        "ANSIBLE_NOCOLOR": "1",
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}",
    }
    proc = subprocess.run(
        [str(VENV_BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local", str(book)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(Path(out).read_text())


def test_community_proxmox_modules_are_idempotent(pve, tmp_path):
    first = _playbook(tmp_path, pve, tmp_path / "first.json")
    assert first["created"]["changed"] is True
    vmid = first["created"]["vmid"]
    assert first["created"]["mac"]["net0"].startswith("BC:24:11:")
    assert first["created"]["devices"]["scsi0"] == f"local-lvm:vm-{vmid}-disk-0"
    assert [n["node"] for n in first["nodes"]["proxmox_nodes"]] == ["pve1"]
    [vm] = first["vms"]["proxmox_vms"]
    assert first["started"]["changed"] is True
    assert vm["vmid"] == vmid and vm["status"] == "running"
    assert vm["config"]["scsi0"] == f"local-lvm:vm-{vmid}-disk-0,size=16G"

    second = _playbook(tmp_path, pve, tmp_path / "second.json")
    assert second["created"]["changed"] is False
    assert second["created"]["vmid"] == vmid
    assert second["started"]["changed"] is False  # "VM … is already running"


@pytest.fixture
def pve_pair(tmp_path):
    config = SimConfig(
        kind="pve",
        factory=PveFactory(task_seconds=0.3),
        state_dir=tmp_path / "pair",
        names=["pve-001", "pve-002"],
        port=0,
    )
    with BackgroundSim(config) as sim:
        yield sim


def _token_api(dev, timeout=10):
    url = urlsplit(dev["url"])
    return proxmoxer.ProxmoxAPI(
        url.hostname,
        port=url.port,
        verify_ssl=dev["ca"],
        timeout=timeout,
        user="root@pam",
        token_name=dev["token_id"].split("!")[1],
        token_value=dev["token_secret"],
    )


def test_proxmoxer_sees_each_fault_and_the_other_device_never_does(pve_pair):
    """What proxmoxer (through requests) raises for each fault kind on pve-001, while pve-002
    in the same process keeps answering."""
    import requests

    faulty, healthy = pve_pair.doc["devices"]
    other = _token_api(healthy)
    symptoms = {
        "error=503": (proxmoxer.ResourceException, "503 Service Unavailable"),
        "error=500:method=POST": (proxmoxer.ResourceException, "500 Internal Server Error"),
        "hang": (requests.exceptions.ReadTimeout, ""),
        "latency=3s": (requests.exceptions.ReadTimeout, ""),
        "drop": (requests.exceptions.ConnectionError, ""),
        "down": (requests.exceptions.ConnectionError, "refused"),
    }
    for fault, (raised, text) in symptoms.items():
        pve_pair.set_faults(f"dev={faulty['name']}:{fault}")
        api = _token_api(faulty, timeout=1)
        with pytest.raises(raised) as caught:
            if "POST" in fault:
                api.access.users.post(userid="carol@pve")
            else:
                api.version.get()
        assert text in str(caught.value), (fault, caught.value)
        assert other.version.get()["version"].startswith("9."), fault
    pve_pair.set_faults("")
    api = _token_api(faulty)
    # the refused write changed nothing; the device answers again
    assert "carol@pve" not in [u["userid"] for u in api.access.users.get()]
    assert api.version.get()["version"].startswith("9.")
