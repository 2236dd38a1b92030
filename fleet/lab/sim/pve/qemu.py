"""QEMU guests: config (normalised like qemu-server writes it), create, clone, power, destroy.

Config values are stored the way a real node keeps them in `<vmid>.conf` and returns them from
GET config: property strings re-printed in canonical order (default key first, then sorted),
`STORAGE:SIZE` disks turned into allocated volumes with `size=`, NICs given a MAC address,
booleans as 0/1, integers as numbers.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from . import pool_members, storage
from .auth import require
from .errors import ApiError, ParamError
from .formats import parse_property_string, print_property_string, split_list
from .schema import load
from .state import MAC_PREFIX, QEMU_VERSION

DRIVE = re.compile(r"^(ide|sata|scsi|virtio)\d+$|^efidisk0$|^tpmstate0$")
UNUSED = re.compile(r"^unused(\d+)$")
NET = re.compile(r"^net\d+$")
NEW_DISK = re.compile(r"^([a-z][a-z0-9\-_.]*[a-z0-9]):(\d+(?:\.\d+)?)$")
# Options a running VM takes at once; the rest wait in [PENDING] until the next stop.
HOT = {
    "name",
    "description",
    "onboot",
    "protection",
    "tags",
    "startup",
    "lock",
    "hotplug",
    "shares",
    "vmstatestorage",
    "hookscript",
}
CONF_PARAMS = {"node", "vmid", "digest", "delete", "revert", "skiplock", "force"}
CONF_PARAMS |= {"background_delay", "import-working-storage"}
CREATE_PARAMS = {"node", "vmid", "archive", "bwlimit", "force", "ha-managed", "live-restore"}
CREATE_PARAMS |= {"pool", "start", "storage", "unique", "import-working-storage"}


def conf_path(ctx, vmid: int) -> str:
    return f"nodes/{ctx.node}/qemu-server/{vmid}.conf"


def get_vm(ctx, node: str, vmid: int) -> dict[str, Any]:
    storage.ensure_node(ctx, node)
    vm = ctx.state["guests"].get(str(vmid))
    if vm is None or vm["type"] != "qemu":
        raise ApiError(f"Configuration file '{conf_path(ctx, vmid)}' does not exist")
    return vm


def check_lock(vm: dict[str, Any], skiplock: Any = None) -> None:
    lock = vm["config"].get("lock")
    if lock and not skiplock:
        raise ApiError(f"VM is locked ({lock})")


def random_mac(ctx) -> str:
    tail = ctx.random_bytes(3)
    return MAC_PREFIX + "".join(f":{b:02X}" for b in tail)


# --- config normalisation ----------------------------------------------------------------


def _drive(ctx, vmid: int, key: str, value: str, fmt: dict[str, Any], default_storage=None):
    data = parse_property_string(fmt, value)
    file = str(data.get("file", ""))
    is_ci = file.endswith(":cloudinit")
    if (data.get("media") == "cdrom" and not is_ci) or file in ("none", "cdrom"):
        if file not in ("none", "cdrom") and ":" in file and storage.find_volume(ctx, file) is None:
            raise ApiError(f"volume '{file}' does not exist")
        return print_property_string(fmt, data)
    if "import-from" in data:
        raise ApiError("import-from is not supported by this simulator")
    cloudinit = re.fullmatch(r"([a-z][a-z0-9\-_.]*[a-z0-9]):cloudinit", file)
    if cloudinit:
        store = cloudinit.group(1)
        storage.storage_cfg(ctx, store)
        name = f"vm-{vmid}-cloudinit"
        ctx.state["volumes"].setdefault(store, {})[name] = {
            "content": "images", "format": "raw", "size": 4 * 1024**2, "vmid": vmid,
            "ctime": int(ctx.now),
        }  # fmt: skip
        return print_property_string(fmt, {**data, "file": f"{store}:{name}", "media": "cdrom"})
    m = NEW_DISK.match(file)
    if m:
        store, amount = m.group(1), float(m.group(2))
        if key == "efidisk0":
            size = 4 * 1024**2 if data.get("efitype") == "4m" else 528 * 1024
        elif key == "tpmstate0":
            size = 4 * 1024**2
        else:
            size = int(amount * 1024**3)
        data["file"] = storage.allocate(ctx, store, vmid, size)
        data["size"] = storage.size_text(size)
        data.pop("import-from", None)
        return print_property_string(fmt, data)
    if file.startswith("/"):
        return print_property_string(fmt, data)
    vol = storage.find_volume(ctx, file)
    if vol is None:
        raise ApiError(f"volume '{file}' does not exist")
    data["size"] = storage.size_text(vol["size"])
    return print_property_string(fmt, data)


def normalise(ctx, vmid: int, key: str, value: Any) -> Any:
    """The value as the node stores and returns it."""
    spec = load().qemu_spec(key) or {}
    fmt = spec.get("format")
    if spec.get("type") in ("integer", "number", "boolean"):
        return value
    value = str(value)
    if DRIVE.match(key) and isinstance(fmt, dict):
        return _drive(ctx, vmid, key, value, fmt)
    if NET.match(key) and isinstance(fmt, dict):
        data = parse_property_string(fmt, value)
        data.setdefault("macaddr", random_mac(ctx))
        model, mac = data.pop("model"), data.pop("macaddr")
        rest = print_property_string({}, data)
        return f"{model}={str(mac).upper()}" + (f",{rest}" if rest else "")
    if key == "tags":
        return ";".join(sorted(set(split_list(value))))
    if isinstance(fmt, dict):
        return print_property_string(fmt, parse_property_string(fmt, value))
    return value


def digest(vm: dict[str, Any]) -> str:
    """SHA1 of the config file text (current section, then [PENDING])."""
    lines = [f"{k}: {v}" for k, v in sorted(vm["config"].items())]
    if vm.get("pending") or vm.get("pending_delete"):
        lines.append("[PENDING]")
        lines += [f"{k}: {v}" for k, v in sorted(vm["pending"].items())]
        if vm.get("pending_delete"):
            lines.append(f"delete: {','.join(vm['pending_delete'])}")
    return hashlib.sha1(("\n".join(lines) + "\n").encode()).hexdigest()


def _volumes_of(value: Any) -> list[str]:
    text = str(value)
    first = text.split(",", 1)[0]
    if ":" in first and "media=cdrom" not in text:
        return [first]
    return []


def _next_unused(config: dict[str, Any]) -> str:
    n = 0
    while f"unused{n}" in config:
        n += 1
    return f"unused{n}"


def _drop_key(ctx, vm: dict[str, Any], key: str, force: bool) -> None:
    """Delete a key now; a disk's volume becomes unusedN (or is freed with force)."""
    config = vm["config"]
    old = config.pop(key, None)
    if old is None:
        return
    if UNUSED.match(key):
        for volid in _volumes_of(old):
            storage.free(ctx, volid)
    elif DRIVE.match(key):
        for volid in _volumes_of(old):
            if force:
                storage.free(ctx, volid)
            else:
                config[_next_unused(config)] = volid


