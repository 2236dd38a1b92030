"""Cluster-wide configuration: storage definitions (/storage), ACLs and roles (/access/acl,
/access/roles), pools (/pools) and backup jobs (/cluster/backup), with the handler behaviour
the reference describes (fixed keys, 500 vs 400 errors, generated ids, pool membership)."""

from __future__ import annotations

import re
from typing import Any

from . import qemu
from .errors import ApiError, ParamError
from .formats import split_list
from .pool_members import add_vm_to_pool, get_pool, pools_of

# --- storage definitions ------------------------------------------------------------------

# per type: keys required on create (fixed afterwards), other keys it accepts
STORAGE_TYPES: dict[str, tuple[set[str], set[str]]] = {
    "dir": ({"path"}, {"content", "content-dirs", "nodes", "shared", "disable", "prune-backups",
                       "max-protected-backups", "format", "preallocation", "create-base-path",
                       "create-subdirs", "is_mountpoint", "bwlimit", "mkdir"}),
    "lvmthin": ({"vgname", "thinpool"}, {"content", "nodes", "disable", "bwlimit"}),
    "lvm": ({"vgname"}, {"base", "shared", "saferemove", "saferemove-stepsize", "tagged_only",
                         "content", "nodes", "disable", "bwlimit"}),
    "nfs": ({"server", "export", "path"}, {"options", "content", "prune-backups", "format",
                                           "preallocation", "nodes", "disable", "bwlimit",
                                           "max-protected-backups", "create-base-path",
                                           "create-subdirs", "mkdir"}),
    "pbs": ({"server", "datastore"}, {"username", "password", "fingerprint", "namespace", "port",
                                      "encryption-key", "master-pubkey", "prune-backups",
                                      "content", "nodes", "disable", "max-protected-backups"}),
    "zfspool": ({"pool"}, {"sparse", "blocksize", "mountpoint", "content", "nodes", "disable"}),
}  # fmt: skip
CONTENT_OF = {
    "dir": {"images", "rootdir", "vztmpl", "iso", "backup", "snippets", "import"},
    "lvmthin": {"images", "rootdir"},
    "lvm": {"images", "rootdir"},
    "nfs": {"images", "rootdir", "vztmpl", "iso", "backup", "snippets", "import"},
    "pbs": {"backup"},
    "zfspool": {"images", "rootdir"},
}
SECRET_KEYS = {"password", "encryption-key", "master-pubkey"}
INTERNAL = {"total"}
REMOTE_TOTAL = 4 * 1024**4  # what a network storage reports in the simulator


def _digest(ctx, section: str) -> str:
    import hashlib
    import json

    return hashlib.sha1(json.dumps(ctx.state.get(section), sort_keys=True).encode()).hexdigest()


def _storage_view(sid: str, cfg: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in cfg.items() if k not in INTERNAL and k not in SECRET_KEYS}
    out["storage"] = sid
    return out


def list_storage_cfg(ctx, params):
    digest = _digest(ctx, "storages")
    rows = []
    for sid, cfg in sorted(ctx.state["storages"].items()):
        if params.get("type") and cfg["type"] != params["type"]:
            continue
        rows.append({**_storage_view(sid, cfg), "digest": digest})
    return rows


def read_storage_cfg(ctx, params):
    cfg = ctx.state["storages"].get(params["storage"])
    if cfg is None:
        raise ApiError(f"storage '{params['storage']}' does not exist")
    return {**_storage_view(params["storage"], cfg), "digest": _digest(ctx, "storages")}


def _content(kind: str, value: str) -> str:
    wanted = split_list(value)
    kept = [c for c in wanted if c in CONTENT_OF.get(kind, set()) or c == "none"]
    return ",".join(kept)


