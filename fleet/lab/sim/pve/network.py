"""Node network: edits are staged (interfaces.new), PUT applies them, DELETE reverts them.

GET shows the staged configuration when there is one, marks interfaces that are running as
`active`, and adds the `changes` diff to the envelope, as pveproxy does.
"""

from __future__ import annotations

import difflib
import ipaddress
from typing import Any

from . import storage
from .context import Reply
from .errors import ParamError
from .formats import split_list

NOT_OPTIONS = {"node", "iface", "delete"}
BRIDGES = {"bridge", "OVSBridge"}
_FILE_KEYS = {
    "bridge_ports": "bridge-ports",
    "bridge_vlan_aware": "bridge-vlan-aware",
    "bridge_vids": "bridge-vids",
    "slaves": "bond-slaves",
    "bond_mode": "bond-mode",
    "bond_xmit_hash_policy": "bond-xmit-hash-policy",
    "bond-primary": "bond-primary",
    "vlan-id": "vlan-id",
    "vlan-raw-device": "vlan-raw-device",
    "mtu": "mtu",
    "gateway": "gateway",
    "gateway6": "gateway6",
}


def _view(ctx) -> dict[str, dict[str, Any]]:
    net = ctx.state["network"]
    return net["pending"] if net["pending"] is not None else net["active"]


def _staged(ctx) -> dict[str, dict[str, Any]]:
    net = ctx.state["network"]
    if net["pending"] is None:
        net["pending"] = {k: dict(v) for k, v in net["active"].items()}
    return net["pending"]


def render(ifaces: dict[str, dict[str, Any]]) -> str:
    """An /etc/network/interfaces text, for the `changes` diff."""
    lines = ["auto lo", "iface lo inet loopback", ""]
    for name in sorted(ifaces):
        cfg = ifaces[name]
        if cfg.get("autostart"):
            lines.append(f"auto {name}")
        lines.append(f"iface {name} inet {cfg.get('method', 'manual')}")
        if cfg.get("cidr"):
            lines.append(f"\taddress {cfg['cidr']}")
        for key, file_key in _FILE_KEYS.items():
            if key in cfg:
                lines.append(f"\t{file_key} {cfg[key]}")
        if cfg.get("type") in BRIDGES:
            lines.append(f"\tbridge-stp {cfg.get('bridge_stp', 'off')}")
            lines.append(f"\tbridge-fd {cfg.get('bridge_fd', '0')}")
        if cfg.get("comments"):
            lines += [f"#{c}" for c in str(cfg["comments"]).splitlines()]
        lines.append("")
    return "\n".join(lines)


def _entry(ctx, name: str, cfg: dict[str, Any], priority: int) -> dict[str, Any]:
    out = {"iface": name, "priority": priority, **cfg}
    out.setdefault("method", "manual")
    out.setdefault("method6", "manual")
    active = ctx.state["network"]["active"].get(name)
    if active is not None and active.get("type") == cfg.get("type"):
        out["active"] = 1
    if cfg.get("type") == "eth":
        out["exists"] = 1
    return out


def list_ifaces(ctx, params):
    storage.ensure_node(ctx, params["node"])
    kind = params.get("type")
    rows = []
    for priority, (name, cfg) in enumerate(sorted(_view(ctx).items()), start=3):
        t = cfg.get("type")
        if kind in ("any_bridge", "any_local_bridge") and t not in BRIDGES:
            continue
        if kind and kind not in ("any_bridge", "any_local_bridge", "include_sdn") and t != kind:
            continue
        rows.append(_entry(ctx, name, cfg, priority))
    net = ctx.state["network"]
    extra = {}
    if net["pending"] is not None:
        diff = difflib.unified_diff(
            render(net["active"]).splitlines(keepends=True),
            render(net["pending"]).splitlines(keepends=True),
            "/etc/network/interfaces",
            "/etc/network/interfaces.new",
        )
        text = "".join(diff)
        if text:
            extra["changes"] = text
    return Reply(rows, extra)


def _options(ctx, name: str, params: dict[str, Any], cfg: dict[str, Any]) -> dict[str, Any]:
    for key, value in params.items():
        if key not in NOT_OPTIONS:
            cfg[key] = value
    for key in split_list(params.get("delete", "")):
        cfg.pop(key, None)
        if key == "cidr":
            cfg.pop("address", None)
            cfg.pop("netmask", None)
    if "cidr" in params:
        iface = ipaddress.ip_interface(params["cidr"])
        cfg["address"], cfg["netmask"] = str(iface.ip), str(iface.network.prefixlen)
    elif "address" in params:
        mask = cfg.get("netmask", "24")
        prefix = ipaddress.IPv4Network(f"0.0.0.0/{mask}").prefixlen
        cfg["netmask"] = str(prefix)
        cfg["cidr"] = f"{params['address']}/{prefix}"
    cfg["method"] = "static" if cfg.get("cidr") else "manual"
    cfg["families"] = ["inet"]
    gateway = cfg.get("gateway")
    if gateway:
        for other, ocfg in _view(ctx).items():
            if other != name and ocfg.get("gateway"):
                raise ParamError(
                    {"gateway": f"Default gateway already exists on interface '{other}'."}
                )
    if cfg["type"] == "vlan" and "vlan-raw-device" not in cfg and "." not in name:
        raise ParamError({"vlan-raw-device": "vlan-raw-device is required"})
    return cfg


def create_iface(ctx, params):
    storage.ensure_node(ctx, params["node"])
    name = params["iface"]
    if name in _view(ctx):
        raise ParamError({"iface": "interface already exists"})
    cfg = _options(ctx, name, params, {})
    _staged(ctx)[name] = cfg
    return None


def get_iface(ctx, params):
    storage.ensure_node(ctx, params["node"])
    cfg = _view(ctx).get(params["iface"])
    if cfg is None:
        raise ParamError({"iface": "interface does not exist"})
    out = dict(cfg)
    out.setdefault("method", "manual")
    return out


def update_iface(ctx, params):
    storage.ensure_node(ctx, params["node"])
    name = params["iface"]
    current = _view(ctx).get(name)
    if current is None:
        raise ParamError({"iface": "interface does not exist"})
    if current.get("type") != params["type"]:
        raise ParamError({"type": "interface type mismatch"})
    cfg = _options(ctx, name, params, dict(current))
    _staged(ctx)[name] = cfg
    return None


def delete_iface(ctx, params):
    storage.ensure_node(ctx, params["node"])
    name = params["iface"]
    if name not in _view(ctx):
        raise ParamError({"iface": "interface does not exist"})
    del _staged(ctx)[name]
    return None


def apply(ctx, params):
    storage.ensure_node(ctx, params["node"])
    net = ctx.state["network"]
    if net["pending"] is not None:
        net["active"], net["pending"] = net["pending"], None
    return ctx.task("srvreload", "networking", log=["ifreload -a"])


def revert(ctx, params):
    storage.ensure_node(ctx, params["node"])
    ctx.state["network"]["pending"] = None
    return None
