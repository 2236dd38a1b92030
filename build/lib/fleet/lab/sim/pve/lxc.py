"""LXC containers: listing and creation (the two container endpoints of the reference)."""

from __future__ import annotations

import re
from typing import Any

from . import qemu, storage
from .auth import require
from .errors import ApiError

NOT_CONFIG = {
    "node", "vmid", "ostemplate", "password", "ssh-public-keys", "start", "storage", "restore",
    "force", "pool", "ignore-unpack-errors", "ha-managed", "bwlimit", "unique",
}  # fmt: skip
NEW_DISK = re.compile(r"^([a-z][a-z0-9\-_.]*[a-z0-9]):(\d+(?:\.\d+)?)(,.*)?$")


def _rootfs(ctx, vmid: int, value: str) -> tuple[str, int]:
    m = NEW_DISK.match(value)
    if not m:
        vol = storage.find_volume(ctx, value.split(",")[0])
        if vol is None:
            raise ApiError(f"volume '{value.split(',')[0]}' does not exist")
        return value, vol["size"]
    size = int(float(m.group(2)) * 1024**3)
    volid = storage.allocate(ctx, m.group(1), vmid, size, content="rootdir")
    return f"{volid}{m.group(3) or ''},size={storage.size_text(size)}", size


def summary(ctx, vmid: str, ct: dict[str, Any]) -> dict[str, Any]:
    config = ct["config"]
    running = ct["status"] == "running"
    m = re.search(r"size=([^,]+)", str(config.get("rootfs", "")))
    maxmem = int(config.get("memory", 512)) * 1024**2
    out = {
        "vmid": int(vmid),
        "type": "lxc",
        "status": ct["status"],
        "name": config.get("hostname", f"CT{vmid}"),
        "cpus": int(config.get("cores", 1)),
        "maxmem": maxmem,
        "maxswap": int(config.get("swap", 512)) * 1024**2,
        "maxdisk": storage.size_bytes(m.group(1)) if m else 0,
        "disk": 0,
        "mem": maxmem // 10 if running else 0,
        "cpu": 0,
        "uptime": int(ctx.now - ct["started"]) if running and ct["started"] else 0,
        "netin": 0,
        "netout": 0,
        "diskread": 0,
        "diskwrite": 0,
    }
    if config.get("template"):
        out["template"] = 1
    for key in ("tags", "lock"):
        if config.get(key):
            out[key] = config[key]
    return out


def list_cts(ctx, params):
    storage.ensure_node(ctx, params["node"])
    if not ctx.ident.superuser:
        return []
    return [
        summary(ctx, vmid, ct)
        for vmid, ct in sorted(ctx.state["guests"].items(), key=lambda kv: int(kv[0]))
        if ct["type"] == "lxc"
    ]


def create_ct(ctx, params):
    storage.ensure_node(ctx, params["node"])
    vmid = params["vmid"]
    require(ctx.ident, f"/vms/{vmid}", "VM.Allocate")
    if params.get("pool"):
        raise ApiError(f"pool '{params['pool']}' does not exist")
    if qemu.vmid_taken(ctx, vmid) and not params.get("force"):
        raise ApiError(f"CT {vmid} already exists on node '{ctx.node}'")
    template = params["ostemplate"]
    if ":" not in template or storage.find_volume(ctx, template) is None:
        raise ApiError(f"volume '{template}' does not exist")
    config = {k: v for k, v in params.items() if k not in NOT_CONFIG}
    rootfs = config.get("rootfs") or f"{params.get('storage', 'local')}:4"
    config["rootfs"], _ = _rootfs(ctx, vmid, str(rootfs))
    for key in sorted(config):
        if re.fullmatch(r"net\d+", key) and "hwaddr=" not in str(config[key]):
            config[key] = f"{config[key]},hwaddr={qemu.random_mac(ctx)}"
    config.setdefault("arch", "amd64")
    config.setdefault("ostype", "debian")
    config.setdefault("hostname", f"CT{vmid}")
    config["lock"] = "create"
    ctx.state["guests"][str(vmid)] = {
        "type": "lxc",
        "config": config,
        "pending": {},
        "pending_delete": [],
        "status": "stopped",
        "started": None,
        "pid": None,
    }
    kind = "vzrestore" if params.get("restore") else "vzcreate"
    effect = {"kind": "lxc.created", "vmid": vmid, "start": bool(params.get("start"))}
    return ctx.task(kind, str(vmid), effect, [f"extracting archive '{template}'"])


def created(ctx, effect):
    ct = ctx.state["guests"].get(str(effect["vmid"]))
    if ct is None:
        raise ApiError(f"CT {effect['vmid']} vanished during creation")
    ct["config"].pop("lock", None)
    if effect.get("start"):
        ct["status"], ct["started"] = "running", ctx.now
        ct["pid"] = 20000 + int.from_bytes(ctx.random_bytes(2), "big")