def create_storage_cfg(ctx, params):
    sid, kind = params["storage"], params["type"]
    if sid in ctx.state["storages"]:
        raise ApiError(f"create storage failed: storage ID '{sid}' already defined")
    if kind not in STORAGE_TYPES:
        raise ApiError(f"create storage failed: storage type '{kind}' is not simulated")
    fixed, other = STORAGE_TYPES[kind]
    given = {k: v for k, v in params.items() if k not in ("storage", "type")}
    for key in sorted(given):
        if key not in fixed | other:
            raise ApiError(f"unexpected property '{key}'")
    for key in sorted(fixed):
        if key not in given:
            raise ApiError(f"missing value for required option '{key}'")
    cfg: dict[str, Any] = {"type": kind, **given}
    cfg["content"] = _content(
        kind, str(given.get("content", "images" if kind != "pbs" else "backup"))
    )
    cfg["total"] = REMOTE_TOTAL if kind in ("nfs", "pbs") else 800 * 1024**3
    if kind in ("nfs", "pbs"):
        cfg.setdefault("shared", 1)
    ctx.state["storages"][sid] = cfg
    return {"storage": sid, "type": kind}


def update_storage_cfg(ctx, params):
    sid = params["storage"]
    cfg = ctx.state["storages"].get(sid)
    if cfg is None:
        raise ApiError(f"update storage failed: storage '{sid}' does not exist")
    if params.get("digest") and params["digest"] != _digest(ctx, "storages"):
        raise ApiError(
            "update storage failed: detected modified configuration - file changed by other "
            "user? Try again."
        )
    fixed, other = STORAGE_TYPES.get(cfg["type"], (set(), set()))
    changes = {k: v for k, v in params.items() if k not in ("storage", "digest", "delete")}
    for key in sorted(changes):
        if key in fixed or key in ("server", "pool"):
            if str(changes[key]) != str(cfg.get(key)):
                raise ApiError(
                    f"update storage failed: can't change value of fixed parameter '{key}'"
                )
        elif key not in other:
            raise ApiError(f"unexpected property '{key}'")
    for key in split_list(params.get("delete", "")):
        if key in fixed:
            raise ApiError(f"update storage failed: can't delete fixed parameter '{key}'")
        cfg.pop(key, None)
    for key, value in changes.items():
        cfg[key] = _content(cfg["type"], str(value)) if key == "content" else value
    return {"storage": sid, "type": cfg["type"]}


def delete_storage_cfg(ctx, params):
    sid = params["storage"]
    if sid not in ctx.state["storages"]:
        raise ApiError(f"delete storage failed: storage '{sid}' does not exist")
    del ctx.state["storages"][sid]
    ctx.state["volumes"].pop(sid, None)
    return None


# --- roles and ACLs ------------------------------------------------------------------------

BUILTIN_ROLES = {
    "Administrator": "Datastore.Allocate,Datastore.AllocateSpace,Datastore.Audit,Pool.Allocate,"
    "Pool.Audit,Sys.Audit,Sys.Modify,VM.Allocate,VM.Audit,VM.Config.Disk,VM.PowerMgmt",
    "NoAccess": "",
    "PVEAdmin": "Datastore.Allocate,Datastore.AllocateSpace,Datastore.Audit,Pool.Allocate,"
    "Pool.Audit,Sys.Audit,VM.Allocate,VM.Audit,VM.Config.Disk,VM.PowerMgmt",
    "PVEAuditor": "Datastore.Audit,Pool.Audit,Sys.Audit,VM.Audit",
    "PVEDatastoreAdmin": "Datastore.Allocate,Datastore.AllocateSpace,Datastore.Audit",
    "PVEDatastoreUser": "Datastore.AllocateSpace,Datastore.Audit",
    "PVEPoolAdmin": "Pool.Allocate,Pool.Audit",
    "PVEPoolUser": "Pool.Audit",
    "PVESysAdmin": "Sys.Audit,Sys.Modify",
    "PVETemplateUser": "VM.Audit,VM.Clone",
    "PVEVMAdmin": "VM.Allocate,VM.Audit,VM.Clone,VM.Config.CDROM,VM.Config.CPU,VM.Config.Cloudinit,"
    "VM.Config.Disk,VM.Config.HWType,VM.Config.Memory,VM.Config.Network,VM.Config.Options,"
    "VM.Console,VM.Migrate,VM.PowerMgmt,VM.Snapshot",
    "PVEVMUser": "VM.Audit,VM.Console,VM.PowerMgmt",
}
ACL_PATH = re.compile(
    r"^/(access(/(groups|realm)(/[^/]+)?)?|nodes(/[^/]+)?|pool(/[^/]+){0,4}|storage(/[^/]+)?"
    r"|vms(/\d+)?|sdn(/.*)?|mapping(/.*)?)?$"
)


