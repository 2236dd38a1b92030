"""Unbound DNS: host overrides, host aliases, query forwarding, settings and the service."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fleet.lab.sim.opnsense import crud, service
from fleet.lab.sim.opnsense.crud import HOOKS, Hooks, Item
from fleet.lab.sim.opnsense.http import Call
from fleet.lab.sim.opnsense.models import model
from fleet.lab.sim.opnsense.routes import route

if TYPE_CHECKING:
    from fleet.lab.sim.opnsense.device import OPNsenseDevice

HOST = model("host")
HOST_ALIAS = model("host_alias")
DOT = model("dot")
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


HOOKS["host"] = Hooks(volatile=host_volatile, row=host_row, after_delete=host_after_delete)


def _crud_routes(name: str, m: Any, overlay: Item | None = None, keep=None) -> None:
    base = "/api/unbound/settings/"

    @route(f"{base}search{name}")
    def search(dev: OPNsenseDevice, call: Call) -> Any:
        return crud.search(dev, m, call, keep(call) if keep else None)

    @route(f"{base}get{name}")
    def get(dev: OPNsenseDevice, call: Call) -> Any:
        return crud.get(dev, m, call.param(0))

    @route(f"{base}add{name}")
    def add(dev: OPNsenseDevice, call: Call) -> Any:
        return crud.add(dev, m, call, overlay)

    @route(f"{base}set{name}")
    def set_(dev: OPNsenseDevice, call: Call) -> Any:
        return crud.set_(dev, m, call, call.param(0), overlay)

    @route(f"{base}del{name}")
    def delete(dev: OPNsenseDevice, call: Call) -> Any:
        return crud.delete(dev, m, call, call.param(0))

    @route(f"{base}toggle{name}")
    def toggle(dev: OPNsenseDevice, call: Call) -> Any:
        return crud.toggle(dev, m, call, call.param(0), call.param(1))


def _by_type(kind: str):
    def keep(call: Call):
        return lambda uuid, item: item.get("type") == kind

    return keep


def _by_host(call: Call):
    host = call.get("host")
    if not host:
        return None
    return lambda uuid, item: item.get("host") == host


_crud_routes("HostOverride", HOST)
_crud_routes("HostAlias", HOST_ALIAS, keep=_by_host)
_crud_routes("Forward", DOT, overlay={"type": "forward"}, keep=_by_type("forward"))
_crud_routes("Dot", DOT, overlay={"type": "dot"}, keep=_by_type("dot"))


@route("/api/unbound/settings/get")
def settings_get(dev: OPNsenseDevice, call: Call) -> Any:
    out: dict[str, Any] = {dev.model(k).post_key: crud.get_section(dev, k) for k in SECTIONS}
    for key, m, wrap, outer in (
        ("dot", DOT, "dot", "dots"),
        ("host", HOST, "host", "hosts"),
        ("host_alias", HOST_ALIAS, "alias", "aliases"),
    ):
        out[outer] = {
            wrap: {u: crud.render_get(dev, m, u, i) for u, i in dev.store.items(key).items()}
        }
    return {"unbound": out}


@route("/api/unbound/settings/set")
def settings_set(dev: OPNsenseDevice, call: Call) -> Any:
    return crud.set_sections(dev, call, "unbound", SECTIONS)


@route("/api/unbound/service/reconfigure")
def service_reconfigure(dev: OPNsenseDevice, call: Call) -> Any:
    return service.reconfigure(dev, call, "unbound", "unbound.general")


@route("/api/unbound/service/reconfigureGeneral")
def service_reconfigure_general(dev: OPNsenseDevice, call: Call) -> Any:
    return service.reconfigure(dev, call, "unbound", "unbound.general")


@route("/api/unbound/service/status")
def service_status(dev: OPNsenseDevice, call: Call) -> Any:
    return service.status(dev, call, "unbound", "unbound.general")


@route("/api/unbound/service/start")
def service_start(dev: OPNsenseDevice, call: Call) -> Any:
    return service.control(dev, call, "unbound", "start")


@route("/api/unbound/service/stop")
def service_stop(dev: OPNsenseDevice, call: Call) -> Any:
    return service.control(dev, call, "unbound", "stop")


@route("/api/unbound/service/restart")
def service_restart(dev: OPNsenseDevice, call: Call) -> Any:
    return service.control(dev, call, "unbound", "restart")


@route("/api/unbound/service/dnsbl")
def service_dnsbl(dev: OPNsenseDevice, call: Call) -> Any:
    if not call.is_post:
        return {"status": "failed"}
    return {"status": service.CONFIGD_OK}
