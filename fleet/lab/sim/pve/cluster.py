"""Version, nodes, node status, cluster resources, next free VMID, task status and log."""

from __future__ import annotations

from typing import Any

from . import lxc, pool_members, qemu, storage, tasks
from .context import Reply
from .errors import ApiError, ParamError
from .state import KERNEL, PVE_VERSION

NODE_CPUS = 16
NODE_MEM = 128 * 1024**3
ROOTFS = 96 * 1024**3


def version(ctx, params):
    return dict(PVE_VERSION)


def _node_row(ctx) -> dict[str, Any]:
    return {
        "node": ctx.node,
        "status": "online",
        "cpu": 0.042,
        "maxcpu": NODE_CPUS,
        "mem": _node_mem_used(ctx),
        "maxmem": NODE_MEM,
        "uptime": int(ctx.now - ctx.state["node"]["boot_time"]),
        "level": "",
        "ssl_fingerprint": ctx.state.get("ssl_fingerprint", ""),
    }


def _node_mem_used(ctx) -> int:
    base = 3 * 1024**3
    for vm in ctx.state["guests"].values():
        if vm["status"] == "running":
            base += qemu.memory_mib(vm["config"]) * 1024**2
    return min(base, NODE_MEM)


def nodes(ctx, params):
    row = _node_row(ctx)
    if not row["ssl_fingerprint"]:
        row.pop("ssl_fingerprint")
    return [row]


def node_status(ctx, params):
    storage.ensure_node(ctx, params["node"])
    used = _node_mem_used(ctx)
    return {
        "cpu": 0.042,
        "wait": 0.0,
        "uptime": int(ctx.now - ctx.state["node"]["boot_time"]),
        "loadavg": ["0.31", "0.27", "0.22"],
        "pveversion": f"pve-manager/{PVE_VERSION['version']}/{PVE_VERSION['repoid']}",
        "kversion": f"Linux {KERNEL} #1 SMP PREEMPT_DYNAMIC PMX {KERNEL} x86_64",
        "current-kernel": {
            "sysname": "Linux",
            "release": KERNEL,
            "version": f"#1 SMP PREEMPT_DYNAMIC PMX {KERNEL}",
            "machine": "x86_64",
        },
        "boot-info": {"mode": "efi", "secureboot": 0},
        "cpuinfo": {
            "model": "Intel(R) Xeon(R) Silver 4310 CPU @ 2.10GHz",
            "cpus": NODE_CPUS,
            "sockets": 1,
            "cores": 8,
            "mhz": "2100.000",
            "hvm": "1",
            "flags": "fpu vme de pse tsc msr pae mce cx8 apic sep vmx",
            "user_hz": 100,
        },
        "memory": {"total": NODE_MEM, "used": used, "free": NODE_MEM - used, "available": NODE_MEM - used},
        "swap": {"total": 8 * 1024**3, "used": 0, "free": 8 * 1024**3},
        "rootfs": {"total": ROOTFS, "used": 6 * 1024**3, "free": ROOTFS - 6 * 1024**3, "avail": ROOTFS - 7 * 1024**3},
        "ksm": {"shared": 0},
    }  # fmt: skip


def resources(ctx, params):
    kind = params.get("type")
    out = []
    if kind in (None, "node"):
        row = _node_row(ctx)
        out.append(
            {
                "id": f"node/{ctx.node}",
                "type": "node",
                "node": ctx.node,
                "status": "online",
                "cpu": row["cpu"],
                "maxcpu": NODE_CPUS,
                "mem": row["mem"],
                "maxmem": NODE_MEM,
                "disk": 6 * 1024**3,
                "maxdisk": ROOTFS,
                "uptime": row["uptime"],
                "level": "",
                "cgroup-mode": 2,
            }
        )
    if kind in (None, "vm") and ctx.ident and ctx.ident.superuser:
        for vmid, vm in sorted(ctx.state["guests"].items(), key=lambda kv: int(kv[0])):
            if vm["type"] == "lxc":
                summary = lxc.summary(ctx, vmid, vm)
            else:
                summary = qemu.vm_summary(ctx, vmid, vm)
            entry = {
                "id": f"{vm['type']}/{vmid}",
                "type": vm["type"],
                "vmid": int(vmid),
                "node": ctx.node,
                "name": summary["name"],
                "status": summary["status"],
                "template": summary.get("template", 0),
                "cpu": summary["cpu"],
                "maxcpu": summary["cpus"],
                "mem": summary["mem"],
                "maxmem": summary["maxmem"],
                "disk": 0,
                "maxdisk": summary["maxdisk"],
                "uptime": summary["uptime"],
                "netin": 0,
                "netout": 0,
                "diskread": 0,
                "diskwrite": 0,
            }
            for key in ("tags", "lock"):
                if key in summary:
                    entry[key] = summary[key]
            pool = pool_members.pool_of(ctx, int(vmid))
            if pool:
                entry["pool"] = pool
            out.append(entry)
    if kind in (None, "storage"):
        out += storage.resources(ctx)
    if kind is None:
        for poolid, pool in sorted(ctx.state.get("pools", {}).items()):
            row = {"id": f"/pool/{poolid}", "type": "pool", "pool": poolid}
            if pool.get("comment"):
                row["comment"] = pool["comment"]
            out.append(row)
    if kind in (None, "sdn"):
        out.append(
            {
                "id": f"sdn/{ctx.node}/localnetwork",
                "type": "sdn",
                "sdn": "localnetwork",
                "node": ctx.node,
                "status": "ok",
            }
        )
    return out


def nextid(ctx, params):
    used = {int(v) for v in ctx.state["guests"]}
    if "vmid" in params:
        if params["vmid"] in used:
            raise ParamError({"vmid": f"VM {params['vmid']} already exists"})
        return str(params["vmid"])
    vmid = 100
    while vmid in used:
        vmid += 1
    return str(vmid)


def _task(ctx, params) -> dict[str, Any]:
    storage.ensure_node(ctx, params["node"])
    upid = params["upid"]
    info = tasks.parse_upid(upid)
    if info is None:
        raise ApiError(f"unable to parse worker upid '{upid}'")
    task = ctx.state["tasks"].get(upid)
    if task is None:
        raise ApiError(f"no such task '{upid}'")
    user = ctx.ident.name if ctx.ident else ""
    if not ctx.ident.superuser and info["user"] != user:
        raise ApiError(f"Permission check failed (/nodes/{ctx.node}, Sys.Audit)", 403)
    return task


def task_status(ctx, params):
    return tasks.status(params["upid"], _task(ctx, params))


def task_log(ctx, params):
    task = _task(ctx, params)
    lines = [{"n": i + 1, "t": t} for i, t in enumerate(task["log"] or ["no content"])]
    start, limit = params.get("start", 0), params.get("limit", 50)
    return Reply(lines[start : start + limit], {"total": len(lines)})