def list_roles(ctx, params):
    return [{"roleid": r, "privs": p, "special": 1} for r, p in sorted(BUILTIN_ROLES.items())]


def list_acl(ctx, params):
    return [dict(e) for e in ctx.state.setdefault("acl", [])]


def update_acl(ctx, params):
    path = params["path"]
    if not params.get("users") and not params.get("groups") and not params.get("tokens"):
        msg = "either 'users', 'groups' or 'tokens' is required."
        raise ParamError({"users": msg, "groups": msg, "tokens": msg})
    if not params.get("delete") and not ACL_PATH.match(path):
        raise ParamError({"path": f"invalid ACL path '{path}'"})
    acl = ctx.state.setdefault("acl", [])
    roles = split_list(params["roles"])
    subjects = [("user", u) for u in split_list(params.get("users", ""))]
    subjects += [("group", g) for g in split_list(params.get("groups", ""))]
    subjects += [("token", t) for t in split_list(params.get("tokens", ""))]
    for role in roles:
        if role not in BUILTIN_ROLES:
            raise ApiError(f"ACL update failed: role '{role}' does not exist")
    for kind, ugid in subjects:
        userid = ugid.split("!", 1)[0]
        user = ctx.state["users"].get(userid)
        if kind != "group" and user is None:
            raise ApiError(f"ACL update failed: user '{userid}' does not exist")
        if kind == "token" and ugid.split("!", 1)[1] not in user["tokens"]:
            raise ApiError(f"ACL update failed: token '{ugid}' does not exist")
    propagate = int(params.get("propagate", 1))
    for kind, ugid in subjects:
        for role in roles:
            acl[:] = [
                e
                for e in acl
                if not (e["path"] == path and e["ugid"] == ugid and e["roleid"] == role)
            ]
            if not params.get("delete"):
                acl.append({"path": path, "type": kind, "ugid": ugid, "roleid": role,
                            "propagate": propagate})  # fmt: skip
    acl.sort(key=lambda e: (e["path"], e["type"], e["ugid"], e["roleid"]))
    return None


# --- pools ---------------------------------------------------------------------------------

POOL_LEVEL = re.compile(r"^[A-Za-z][A-Za-z0-9._-]*$")


def _members(ctx, poolid: str, kind: str | None) -> list[dict[str, Any]]:
    pool = get_pool(ctx, poolid)
    out = []
    for vmid in sorted(pool["vms"]):
        vm = ctx.state["guests"].get(str(vmid))
        if vm is None or (kind and vm["type"] != kind):
            continue
        summary = qemu.vm_summary(ctx, str(vmid), vm) if vm["type"] == "qemu" else {}
        out.append({"id": f"{vm['type']}/{vmid}", "vmid": vmid, "node": ctx.node,
                    "type": vm["type"], "status": vm["status"],
                    "name": summary.get("name", f"CT {vmid}")})  # fmt: skip
    if kind in (None, "storage"):
        for sid in sorted(pool["storage"]):
            cfg = ctx.state["storages"].get(sid, {})
            out.append({"id": f"storage/{ctx.node}/{sid}", "storage": sid, "node": ctx.node,
                        "type": "storage", "plugintype": cfg.get("type"),
                        "content": cfg.get("content"), "shared": cfg.get("shared", 0),
                        "status": "available"})  # fmt: skip
    return out