def _replace_key(ctx, vm: dict[str, Any], key: str, value: Any) -> None:
    config = vm["config"]
    old = config.get(key)
    if old is not None and DRIVE.match(key):
        new_vols = set(_volumes_of(value))
        for volid in _volumes_of(old):
            if volid not in new_vols:
                config[_next_unused(config)] = volid
    config[key] = value


def _apply_pending(ctx, vm: dict[str, Any]) -> None:
    for key in vm.get("pending_delete", []):
        _drop_key(ctx, vm, key, force=False)
    for key, value in vm.get("pending", {}).items():
        _replace_key(ctx, vm, key, value)
    vm["pending"], vm["pending_delete"] = {}, []


def update_config(ctx, vm: dict[str, Any], vmid: int, params: dict[str, Any]) -> None:
    """The shared part of POST/PUT config (qemu-server update_vm_api)."""
    settings = {k: v for k, v in params.items() if k not in CONF_PARAMS}
    deletes = split_list(params.get("delete", ""))
    reverts = split_list(params.get("revert", ""))
    for opt in deletes:
        opt = "ide2" if opt == "cdrom" else opt
        if opt in settings:
            raise ParamError(
                {"delete": f"you can't use '-{opt}' and -delete {opt}' at the same time"}
            )
        if opt in reverts:
            raise ParamError(
                {"revert": f"you can't use '-delete {opt}' and '-revert {opt}' at the same time"}
            )
        if load().qemu_spec(opt) is None:
            raise ParamError({"delete": f"unknown option '{opt}'"})
    for opt in reverts:
        if opt in settings:
            raise ParamError(
                {"revert": f"you can't use '-{opt}' and '-revert {opt}' at the same time"}
            )
    if not settings and not deletes and not reverts:
        raise ApiError("no options specified")
    if params.get("digest") and params["digest"] != digest(vm):
        raise ApiError("detected modified configuration - file changed by other user? Try again.")
    check_lock(vm, params.get("skiplock"))
    running = vm["status"] == "running"
    for opt in reverts:
        vm["pending"].pop(opt, None)
        if opt in vm["pending_delete"]:
            vm["pending_delete"].remove(opt)
    for opt in deletes:
        opt = "ide2" if opt == "cdrom" else opt
        if opt not in vm["config"] and opt not in vm["pending"]:
            continue  # PVE only warns: "cannot delete '<opt>' - not set in current configuration!"
        vm["pending"].pop(opt, None)
        if running and opt not in HOT and not UNUSED.match(opt):
            if opt in vm["config"] and opt not in vm["pending_delete"]:
                vm["pending_delete"].append(opt)
        else:
            _drop_key(ctx, vm, opt, bool(params.get("force")))
    for key in sorted(settings):
        value = normalise(ctx, vmid, key, settings[key])
        if running and key not in HOT and not DRIVE.match(key) and not NET.match(key):
            if vm["config"].get(key) == value:
                vm["pending"].pop(key, None)
            else:
                vm["pending"][key] = value
            if key in vm["pending_delete"]:
                vm["pending_delete"].remove(key)
        else:
            _replace_key(ctx, vm, key, value)


