"""A fresh node's state: one node, storages local and local-lvm, bridge vmbr0, root@pam with an
API token, a Debian cloud-init template VM. Everything is plain JSON data (the snapshot)."""

from __future__ import annotations

import random
import uuid
from typing import Any

STATE_VERSION = 1
PVE_VERSION = {"version": "9.1.3", "release": "9.1", "repoid": "0a6d9b1f"}
QEMU_VERSION = "10.1.2"
KERNEL = "6.17.2-1-pve"
MAC_PREFIX = "BC:24:11"  # Proxmox's OUI, the default mac_prefix since PVE 8.1

GIB = 1024**3


def seeded_uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def initial_state(name: str, index: int, seed: int, now: float, task_seconds: float):
    rng = random.Random(f"pve:{seed}:{name}")
    node = "pve1"
    mac = f"{MAC_PREFIX}:{rng.randrange(256):02X}:{rng.randrange(256):02X}:{rng.randrange(256):02X}"
    template_cfg: dict[str, Any] = {
        "name": "debian-12-cloud",
        "memory": "2048",
        "cores": 2,
        "sockets": 1,
        "cpu": "x86-64-v2-AES",
        "ostype": "l26",
        "scsihw": "virtio-scsi-single",
        "scsi0": "local-lvm:base-9000-disk-0,iothread=1,size=8G",
        "ide2": "local-lvm:vm-9000-cloudinit,media=cdrom",
        "net0": f"virtio={mac},bridge=vmbr0",
        "boot": "order=scsi0",
        "serial0": "socket",
        "vga": "serial0",
        "agent": "1",
        "template": 1,
        "smbios1": f"uuid={seeded_uuid(rng)}",
        "vmgenid": seeded_uuid(rng),
        "meta": f"creation-qemu={QEMU_VERSION},ctime={int(now)}",
    }
    return {
        "version": STATE_VERSION,
        "settings": {"task_seconds": task_seconds},
        "secret": rng.getrandbits(128).to_bytes(16, "big").hex(),
        "node": {"name": node, "boot_time": now - 86400 - index * 60, "ip": "10.0.0.10"},
        "next_pid": 4000 + rng.randrange(100000),
        "storages": {
            "local": {
                "type": "dir",
                "path": "/var/lib/vz",
                "content": "backup,iso,vztmpl",
                "shared": 0,
                "total": 100 * GIB,
            },
            "local-lvm": {
                "type": "lvmthin",
                "thinpool": "data",
                "vgname": "pve",
                "content": "images,rootdir",
                "shared": 0,
                "total": 800 * GIB,
            },
        },
        "volumes": {
            "local": {
                "iso/debian-12.8.0-amd64-netinst.iso": {
                    "content": "iso",
                    "format": "iso",
                    "size": 661651456,
                    "ctime": int(now) - 3600,
                },
                "vztmpl/debian-12-standard_12.7-1_amd64.tar.zst": {
                    "content": "vztmpl",
                    "format": "tzst",
                    "size": 126352531,
                    "ctime": int(now) - 3600,
                },
            },
            "local-lvm": {
                "base-9000-disk-0": {
                    "content": "images",
                    "format": "raw",
                    "size": 8 * GIB,
                    "vmid": 9000,
                    "ctime": int(now) - 3600,
                },
                "vm-9000-cloudinit": {
                    "content": "images",
                    "format": "raw",
                    "size": 4 * 1024**2,
                    "vmid": 9000,
                    "ctime": int(now) - 3600,
                },
            },
        },
        "guests": {
            "9000": {
                "type": "qemu",
                "config": template_cfg,
                "pending": {},
                "pending_delete": [],
                "status": "stopped",
                "started": None,
                "pid": None,
            }
        },
        "network": {
            "active": {
                "eno1": {"type": "eth", "method": "manual", "autostart": 0, "families": ["inet"]},
                "vmbr0": {
                    "type": "bridge",
                    "method": "static",
                    "autostart": 1,
                    "families": ["inet"],
                    "cidr": "10.0.0.10/24",
                    "address": "10.0.0.10",
                    "netmask": "24",
                    "gateway": "10.0.0.1",
                    "bridge_ports": "eno1",
                    "bridge_stp": "off",
                    "bridge_fd": "0",
                },
            },
            "pending": None,
        },
        "users": {
            "root@pam": {
                "enable": 1,
                "expire": 0,
                "email": "root@localhost",
                "comment": "",
                "password": seeded_uuid(rng).replace("-", "")[:20],
                "tokens": {
                    "fleet": {
                        "secret": seeded_uuid(rng),
                        "privsep": 0,
                        "expire": 0,
                        "comment": "fleet automation",
                    }
                },
            }
        },
        "tasks": {},
    }