def _pool_row(ctx, poolid: str, members: bool, kind: str | None = None) -> dict[str, Any]:
    pool = get_pool(ctx, poolid)
    row: dict[str, Any] = {"poolid": poolid}
    if pool.get("comment"):
        row["comment"] = pool["comment"]
    if members:
        row["members"] = _members(ctx, poolid, kind)
    return row


def list_pools(ctx, params):
    if params.get("type") and not params.get("poolid"):
        raise ParamError({"type": "type requires poolid"})
    if params.get("poolid"):
        return [_pool_row(ctx, params["poolid"], True, params.get("type"))]
    return [_pool_row(ctx, p, False) for p in sorted(pools_of(ctx))]


def read_pool(ctx, params):
    return _pool_row(ctx, params["poolid"], True, params.get("type"))


def create_pool(ctx, params):
    poolid = params["poolid"]
    levels = poolid.split("/")
    if any(not POOL_LEVEL.match(level) for level in levels):
        raise ApiError("create pool failed: pool name must start with a letter")
    if poolid in pools_of(ctx):
        raise ApiError(f"create pool failed: pool '{poolid}' already exists")
    if len(levels) > 1 and "/".join(levels[:-1]) not in pools_of(ctx):
        raise ApiError(f"create pool failed: parent '{'/'.join(levels[:-1])}' does not exist")
    pools_of(ctx)[poolid] = {"comment": params.get("comment", ""), "vms": [], "storage": []}
    return None


def update_pool(ctx, params):
    poolid = params["poolid"]
    pool = get_pool(ctx, poolid)
    if "comment" in params:
        pool["comment"] = params["comment"]
    for vmid in (int(v) for v in split_list(params.get("vms", ""))):
        if str(vmid) not in ctx.state["guests"]:
            raise ApiError(f"update pools failed: no such VMID '{vmid}'")
        if params.get("delete"):
            if vmid not in pool["vms"]:
                raise ApiError(f"update pools failed: VM {vmid} is not a pool member")
            pool["vms"].remove(vmid)
        else:
            add_vm_to_pool(ctx, poolid, vmid, bool(params.get("allow-move")))
    for sid in split_list(params.get("storage", "")):
        if params.get("delete"):
            if sid not in pool["storage"]:
                raise ApiError(f"update pools failed: Storage '{sid}' is not a pool member")
            pool["storage"].remove(sid)
        elif sid in pool["storage"]:
            raise ApiError(f"update pools failed: Storage '{sid}' is already a pool member")
        else:
            pool["storage"].append(sid)
    return None


def delete_pool(ctx, params):
    poolid = params["poolid"]
    pool = get_pool(ctx, poolid)
    if pool["vms"]:
        raise ApiError(
            f"delete pool failed: pool '{poolid}' is not empty (contains VM {pool['vms'][0]})"
        )
    if pool["storage"]:
        raise ApiError(
            f"delete pool failed: pool '{poolid}' is not empty (contains storage "
            f"{pool['storage'][0]})"
        )
    del pools_of(ctx)[poolid]
    ctx.state["acl"] = [e for e in ctx.state.get("acl", []) if e["path"] != f"/pool/{poolid}"]
    return None


# --- backup jobs ---------------------------------------------------------------------------

CALENDAR_PART = re.compile(
    r"^(daily|weekly|monthly|hourly|minutely|yearly"
    r"|((mon|tue|wed|thu|fri|sat|sun)(\.\.(mon|tue|wed|thu|fri|sat|sun))?"
    r"(,(mon|tue|wed|thu|fri|sat|sun)(\.\.(mon|tue|wed|thu|fri|sat|sun))?)*)"
    r"|(\*|\d{4}|\d{1,2}(\.\.\d{1,2})?)(-(\*|\d{1,2}(\.\.\d{1,2})?)){1,2}"
    r"|(\*|\d{1,2}(\.\.\d{1,2})?(/\d{1,2})?|\*/\d{1,2})(:(\*|\d{1,2}(\.\.\d{1,2})?(/\d{1,2})?|\*/\d{1,2}))?)$"
)
PRUNE_KEYS = {"keep-all", "keep-last", "keep-hourly", "keep-daily", "keep-weekly",
              "keep-monthly", "keep-yearly"}  # fmt: skip