def config_view(vm: dict[str, Any], current: bool) -> dict[str, Any]:
    out = dict(vm["config"])
    if not current:
        out.update(vm.get("pending", {}))
        for key in vm.get("pending_delete", []):
            out.pop(key, None)
    out["digest"] = digest(vm)
    return out


# --- numbers for status and listings ------------------------------------------------------


def memory_mib(config: dict[str, Any]) -> int:
    mem = str(config.get("memory", "512")).split(",")[0].replace("current=", "")
    return int(mem) if mem.isdigit() else 512


def cpus(config: dict[str, Any]) -> int:
    if config.get("vcpus"):
        return int(config["vcpus"])
    return int(config.get("sockets", 1)) * int(config.get("cores", 1))


def _boot_disk_size(ctx, config: dict[str, Any]) -> int:
    order = str(config.get("boot", ""))
    keys = order[6:].split(";") if order.startswith("order=") else []
    keys += sorted(k for k in config if DRIVE.match(k))
    for key in keys:
        if key in config and DRIVE.match(key) and "media=cdrom" not in str(config[key]):
            m = re.search(r"(?:^|,)size=([^,]+)", str(config[key]))
            if m:
                return storage.size_bytes(m.group(1))
    return 0


def vm_summary(ctx, vmid: str, vm: dict[str, Any]) -> dict[str, Any]:
    config = vm["config"]
    running = vm["status"] == "running"
    maxmem = memory_mib(config) * 1024**2
    out: dict[str, Any] = {
        "vmid": int(vmid),
        "status": vm["status"],
        "name": config.get("name", f"VM {vmid}"),
        "cpus": cpus(config),
        "maxmem": maxmem,
        "mem": maxmem * 3 // 10 if running else 0,
        "maxdisk": _boot_disk_size(ctx, config),
        "disk": 0,
        "cpu": 0.013 if running else 0,
        "uptime": int(ctx.now - vm["started"]) if running and vm["started"] else 0,
        "netin": 0,
        "netout": 0,
        "diskread": 0,
        "diskwrite": 0,
    }
    if running:
        out["pid"] = vm["pid"]
    if config.get("template"):
        out["template"] = 1
    if config.get("tags"):
        out["tags"] = config["tags"]
    if config.get("lock"):
        out["lock"] = config["lock"]
    return out


