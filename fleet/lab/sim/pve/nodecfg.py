"""Node settings and views: DNS (resolv.conf), time zone, APT repositories, the task list and
the cluster status of a standalone node."""

from __future__ import annotations

import hashlib
import json
import zoneinfo
from datetime import datetime
from typing import Any

from . import storage, tasks
from .context import Reply
from .errors import ApiError, ParamError
from .formats import split_list

STANDARD_REPOS = {
    "enterprise": "Enterprise",
    "no-subscription": "No-Subscription",
    "test": "Test",
    "ceph-squid-enterprise": "Ceph Squid Enterprise",
    "ceph-squid-no-subscription": "Ceph Squid No-Subscription",
    "ceph-squid-test": "Ceph Squid Test",
}
REPO_URIS = {
    "enterprise": ("https://enterprise.proxmox.com/debian/pve", "pve-enterprise"),
    "no-subscription": ("http://download.proxmox.com/debian/pve", "pve-no-subscription"),
    "test": ("http://download.proxmox.com/debian/pve", "pve-test"),
}


def get_dns(ctx, params):
    storage.ensure_node(ctx, params["node"])
    return dict(ctx.state.setdefault("dns", {"search": "lab.fleet.test", "dns1": "10.0.0.1"}))


def put_dns(ctx, params):
    storage.ensure_node(ctx, params["node"])
    dns: dict[str, Any] = {"search": params["search"]}
    servers = []
    for key in ("dns1", "dns2", "dns3"):
        value = params.get(key)
        if value and value != "0.0.0.0" and value not in servers:
            servers.append(value)
    for i, value in enumerate(servers, 1):
        dns[f"dns{i}"] = value
    ctx.state["dns"] = dns
    return None


def _zone(ctx) -> str:
    return ctx.state.setdefault("timezone", "UTC")


def get_time(ctx, params):
    storage.ensure_node(ctx, params["node"])
    zone = zoneinfo.ZoneInfo(_zone(ctx))
    now = int(ctx.now)
    offset = datetime.fromtimestamp(now, zone).utcoffset()
    return {"timezone": _zone(ctx), "time": now,
            "localtime": now + int(offset.total_seconds() if offset else 0)}  # fmt: skip


def put_time(ctx, params):
    storage.ensure_node(ctx, params["node"])
    zone = params["timezone"]
    try:
        zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ParamError({"timezone": "No such timezone"}) from None
    ctx.state["timezone"] = zone
    return None


def _apt(ctx) -> list[dict[str, Any]]:
    return ctx.state.setdefault(
        "apt",
        [{"path": "/etc/apt/sources.list.d/pve-enterprise.sources", "handle": "enterprise",
          "enabled": 1}],
    )  # fmt: skip


def _apt_digest(ctx) -> str:
    return hashlib.sha256(json.dumps(_apt(ctx), sort_keys=True).encode()).hexdigest()


def get_apt(ctx, params):
    storage.ensure_node(ctx, params["node"])
    files = []
    for entry in _apt(ctx):
        uri, suite = REPO_URIS.get(entry["handle"], ("http://download.proxmox.com/debian", "x"))
        files.append({
            "path": entry["path"], "file-type": "sources",
            "digest": list(hashlib.sha256(entry["path"].encode()).digest()),
            "repositories": [{"Types": ["deb"], "URIs": [uri], "Suites": ["trixie"],
                              "Components": [suite], "FileType": "sources",
                              "Enabled": bool(entry["enabled"])}],
        })  # fmt: skip
    configured = {e["handle"]: e for e in _apt(ctx)}
    standard = []
    for handle, name in STANDARD_REPOS.items():
        row: dict[str, Any] = {"handle": handle, "name": name, "description": name}
        if handle in configured:
            row["status"] = configured[handle]["enabled"]
        standard.append(row)
    return {"files": files, "errors": [], "infos": [], "standard-repos": standard,
            "digest": _apt_digest(ctx)}  # fmt: skip


def _check_apt_digest(ctx, params) -> None:
    if params.get("digest") and params["digest"] != _apt_digest(ctx):
        raise ApiError("detected modified configuration - file changed by other user? Try again.")


def post_apt(ctx, params):
    storage.ensure_node(ctx, params["node"])
    _check_apt_digest(ctx, params)
    entries = [e for e in _apt(ctx) if e["path"] == params["path"]]
    if not entries or params["index"] != 0:
        raise ApiError(f"unable to find file '{params['path']}' with index {params['index']}")
    if "enabled" in params:
        entries[0]["enabled"] = int(params["enabled"])
    return None


def put_apt(ctx, params):
    storage.ensure_node(ctx, params["node"])
    _check_apt_digest(ctx, params)
    handle = params["handle"]
    if handle not in STANDARD_REPOS:
        raise ApiError(f"unknown handle '{handle}'")
    if any(e["handle"] == handle for e in _apt(ctx)):
        raise ApiError(f"repository '{handle}' is already configured")
    _apt(ctx).append({"path": f"/etc/apt/sources.list.d/{handle}.sources", "handle": handle,
                      "enabled": 1})  # fmt: skip
    return None


def list_tasks(ctx, params):
    storage.ensure_node(ctx, params["node"])
    source = params.get("source", "archive")
    statuses = set(split_list(params.get("statusfilter", "")))
    rows = []
    for upid, task in ctx.state["tasks"].items():
        if not task["done"] and source == "archive":
            continue
        if task["done"] and source == "active":
            continue
        info = tasks.parse_upid(upid) or {}
        row = {"upid": upid, **info}
        if task["done"]:
            row["status"] = task["exitstatus"]
            row["endtime"] = int(task["end"])
            kind = "ok" if task["exitstatus"] == "OK" else "error"
        else:
            row["status"] = "RUNNING"
            kind = "unknown"
        if statuses and kind not in statuses:
            continue
        if params.get("errors") and kind != "error":
            continue
        if params.get("typefilter") and info.get("type") != params["typefilter"]:
            continue
        if (
            params.get("userfilter")
            and params["userfilter"].lower() not in info.get("user", "").lower()
        ):
            continue
        if params.get("vmid") and info.get("id") != str(params["vmid"]):
            continue
        if params.get("since") and info.get("starttime", 0) < params["since"]:
            continue
        if params.get("until") and info.get("starttime", 0) > params["until"]:
            continue
        rows.append(row)
    rows.sort(key=lambda r: r.get("starttime", 0), reverse=True)
    start, limit = params.get("start", 0), params.get("limit", 50)
    return Reply(rows[start : start + limit], {"total": len(rows)})


def cluster_status(ctx, params):
    return [{"type": "node", "id": f"node/{ctx.node}", "name": ctx.node,
             "ip": ctx.state["node"].get("ip", ""), "local": 1, "nodeid": 0, "online": 1,
             "level": ""}]  # fmt: skip
