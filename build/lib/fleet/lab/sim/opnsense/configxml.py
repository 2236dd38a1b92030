"""config.xml rendered from a device configuration, laid out like OPNsense's /conf/config.xml."""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from typing import Any

from fleet.lab.sim.opnsense.models import Model, model

MODEL_VERSIONS = {"alias": "1.0.1", "rule": "1.0.5", "vlan": "1.0.0", "unbound": "1.0.15",
                  "kea": "1.0.6"}  # fmt: skip


def _text(parent: ET.Element, tag: str, value: str = "") -> ET.Element:
    el = ET.SubElement(parent, tag)
    if value:
        el.text = value
    return el


def _fields(parent: ET.Element, m: Model, item: dict[str, str]) -> None:
    for f in m.stored:
        node = parent
        parts = f.name.split(".")
        for p in parts[:-1]:
            found = node.find(p)
            node = found if found is not None else ET.SubElement(node, p)
        _text(node, parts[-1], item.get(f.name, ""))


def _items(parent: ET.Element, tag: str, key: str, items: dict[str, dict[str, str]]) -> None:
    m = model(key)
    for uuid, item in items.items():
        el = ET.SubElement(parent, tag, {"uuid": uuid})
        _fields(el, m, item)


def _section(parent: ET.Element, tag: str, key: str, config: dict[str, Any]) -> None:
    _fields(ET.SubElement(parent, tag), model(key), config[key])


def render(state: dict[str, Any], config: dict[str, Any], revision: dict[str, str]) -> bytes:
    system = state["system"]
    root = ET.Element("opnsense")
    _text(root, "theme", "opnsense")
    sys_el = ET.SubElement(root, "system")
    _text(sys_el, "hostname", system["hostname"])
    _text(sys_el, "domain", system["domain"])
    _text(sys_el, "timezone", "Etc/UTC")
    _text(sys_el, "language", "en_US")
    user = ET.SubElement(sys_el, "user")
    _text(user, "name", "root")
    _text(user, "descr", "System Administrator")
    _text(user, "scope", "system")
    _text(user, "groupname", "admins")
    _text(user, "uid", "0")
    apikeys = ET.SubElement(user, "apikeys")
    key = ET.SubElement(apikeys, "item")
    _text(key, "key", state["key"])
    # OPNsense keeps only a crypt(3) hash of the secret; never the secret itself
    digest = hashlib.sha512(("lab$" + state["secret"]).encode()).hexdigest()
    _text(key, "secret", f"$6$lab${digest}")
    ifs = ET.SubElement(root, "interfaces")
    for name, iface in system["interfaces"].items():
        el = ET.SubElement(ifs, name)
        _text(el, "enable", "1")
        for k in ("if", "descr", "ipaddr", "subnet"):
            if k in iface:
                _text(el, k, iface[k])
    vlans = ET.SubElement(root, "vlans", {"version": MODEL_VERSIONS["vlan"]})
    _items(vlans, "vlan", "vlan", config["vlan"])

    opn = ET.SubElement(root, "OPNsense")
    fw = ET.SubElement(opn, "Firewall")
    alias = ET.SubElement(fw, "Alias", {"version": MODEL_VERSIONS["alias"]})
    geoip = ET.SubElement(alias, "geoip")
    _text(geoip, "url")
    _items(ET.SubElement(alias, "aliases"), "alias", "alias", config["alias"])
    filt = ET.SubElement(fw, "Filter", {"version": MODEL_VERSIONS["rule"]})
    _items(ET.SubElement(filt, "rules"), "rule", "rule", config["rule"])

    ub = ET.SubElement(opn, "unboundplus", {"version": MODEL_VERSIONS["unbound"]})
    for tag in ("general", "advanced", "acls", "dnsbl", "forwarding"):
        _section(ub, tag, f"unbound.{tag}", config)
    _items(ET.SubElement(ub, "dots"), "dot", "dot", config["dot"])
    _items(ET.SubElement(ub, "hosts"), "host", "host", config["host"])
    _items(ET.SubElement(ub, "aliases"), "alias", "host_alias", config["host_alias"])

    kea = ET.SubElement(ET.SubElement(opn, "Kea"), "dhcp4", {"version": MODEL_VERSIONS["kea"]})
    for tag in ("general", "lexpire", "ha"):
        _section(kea, tag, f"kea.{tag}", config)
    _items(ET.SubElement(kea, "subnets"), "subnet4", "subnet4", config["subnet4"])
    _items(ET.SubElement(kea, "reservations"), "reservation", "reservation", config["reservation"])
    _items(ET.SubElement(kea, "options"), "option", "kea_option", config["kea_option"])
    _items(ET.SubElement(kea, "ha_peers"), "peer", "kea_peer", config["kea_peer"])

    rev = ET.SubElement(root, "revision")
    _text(rev, "username", revision["username"])
    _text(rev, "description", revision["description"])
    _text(rev, "time", revision["time"])
    ET.indent(root, space="  ")
    return b'<?xml version="1.0"?>\n' + ET.tostring(root, encoding="utf-8") + b"\n"