# --- handlers ------------------------------------------------------------------------------


def list_vms(ctx, params):
    storage.ensure_node(ctx, params["node"])
    if not ctx.ident.superuser:
        return []
    return [
        vm_summary(ctx, vmid, vm)
        for vmid, vm in sorted(ctx.state["guests"].items(), key=lambda kv: int(kv[0]))
        if vm["type"] == "qemu"
    ]


def vmid_taken(ctx, vmid: int) -> bool:
    return str(vmid) in ctx.state["guests"]


def create_vm(ctx, params):
    storage.ensure_node(ctx, params["node"])
    vmid = params["vmid"]
    require(ctx.ident, f"/vms/{vmid}", "VM.Allocate")
    if params.get("pool") and params["pool"] not in ctx.state.get("pools", {}):
        raise ApiError(f"pool '{params['pool']}' does not exist")
    if params.get("archive"):
        raise ApiError(f"can't find archive file '{params['archive']}'")
    if vmid_taken(ctx, vmid):
        raise ApiError(
            f"unable to create VM {vmid} - VM {vmid} already exists on node '{ctx.node}'"
        )
    settings = {k: v for k, v in params.items() if k not in CREATE_PARAMS}
    vm = {
        "type": "qemu",
        "config": {},
        "pending": {},
        "pending_delete": [],
        "status": "stopped",
        "started": None,
        "pid": None,
    }
    config = vm["config"]
    for key in sorted(settings):
        config[key] = normalise(ctx, vmid, key, settings[key])
    config.setdefault("vmgenid", ctx.uuid())
    config.setdefault("smbios1", f"uuid={ctx.uuid()}")
    config["meta"] = f"creation-qemu={QEMU_VERSION},ctime={int(ctx.now)}"
    if "boot" not in config:
        devices = _default_boot(config)
        if devices:
            config["boot"] = "order=" + ";".join(devices)
    config["lock"] = "create"
    ctx.state["guests"][str(vmid)] = vm
    if params.get("pool"):
        pool_members.add_vm_to_pool(ctx, params["pool"], vmid)
    log = [
        f'  Logical volume "{v.split(":", 1)[1]}" created.'
        for k in sorted(config)
        if DRIVE.match(k)
        for v in _volumes_of(config[k])
    ]
    effect = {"kind": "qemu.created", "vmid": vmid, "start": bool(params.get("start"))}
    return ctx.task("qmcreate", str(vmid), effect, log)


def _default_boot(config: dict[str, Any]) -> list[str]:
    disks = [k for k in sorted(config, key=_dev_order) if DRIVE.match(k) and k[:3] != "efi"]
    disks = [k for k in disks if k != "tpmstate0"]
    hard = [k for k in disks if "media=cdrom" not in str(config[k])]
    cdrom = [k for k in disks if "media=cdrom" in str(config[k])]
    nets = sorted((k for k in config if NET.match(k)), key=_dev_order)
    return hard[:1] + cdrom[:1] + nets[:1]


def _dev_order(key: str) -> tuple[int, int]:
    kinds = ["ide", "sata", "scsi", "virtio", "net"]
    m = re.match(r"([a-z]+)(\d+)$", key)
    if not m:
        return (99, 0)
    kind = kinds.index(m.group(1)) if m.group(1) in kinds else 98
    return (kind, int(m.group(2)))


def created(ctx, effect):
    vm = ctx.state["guests"].get(str(effect["vmid"]))
    if vm is None:
        raise ApiError(f"VM {effect['vmid']} vanished during creation")
    vm["config"].pop("lock", None)
    if effect.get("start"):
        _start_now(ctx, vm)


def vm_index(ctx, params):
    get_vm(ctx, params["node"], params["vmid"])
    subdirs = [
        "config", "cloudinit", "pending", "status", "unlink", "vncproxy", "termproxy",
        "migrate", "resize", "move", "rrd", "rrddata", "monitor", "agent", "snapshot",
        "spiceproxy", "sendkey", "firewall", "mtunnel", "remote_migrate", "dbus-vmstate",
    ]  # fmt: skip
    return [{"subdir": s} for s in subdirs]


