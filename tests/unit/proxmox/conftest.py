"""Fixtures for the Proxmox reconcile tests: a simulated PVE node over real HTTPS (TLS verified
against its CA), a fleet `Client` for it, and the device itself to look at its state or to
stand in for a hand edit in the web UI (`other`: proxmoxer with the same token)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import proxmoxer
import pytest

from fleet.lab.sim import faults
from fleet.lab.sim.pve import PveFactory
from fleet.lab.sim.server import BackgroundSim, SimConfig
from fleet.proxmox.api import Client


@dataclass
class Node:
    sim: BackgroundSim
    doc: dict[str, Any]

    @property
    def device(self):
        return self.sim.server.slots[0].device

    @property
    def state(self) -> dict[str, Any]:
        return self.device.state

    def client(self, task_timeout: float = 30.0) -> Client:
        d = self.doc
        return Client(d["url"], d["token_id"], d["token_secret"], d["ca"], 10, task_timeout)

    def other(self):
        """Another client (the web UI, a colleague's script): proxmoxer, same node."""
        url = urlsplit(self.doc["url"])
        user, _, name = self.doc["token_id"].partition("!")
        return proxmoxer.ProxmoxAPI(url.hostname, port=url.port, user=user, token_name=name,
                                    token_value=self.doc["token_secret"], verify_ssl=self.doc["ca"],
                                    timeout=10)  # fmt: skip

    def wait(self, upid: str) -> dict:
        import time

        api = self.other()
        for _ in range(200):
            status = api.nodes("pve1").tasks(upid).status.get()
            if status["status"] == "stopped":
                return status
            time.sleep(0.02)
        raise AssertionError(f"task {upid} did not end")

    def faults(self, spec: str) -> None:
        self.sim.set_faults(spec)


@pytest.fixture(scope="session")
def pve_ca(tmp_path_factory):
    return tmp_path_factory.mktemp("pve-ca")


@pytest.fixture
def pve(tmp_path, pve_ca):
    config = SimConfig(kind="pve", factory=PveFactory(task_seconds=0.02),
                       state_dir=tmp_path / "state", names=["0450050K"], port=0, ca_dir=pve_ca,
                       faults=faults.parse(""))  # fmt: skip
    with BackgroundSim(config) as sim:
        yield Node(sim, sim.doc["devices"][0])


def guest(name: str = "dc1", vmid: int = 2010, **extra: Any) -> dict[str, Any]:
    """A desired guest as the inventory gives it (fleet/registry/proxmox.py node_vars)."""
    base = {"name": name, "vmid": vmid, "node": "pve1", "clone": 9000, "storage": "local-lvm",
            "pool": "site-0450050k", "cores": 2, "memory_mb": 4096,
            "disks": [{"slot": "scsi0", "size_gb": 32}], "bridge": "vmbr0", "vlan_id": 20,
            "onboot": True, "agent": True, "state": "running", "description": "Samba AD",
            "ipconfig0": "ip=10.64.1.10/24,gw=10.64.1.1", "ciuser": "fleetadm",
            "sshkeys": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFleet fleetadm@region",
            "nameserver": "10.32.0.53", "searchdomain": "0450050k.lab.fleet.test"}  # fmt: skip
    return {**base, **extra}
