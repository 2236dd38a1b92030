"""Unbound DNS: host overrides, host aliases, query forwarding, settings and the service."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fleet.lab.sim.opnsense import crud, service
from fleet.lab.sim.opnsense.crud import Hooks, Item
from fleet.lab.sim.opnsense.http import Call
from fleet.lab.sim.opnsense.models import model

if TYPE_CHECKING:
    from fleet.lab.sim.opnsense.device import OPNsenseDevice

HOST = model("host")
HOST_ALIAS = model("host_alias")
DOT = model("dot")
DOMAIN = model("domain")
SECTIONS = ["unbound.general", "unbound.advanced", "unbound.acls", "unbound.dnsbl",
            "unbound.forwarding"]  # fmt: skip


def _fqdn(item: Item) -> str:
    return ".".join(p for p in (item.get("hostname", ""), item.get("domain", "")) if p)


def host_volatile(dev: OPNsenseDevice, uuid: str, item: Item) -> dict[str, str]:
    names = [_fqdn(a) for a in dev.store.items("host_alias").values() if a["host"] == uuid]
    return {"aliases": ",".join(names)}


def host_row(dev: OPNsenseDevice, uuid: str, item: Item, row: dict[str, Any]) -> None:
    row["isAlias"] = False
    row["_children"] = [
        crud.render_row(dev, HOST_ALIAS, u, a) | {"isAlias": True}
        for u, a in dev.store.items("host_alias").items()
        if a["host"] == uuid
    ]


def host_after_delete(dev: OPNsenseDevice, uuid: str, item: Item) -> None:
    aliases = dev.store.items("host_alias")
    for u in [u for u, a in aliases.items() if a["host"] == uuid]:
        del aliases[u]


HOST_HOOKS = Hooks(volatile=host_volatile, row=host_row, after_delete=host_after_delete)


def _by_type(kind: str):
    def keep(call: Call):
        return lambda uuid, item: item.get("type") == kind

    return keep


def _by_host(call: Call):
    host = call.get("host")
    if not host:
        return None
    return lambda uuid, item: item.get("host") == host


HOST_OVERRIDES = crud.Collection(HOST)
HOST_ALIASES = crud.Collection(HOST_ALIAS, keep=_by_host)
# forwards and DNS-over-TLS servers are one model told apart by `type`
FORWARDS = crud.Collection(DOT, overlay={"type": "forward"}, keep=_by_type("forward"))
DOTS = crud.Collection(DOT, overlay={"type": "dot"}, keep=_by_type("dot"))
# domain overrides: 22.7 – 24.7 (routes served per release: releases.UNTIL)
DOMAIN_OVERRIDES = crud.Collection(DOMAIN)


def settings_get(dev: OPNsenseDevice, call: Call) -> Any:
    if call.method != "GET":
        return []
    out: dict[str, Any] = {dev.model(k).post_key: crud.get_section(dev, k) for k in SECTIONS}
    sections = [
        ("dot", DOT, "dot", "dots"),
        ("host", HOST, "host", "hosts"),
        ("host_alias", HOST_ALIAS, "alias", "aliases"),
    ]
    if dev.release.domain_overrides:  # 22.7 – 24.7
        sections.append(("domain", DOMAIN, "domain", "domains"))
    for key, m, wrap, outer in sections:
        m = dev.model(key)
        out[outer] = {
            wrap: {
                u: crud.render_get(dev, m, u, i, item_hooks=False)
                for u, i in dev.store.items(key).items()
            }
        }
    return {"unbound": out}


def settings_set(dev: OPNsenseDevice, call: Call) -> Any:
    return crud.set_sections(dev, call, "unbound", SECTIONS)


SERVICE = service.Service("unbound", "unbound.general")


def service_dnsbl(dev: OPNsenseDevice, call: Call) -> Any:
    if not call.is_post:
        return {"status": "failed"}
    return {"status": service.CONFIGD_OK}