def destroy_vm(ctx, params):
    vmid = params["vmid"]
    vm = get_vm(ctx, params["node"], vmid)
    check_lock(vm, params.get("skiplock"))
    if vm["config"].get("protection"):
        raise ApiError(f"can't remove VM {vmid} - protection mode enabled")
    if vm["status"] == "running":
        raise ApiError(f"VM {vmid} is running - destroy failed")
    vm["config"]["lock"] = "destroyed"
    return ctx.task("qmdestroy", str(vmid), {"kind": "qemu.destroyed", "vmid": vmid})


def destroyed(ctx, effect):
    vm = ctx.state["guests"].pop(str(effect["vmid"]), None)
    pool_members.drop_vm(ctx, effect["vmid"])
    if vm is None:
        return
    keys = list(vm["config"].items()) + list(vm.get("pending", {}).items())
    for key, value in keys:
        if DRIVE.match(key) or UNUSED.match(key):
            for volid in _volumes_of(value):
                vol = storage.find_volume(ctx, volid)
                if vol is not None and vol.get("vmid") == effect["vmid"]:
                    storage.free(ctx, volid)


def get_config(ctx, params):
    vm = get_vm(ctx, params["node"], params["vmid"])
    if params.get("snapshot"):
        raise ApiError(f"snapshot '{params['snapshot']}' does not exist")
    return config_view(vm, bool(params.get("current")))


def put_config(ctx, params):
    vmid = params["vmid"]
    vm = get_vm(ctx, params["node"], vmid)
    update_config(ctx, vm, vmid, params)
    return None


def post_config(ctx, params):
    vmid = params["vmid"]
    vm = get_vm(ctx, params["node"], vmid)
    update_config(ctx, vm, vmid, params)
    if params.get("background_delay"):
        return None  # the change is already done: PVE returns null when it finished in time
    return ctx.task("qmconfig", str(vmid))


def vm_status(ctx, params):
    vmid = params["vmid"]
    vm = get_vm(ctx, params["node"], vmid)
    out = vm_summary(ctx, str(vmid), vm)
    out["ha"] = {"managed": 0}
    out["qmpstatus"] = vm["status"]
    config = vm["config"]
    if str(config.get("agent", "0")).split(",")[0] in ("1", "enabled=1"):
        out["agent"] = 1
    if vm["status"] == "running":
        out["running-machine"] = "pc-i440fx-10.1+pve0"
        out["running-qemu"] = QEMU_VERSION
    return out


def _start_now(ctx, vm):
    vm["status"] = "running"
    vm["started"] = ctx.now
    vm["pid"] = 10000 + int.from_bytes(ctx.random_bytes(2), "big")


def start_vm(ctx, params):
    vmid = params["vmid"]
    vm = get_vm(ctx, params["node"], vmid)
    error = None
    if vm["config"].get("lock") and not params.get("skiplock"):
        error = f"VM is locked ({vm['config']['lock']})"
    elif vm["config"].get("template"):
        error = "you can't start a vm if it's a template"
    elif vm["status"] == "running":
        error = f"VM {vmid} already running"
    effect = None if error else {"kind": "qemu.started", "vmid": vmid}
    return ctx.task("qmstart", str(vmid), effect, error=error)


def started(ctx, effect):
    vm = ctx.state["guests"].get(str(effect["vmid"]))
    if vm is None:
        raise ApiError(f"Configuration file '{conf_path(ctx, effect['vmid'])}' does not exist")
    if vm["status"] == "running":
        raise ApiError(f"VM {effect['vmid']} already running")
    _start_now(ctx, vm)


def _power_off(ctx, params, kind: str):
    vmid = params["vmid"]
    vm = get_vm(ctx, params["node"], vmid)
    error = None
    if vm["config"].get("lock") and not params.get("skiplock"):
        error = f"VM is locked ({vm['config']['lock']})"
    effect = None if error else {"kind": "qemu.stopped", "vmid": vmid}
    return ctx.task(kind, str(vmid), effect, error=error)


