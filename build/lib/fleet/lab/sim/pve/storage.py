"""Storages and volumes: allocation for `STORAGE:SIZE` disks, listing, content."""

from __future__ import annotations

import re
from typing import Any

from .errors import ApiError
from .formats import split_list

UNITS = {"K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}


def size_bytes(text: str) -> int:
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([KMGT])?", text)
    if not m:
        raise ApiError(f"disk size '{text}' is not valid")
    return int(float(m.group(1)) * UNITS[m.group(2) or "G"]) if m.group(2) else int(m.group(1))


def size_text(n: int) -> str:
    """PVE's format_size: the largest unit that divides exactly."""
    for unit in ("T", "G", "M", "K"):
        if n and n % UNITS[unit] == 0:
            return f"{n // UNITS[unit]}{unit}"
    return str(n)


def split_volid(volid: str) -> tuple[str, str]:
    storage, sep, name = volid.partition(":")
    if not sep or not name:
        raise ApiError(f"unable to parse volume ID '{volid}'")
    return storage, name


def storage_cfg(ctx, storage: str) -> dict[str, Any]:
    cfg = ctx.state["storages"].get(storage)
    if cfg is None:
        raise ApiError(f"storage '{storage}' does not exist")
    return cfg


def find_volume(ctx, volid: str) -> dict[str, Any] | None:
    storage, name = split_volid(volid)
    return ctx.state["volumes"].get(storage, {}).get(name)


def allocate(
    ctx, storage: str, vmid: int, size: int, parent: str | None = None, content: str = "images"
) -> str:
    """Create vm-<vmid>-disk-<n> (lowest free n) and return its volid."""
    cfg = storage_cfg(ctx, storage)
    if content not in split_list(cfg["content"]):
        if content == "rootdir":
            raise ApiError(f"storage '{storage}' does not support container directories")
        raise ApiError(f"storage '{storage}' does not support vm images")
    vols = ctx.state["volumes"].setdefault(storage, {})
    if used(ctx, storage) + size > cfg["total"]:
        raise ApiError(f"no space left on storage '{storage}'")
    n = 0
    while any(name.endswith(f"vm-{vmid}-disk-{n}") for name in vols):
        n += 1
    name = f"vm-{vmid}-disk-{n}"
    if parent:
        name = f"{parent}/{name}"
    vols[name] = {
        "content": content,
        "format": "raw",
        "size": size,
        "vmid": vmid,
        "ctime": int(ctx.now),
    }
    return f"{storage}:{name}"


def free(ctx, volid: str) -> None:
    storage, name = split_volid(volid)
    ctx.state["volumes"].get(storage, {}).pop(name, None)


def used(ctx, storage: str) -> int:
    return sum(v["size"] for v in ctx.state["volumes"].get(storage, {}).values())


def _entry(ctx, storage: str, cfg: dict[str, Any]) -> dict[str, Any]:
    total = cfg["total"]
    taken = used(ctx, storage) + (2 * 1024**3 if cfg["type"] == "dir" else 0)
    return {
        "storage": storage,
        "type": cfg["type"],
        "content": cfg["content"],
        "active": 1,
        "enabled": 1,
        "shared": cfg.get("shared", 0),
        "total": total,
        "used": taken,
        "avail": total - taken,
        "used_fraction": taken / total if total else 0,
    }


def list_storages(ctx, params: dict[str, Any]) -> list[dict[str, Any]]:
    ensure_node(ctx, params["node"])
    out = []
    wanted = set(split_list(params["content"])) if params.get("content") else None
    for storage, cfg in sorted(ctx.state["storages"].items()):
        if params.get("storage") and params["storage"] != storage:
            continue
        if wanted and not wanted & set(split_list(cfg["content"])):
            continue
        if params.get("format") and "images" not in split_list(cfg["content"]):
            continue
        entry = _entry(ctx, storage, cfg)
        if params.get("format"):
            entry["format"] = {"raw": 1}
        out.append(entry)
    if params.get("storage") and not out and params["storage"] not in ctx.state["storages"]:
        raise ApiError(f"storage '{params['storage']}' does not exist")
    return out


def list_content(ctx, params: dict[str, Any]) -> list[dict[str, Any]]:
    ensure_node(ctx, params["node"])
    storage = params["storage"]
    storage_cfg(ctx, storage)
    out = []
    for name, vol in sorted(ctx.state["volumes"].get(storage, {}).items()):
        if params.get("content") and vol["content"] != params["content"]:
            continue
        if params.get("vmid") and vol.get("vmid") != params["vmid"]:
            continue
        entry = {
            "volid": f"{storage}:{name}",
            "content": vol["content"],
            "format": vol["format"],
            "size": vol["size"],
            "ctime": vol.get("ctime", 0),
        }
        if "vmid" in vol:
            entry["vmid"] = vol["vmid"]
        if "/" in name and name.startswith("base-"):
            entry["parent"] = name.split("/", 1)[0]
        out.append(entry)
    return out


def ensure_node(ctx, node: str) -> None:
    if node != ctx.node:
        raise ApiError(f"no such cluster node '{node}'")


def resources(ctx) -> list[dict[str, Any]]:
    out = []
    for storage, cfg in sorted(ctx.state["storages"].items()):
        entry = _entry(ctx, storage, cfg)
        out.append(
            {
                "id": f"storage/{ctx.node}/{storage}",
                "type": "storage",
                "storage": storage,
                "node": ctx.node,
                "status": "available",
                "plugintype": cfg["type"],
                "content": cfg["content"],
                "shared": cfg.get("shared", 0),
                "disk": entry["used"],
                "maxdisk": entry["total"],
            }
        )
    return out
