"""VLAN devices: `/api/interfaces/vlan_settings/*` (post key `vlan`)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from fleet.lab.sim.opnsense import crud, modelio
from fleet.lab.sim.opnsense.crud import Hooks, Item, Messages
from fleet.lab.sim.opnsense.http import Call, user_exception
from fleet.lab.sim.opnsense.models import model

if TYPE_CHECKING:
    from fleet.lab.sim.opnsense.device import OPNsenseDevice

VLAN = model("vlan")


def _assigned(dev: OPNsenseDevice, vlanif: str) -> str | None:
    for key, iface in dev.state["system"]["interfaces"].items():
        if iface.get("if") == vlanif:
            return key
    return None


def vlan_prepare(dev: OPNsenseDevice, uuid: str, item: Item) -> Item:
    """An empty device name becomes vlan0<N> (qinq0<N> on a VLAN parent), N = highest + 1."""
    if item.get("vlanif"):
        return item
    vlans = dev.store.items("vlan")
    qinq = any(v["vlanif"] == item.get("if") for u, v in vlans.items() if u != uuid)
    prefix = "qinq0" if qinq else "vlan0"
    numbers = [
        int(m.group(1))
        for u, v in vlans.items()
        if u != uuid and (m := re.fullmatch(re.escape(prefix) + r"(\d+)", v["vlanif"]))
    ]
    return item | {"vlanif": f"{prefix}{max(numbers, default=0) + 1}"}


def vlan_validate(dev: OPNsenseDevice, uuid: str, item: Item) -> Messages:
    msgs: Messages = {}
    old = dev.store.items("vlan").get(uuid)
    if old is not None and _assigned(dev, old["vlanif"]):
        if old["tag"] != item.get("tag"):
            msgs["tag"] = [
                "Interface is assigned and you cannot change the VLAN tag while assigned."
            ]
        if old["vlanif"] != item.get("vlanif"):
            msgs["vlanif"] = [
                "Interface is assigned and you cannot change the device name while assigned."
            ]
    return msgs


def vlan_before_delete(dev: OPNsenseDevice, uuid: str, item: Item) -> None:
    if _assigned(dev, item["vlanif"]):
        raise user_exception(
            "This VLAN cannot be deleted because it is assigned as an interface.", "VLAN"
        )
    if any(v["if"] == item["vlanif"] for v in dev.store.items("vlan").values()):
        raise user_exception(
            "This VLAN cannot be deleted because it is used in QinQ interfaces.", "VLAN"
        )


VLAN_HOOKS = Hooks(prepare=vlan_prepare, validate=vlan_validate, before_delete=vlan_before_delete)


VLANS = crud.Collection(VLAN, multi_delete=True)
# the key is doubled: root `vlan`, array field `vlan`; set skips the assigned/QinQ checks
VLAN_MODEL = modelio.ModelController(modelio.Tree("vlan", {"vlan": "vlan"}, controller_checks=True))


def vlan_reconfigure(dev: OPNsenseDevice, call: Call) -> Any:
    if not call.is_post:
        return {"status": "failed"}
    dev.store.apply("vlan")
    return {"status": "ok"}