def stop_vm(ctx, params):
    return _power_off(ctx, params, "qmstop")


def shutdown_vm(ctx, params):
    return _power_off(ctx, params, "qmshutdown")


def stopped(ctx, effect):
    vm = ctx.state["guests"].get(str(effect["vmid"]))
    if vm is None:
        raise ApiError(f"Configuration file '{conf_path(ctx, effect['vmid'])}' does not exist")
    vm["status"], vm["started"], vm["pid"] = "stopped", None, None
    _apply_pending(ctx, vm)


def clone_vm(ctx, params):
    vmid, newid = params["vmid"], params["newid"]
    vm = get_vm(ctx, params["node"], vmid)
    if params.get("target") and params["target"] != ctx.node:
        raise ApiError(f"no such cluster node '{params['target']}'")
    if params.get("pool") and params["pool"] not in ctx.state.get("pools", {}):
        raise ApiError(f"pool '{params['pool']}' does not exist")
    if params.get("snapname"):
        raise ApiError(f"snapshot '{params['snapname']}' does not exist")
    if vmid_taken(ctx, newid):
        raise ApiError(f"unable to create VM {newid}: config file already exists")
    check_lock(vm)
    is_template = bool(vm["config"].get("template"))
    full = params.get("full", 0 if is_template else 1)
    if not full and ("storage" in params or "format" in params):
        which = "storage" if "storage" in params else "format"
        raise ApiError(f"parameter '{which}' not allowed for linked clones")
    if not full and not is_template:
        raise ApiError("linked clone feature is only available for templates")
    if params.get("storage"):
        storage.storage_cfg(ctx, params["storage"])
    src = vm["config"]
    new: dict[str, Any] = {}
    for key, value in src.items():
        if key in ("lock", "template", "vmgenid", "smbios1", "meta") or UNUSED.match(key):
            continue
        if NET.match(key):
            new[key] = re.sub(r"^([^=,]+)=[0-9A-Fa-f:]{17}", rf"\1={random_mac(ctx)}", value)
        elif DRIVE.match(key) and _volumes_of(value):
            new[key] = _clone_disk(ctx, newid, key, value, bool(full), params.get("storage"))
        else:
            new[key] = value
    new["name"] = params.get("name") or f"Copy-of-VM-{src.get('name', vmid)}"
    if params.get("description"):
        new["description"] = params["description"]
    new["vmgenid"] = ctx.uuid()
    new["smbios1"] = f"uuid={ctx.uuid()}"
    new["meta"] = f"creation-qemu={QEMU_VERSION},ctime={int(ctx.now)}"
    new["lock"] = "clone"
    src["lock"] = "clone"
    ctx.state["guests"][str(newid)] = {
        "type": "qemu",
        "config": new,
        "pending": {},
        "pending_delete": [],
        "status": "stopped",
        "started": None,
        "pid": None,
    }
    if params.get("pool"):
        pool_members.add_vm_to_pool(ctx, params["pool"], newid)
    effect = {"kind": "qemu.cloned", "vmid": vmid, "newid": newid}
    log = [f"create {'full' if full else 'linked'} clone of drive(s) from VM {vmid}"]
    return ctx.task("qmclone", str(vmid), effect, log)


def _clone_disk(ctx, newid: int, key: str, value: str, full: bool, target: str | None) -> str:
    fmt = load().qemu_spec(key)["format"]
    data = parse_property_string(fmt, value)
    src_store, src_name = storage.split_volid(str(data["file"]))
    vol = storage.find_volume(ctx, data["file"])
    if vol is None:
        raise ApiError(f"volume '{data['file']}' does not exist")
    if full:
        data["file"] = storage.allocate(ctx, target or src_store, newid, vol["size"])
    else:
        data["file"] = storage.allocate(ctx, src_store, newid, vol["size"], parent=src_name)
    data["size"] = storage.size_text(vol["size"])
    return print_property_string(fmt, data)


def cloned(ctx, effect):
    for vmid in (effect["vmid"], effect["newid"]):
        vm = ctx.state["guests"].get(str(vmid))
        if vm is not None and vm["config"].get("lock") == "clone":
            vm["config"].pop("lock")
