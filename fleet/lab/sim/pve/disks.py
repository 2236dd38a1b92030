"""Disk resize (an async `resize` task whose refusals show as its exit status) and the pending
view of a guest's configuration."""

from __future__ import annotations

import re

from . import storage
from .formats import parse_property_string, print_property_string
from .qemu import DRIVE, digest, get_vm
from .schema import load

SIZE = re.compile(r"^(\+)?(\d+(?:\.\d+)?)([KMGT])?$")


def resize_vm(ctx, params):
    vmid, disk = params["vmid"], params["disk"]
    vm = get_vm(ctx, params["node"], vmid)
    m = SIZE.match(params["size"])
    if not m:
        from .errors import ParamError

        raise ParamError({"size": "value does not match the regex pattern"})
    error, effect = None, None
    value = vm["config"].get(disk)
    if params.get("digest") and params["digest"] != digest(vm):
        error = "checksum mismatch (file change by other user?)"
    elif vm["config"].get("lock") and not params.get("skiplock"):
        error = f"VM is locked ({vm['config']['lock']})"
    elif value is None or not DRIVE.match(disk):
        error = f"disk '{disk}' does not exist"
    elif "media=cdrom" in str(value):
        error = "you can't resize a cdrom"
    else:
        data = parse_property_string(load().qemu_spec(disk)["format"], str(value))
        vol = storage.find_volume(ctx, str(data["file"]))
        current = vol["size"] if vol else storage.size_bytes(str(data.get("size", "0")))
        amount = float(m.group(2)) * (storage.UNITS[m.group(3)] if m.group(3) else 1)
        new = int(current + amount) if m.group(1) else int(amount)
        if new < current:
            error = "shrinking disks is not supported"
        elif new > current:
            sid = storage.split_volid(str(data["file"]))[0]
            if storage.used(ctx, sid) + new - current > storage.storage_cfg(ctx, sid)["total"]:
                error = f"no space left on storage '{sid}'"
            else:
                effect = {"kind": "qemu.resized", "vmid": vmid, "disk": disk, "size": new}
    return ctx.task("resize", str(vmid), effect, error=error)


def resized(ctx, effect):
    vm = ctx.state["guests"].get(str(effect["vmid"]))
    if vm is None:
        return
    disk = effect["disk"]
    fmt = load().qemu_spec(disk)["format"]
    data = parse_property_string(fmt, str(vm["config"][disk]))
    vol = storage.find_volume(ctx, str(data["file"]))
    if vol is not None:
        vol["size"] = effect["size"]
    data["size"] = storage.size_text(effect["size"])
    vm["config"][disk] = print_property_string(fmt, data)


def pending(ctx, params):
    vm = get_vm(ctx, params["node"], params["vmid"])
    rows = []
    keys = set(vm["config"]) | set(vm["pending"]) | set(vm["pending_delete"])
    for key in sorted(keys):
        row: dict[str, object] = {"key": key}
        if key in vm["config"]:
            row["value"] = str(vm["config"][key])
        if key in vm["pending"]:
            row["pending"] = str(vm["pending"][key])
        if key in vm["pending_delete"]:
            row["delete"] = 1
        rows.append(row)
    rows.append({"key": "digest", "value": digest(vm)})
    return rows