JOB_SELECTION = ("vmid", "all", "pool")


def check_calendar(value: str) -> None:
    parts = value.split()
    if not parts or len(value) > 128 or not all(CALENDAR_PART.match(p) for p in parts):
        raise ParamError({"schedule": f"invalid format - invalid calendar event '{value}'"})


def check_prune(value: str, key: str = "prune-backups") -> None:
    pairs = dict(p.split("=", 1) if "=" in p else (p, "") for p in value.split(",") if p)
    for k, v in pairs.items():
        if k not in PRUNE_KEYS or not v.isdigit():
            raise ParamError({key: f"invalid format - invalid prune-backups value '{value}'"})
    if pairs.get("keep-all") == "1" and any(int(v) for k, v in pairs.items() if k != "keep-all"):
        raise ParamError({key: "keep-all cannot be set together with other options."})


def _jobs(ctx) -> dict[str, Any]:
    return ctx.state.setdefault("backup_jobs", {})


def _job_row(ctx, jid: str, job: dict[str, Any], listing: bool) -> dict[str, Any]:
    row = {"id": jid, "type": "vzdump", **job}
    if listing and int(job.get("enabled", 1)):
        row["next-run"] = int(ctx.now // 3600 + 1) * 3600
    return row


def list_jobs(ctx, params):
    return [_job_row(ctx, j, job, True) for j, job in sorted(_jobs(ctx).items())]


def read_job(ctx, params):
    job = _jobs(ctx).get(params["id"])
    if job is None:
        raise ParamError({"id": f"No such job '{params['id']}'"})
    return _job_row(ctx, params["id"], job, False)


def _check_job(job: dict[str, Any]) -> None:
    if "schedule" not in job and "starttime" not in job:
        raise ParamError({"schedule": "neither 'starttime' nor 'schedule' were set"})
    if "schedule" in job:
        check_calendar(str(job["schedule"]))
    if "prune-backups" in job:
        check_prune(str(job["prune-backups"]))
    chosen = [k for k in JOB_SELECTION if job.get(k)]
    if not chosen or ("vmid" in chosen and len(chosen) > 1):
        raise ApiError("400 Parameter verification failed.\nvmid: property is missing")


def create_job(ctx, params):
    job = {k: v for k, v in params.items() if k != "id"}
    jid = params.get("id") or ctx.uuid()
    if jid in _jobs(ctx):
        raise ApiError(f"Job '{jid}' already exists")
    _check_job(job)
    job.setdefault("enabled", 1)
    _jobs(ctx)[jid] = job
    return None


def update_job(ctx, params):
    jid = params["id"]
    job = _jobs(ctx).get(jid)
    if job is None:
        raise ApiError("no such vzdump job")
    changes = {k: v for k, v in params.items() if k not in ("id", "delete")}
    deletes = split_list(params.get("delete", ""))
    if not changes and not deletes:
        raise ApiError("no options specified")
    new = dict(job)
    for key in deletes:
        new.pop(key, None)
    if changes.get("vmid"):
        for key in ("all", "exclude", "pool"):
            new.pop(key, None)
    if changes.get("all"):
        for key in ("vmid", "pool"):
            new.pop(key, None)
    new.update(changes)
    _check_job(new)
    _jobs(ctx)[jid] = new
    return None


def delete_job(ctx, params):
    if params["id"] not in _jobs(ctx):
        raise ApiError(f"400 Parameter verification failed.\nid: No such job '{params['id']}'")
    del _jobs(ctx)[params["id"]]
    return None
