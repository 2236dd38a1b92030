"""Kea DHCPv4: subnets, reservations, options, HA peers, settings, service and leases."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

from fleet.lab.sim.opnsense import crud, service
from fleet.lab.sim.opnsense.crud import Hooks, Item, Messages
from fleet.lab.sim.opnsense.csvio import CsvTransfer
from fleet.lab.sim.opnsense.http import Call, unexpected, user_exception
from fleet.lab.sim.opnsense.models import model

if TYPE_CHECKING:
    from fleet.lab.sim.opnsense.device import OPNsenseDevice

SUBNET = model("subnet4")
RESERVATION = model("reservation")
OPTION = model("kea_option")
PEER = model("kea_peer")
SECTIONS = ["kea.general", "kea.lexpire", "kea.ha"]


def _net(value: str) -> ipaddress.IPv4Network | None:
    try:
        net = ipaddress.ip_network(value, strict=False)
    except ValueError:
        return None
    return net if isinstance(net, ipaddress.IPv4Network) else None


def subnet_prepare(dev: OPNsenseDevice, uuid: str, item: Item) -> Item:
    """AutoNumberField: subnet_id = highest + 1 when empty."""
    if item.get("subnet_id"):
        return item
    ids = [
        int(s["subnet_id"])
        for u, s in dev.store.items("subnet4").items()
        if u != uuid and s.get("subnet_id", "").isdigit()
    ]
    return item | {"subnet_id": str(max(ids, default=0) + 1)}


def subnet_validate(dev: OPNsenseDevice, uuid: str, item: Item) -> Messages:
    net = _net(item.get("subnet", ""))
    bad = []
    for entry in [p.strip() for p in item.get("pools", "").split("\n") if p.strip()]:
        ok = False
        if "-" in entry:
            lo, _, hi = entry.partition("-")
            try:
                a, b = ipaddress.IPv4Address(lo.strip()), ipaddress.IPv4Address(hi.strip())
                ok = a <= b and (net is None or (a in net and b in net))
            except ValueError:
                ok = False
        else:
            pool = _net(entry)
            ok = pool is not None and (net is None or pool.subnet_of(net))
        if not ok:
            bad.append(f'Entry "{entry}" is not a valid range or subnet.')
    return {"pools": bad} if bad else {}


def subnet_before_delete(dev: OPNsenseDevice, uuid: str, item: Item) -> None:
    users = [
        f"reservations.reservation {{{r.get('hw_address') or u}}}"
        for u, r in dev.store.items("reservation").items()
        if r["subnet"] == uuid
    ]
    if users:
        raise user_exception(
            "\n".join(users), f"Item subnets.subnet4 {{{item['subnet']}}} in use by:"
        )


def reservation_validate(dev: OPNsenseDevice, uuid: str, item: Item) -> Messages:
    subnet = dev.store.items("subnet4").get(item.get("subnet", ""))
    ip = item.get("ip_address", "")
    if subnet is None or not ip:
        return {}
    net = _net(subnet["subnet"])
    try:
        inside = net is not None and ipaddress.IPv4Address(ip) in net
    except ValueError:
        return {}  # the field rule already reports the address
    return {} if inside else {"ip_address": ["Address not in specified subnet."]}


def option_before_delete(dev: OPNsenseDevice, uuid: str, item: Item) -> None:
    users = [
        f"{kind} {{{u}}}"
        for key, kind in (
            ("subnet4", "subnets.subnet4"),
            ("reservation", "reservations.reservation"),
        )
        for u, i in dev.store.items(key).items()
        if uuid in i.get("option", "").split(",")
    ]
    if users:
        raise user_exception(
            "\n".join(users), f"Item options.option {{{item['description']}}} in use by:"
        )


SUBNET_HOOKS = Hooks(
    prepare=subnet_prepare, validate=subnet_validate, before_delete=subnet_before_delete
)
RESERVATION_HOOKS = Hooks(validate=reservation_validate)
OPTION_HOOKS = Hooks(before_delete=option_before_delete)


SUBNETS = crud.Collection(SUBNET)
RESERVATIONS = crud.Collection(RESERVATION)
OPTIONS = crud.Collection(OPTION)
PEERS = crud.Collection(PEER)
RESERVATIONS_CSV = CsvTransfer(RESERVATION, "reservations.csv")


def subnet_get(dev: OPNsenseDevice, call: Call) -> Any:
    out = SUBNETS.get(dev, call)
    if out and call.get("fetchmode") == "copy":
        # a copy gets the next free subnet_id
        out[SUBNET.post_key]["subnet_id"] = subnet_prepare(dev, "", {})["subnet_id"]
    return out


def settings_get(dev: OPNsenseDevice, call: Call) -> Any:
    """Dhcpv4Controller overrides get: ≤25.7 {general, ha, this_hostname}, 26.1 adds lexpire,
    26.7 moves the host name into ha's '%this_server_name' (reference: get_set_detail)."""
    if call.method != "GET":
        raise unexpected()  # the override reads keys the base left out: a PHP warning → 500
    r = dev.release
    keys = SECTIONS if r.at_least("26.1") else [k for k in SECTIONS if k != "kea.lexpire"]
    out = {dev.model(k).post_key: crud.get_section(dev, k) for k in keys}
    hostname = dev.state["system"]["hostname"]
    if r.at_least("26.7"):
        out["ha"]["%this_server_name"] = hostname
    else:
        out["this_hostname"] = hostname
    return {"dhcpv4": out}


def settings_set(dev: OPNsenseDevice, call: Call) -> Any:
    return crud.set_sections(dev, call, "dhcpv4", SECTIONS)


SERVICE = service.Service("kea", "kea.general")


def leases_search(dev: OPNsenseDevice, call: Call) -> Any:
    """No DHCP clients live in the lab: the lease table is empty."""
    return crud.grid(call, [], "address")
