"""The OPNsense models the simulator serves, built from the shipped reference file.

Field types, defaults, option lists, masks and validation messages come from
`data/opnsense-api.json` (a copy of the shared API reference), so the simulator and the contract
tests read the same facts. Settings sections the reference only names are declared here in the
same format, with the fields and defaults of the OPNsense model XML.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

from fleet.lab.sim.opnsense.fields import Field, build_fields

DATA = Path(__file__).parent / "data" / "opnsense-api.json"


@cache
def reference() -> dict[str, Any]:
    return json.loads(DATA.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Model:
    """One array of items (aliases, rules, …) or one settings section."""

    key: str  # collection name in the device config
    post_key: str  # wrapper key of request and response bodies
    fields: tuple[Field, ...]
    default_sort: str = ""
    xml: str = (
        ""  # path of the item list in config.xml, e.g. "OPNsense/Firewall/Alias/aliases/alias"
    )

    def field(self, name: str) -> Field | None:
        for f in self.fields:
            if f.name == name:
                return f
        return None

    @property
    def stored(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if not f.volatile)


def _fields(spec: dict[str, Any]) -> tuple[Field, ...]:
    return tuple(build_fields(spec))


def _ref_model(*path: str) -> dict[str, Any]:
    node: Any = reference()["modules"]
    for p in path:
        node = node[p]
    return node


def _b(default: str) -> dict[str, str]:
    return {"type": "BooleanField", "Default": default, "Required": "Y"}


def _int(default: str = "", lo: str | None = None, hi: str | None = None) -> dict[str, str]:
    d = {"type": "IntegerField"}
    if default:
        d["Default"] = default
    if lo is not None:
        d["MinimumValue"] = lo
    if hi is not None:
        d["MaximumValue"] = hi
    return d


# Settings sections the reference names without listing fields (unbound general/advanced,
# kea lexpire/ha); fields and defaults follow the OPNsense model XML of 26.7.
UNBOUND_GENERAL = {
    "enabled": {"type": "BooleanField", "Default": "0", "Required": "Y"},
    "port": {"type": "PortField", "Default": "53", "Required": "Y"},
    "stats": _b("0"),
    "active_interface": {"type": "InterfaceField", "Multiple": "Y"},
    "dnssec": _b("0"),
    "dns64": _b("0"),
    "dns64prefix": {"type": "NetworkField", "AddressFamily": "ipv6"},
    "noarecords": _b("0"),
    "regdhcp": _b("0"),
    "regdhcpdomain": {"type": "HostnameField", "IpAllowed": "N"},
    "regdhcpstatic": _b("0"),
    "noreglladdr6": _b("0"),
    "noregrecords": _b("0"),
    "txtsupport": _b("0"),
    "cacheflush": _b("0"),
    "local_zone_type": {
        "type": "OptionField",
        "Required": "Y",
        "Default": "transparent",
        "options": {
            "transparent": "transparent",
            "always_nxdomain": "always_nxdomain",
            "always_refuse": "always_refuse",
            "always_transparent": "always_transparent",
            "deny": "deny",
            "inform": "inform",
            "inform_deny": "inform_deny",
            "nodefault": "nodefault",
            "refuse": "refuse",
            "static": "static",
            "typetransparent": "typetransparent",
        },
    },
    "outgoing_interface": {"type": "InterfaceField", "Multiple": "Y"},
    "enable_wpad": _b("0"),
}
UNBOUND_ADVANCED = {
    "hideidentity": _b("0"),
    "hideversion": _b("0"),
    "prefetch": _b("0"),
    "prefetchkey": _b("0"),
    "dnssecstripped": _b("0"),
    "serveexpired": _b("0"),
    "qnameminstrict": _b("0"),
    "extendedstatistics": _b("0"),
    "logqueries": _b("0"),
    "loglevel": {
        "type": "OptionField",
        "Required": "Y",
        "Default": "1",
        "options": {"0": "Level 0", "1": "Level 1 (default)", "2": "Level 2", "3": "Level 3"},
    },
    "valloglevel": {
        "type": "OptionField",
        "Required": "Y",
        "Default": "0",
        "options": {"0": "Level 0 (default)", "1": "Level 1", "2": "Level 2"},
    },
    "privatedomain": {"type": "HostnameField", "AsList": "Y", "IpAllowed": "N"},
    "insecuredomain": {"type": "HostnameField", "AsList": "Y", "IpAllowed": "N"},
    "msgcachesize": {"type": "TextField", "Mask": "/^[0-9]+[mk]?$/"},
    "rrsetcachesize": {"type": "TextField", "Mask": "/^[0-9]+[mk]?$/"},
    "outgoingnumtcp": _int(lo="0"),
    "incomingnumtcp": _int(lo="0"),
    "numqueriesperthread": _int(lo="0"),
    "outgoingrange": _int(lo="0"),
    "jostletimeout": _int(lo="0"),
    "cachemaxttl": _int(lo="0"),
    "cachemaxnegativettl": _int(lo="0"),
    "cacheminttl": _int(lo="0"),
    "infrahostttl": _int(lo="0"),
    "infrakeepprobing": _b("0"),
    "infracachenumhosts": _int(lo="0"),
    "unwantedreplythreshold": _int(lo="0"),
}
UNBOUND_FORWARDING = {"enabled": _b("0")}
UNBOUND_DNSBL = {"enabled": _b("0")}
UNBOUND_ACLS = {"default_action": {
    "type": "OptionField",
    "Required": "Y",
    "Default": "allow",
    "options": {"allow": "Allow", "deny": "Deny", "refuse": "Refuse"},
}}  # fmt: skip
KEA_LEXPIRE = {
    "reclaim_timer_wait_time": _int(lo="0"),
    "flush_reclaimed_timer_wait_time": _int(lo="0"),
    "hold_reclaimed_time": _int(lo="0"),
    "max_reclaim_leases": _int(lo="0"),
    "max_reclaim_time": _int(lo="0"),
    "unwarned_reclaim_cycles": _int(lo="0"),
}
KEA_HA = {
    "enabled": _b("0"),
    "this_server_name": {"type": "TextField", "Mask": "/^([0-9a-zA-Z.\\:\\-,_]){0,1024}$/u"},
    "max_unacked_clients": _int("2", lo="0"),
}
KEA_PEER = {
    "name": {"type": "TextField", "Required": "Y"},
    "role": {
        "type": "OptionField",
        "Required": "Y",
        "Default": "primary",
        "options": {"primary": "primary", "standby": "standby"},
    },
    "url": {"type": "TextField", "Required": "Y", "Mask": "/^https?:\\/\\/[^\\s]+$/"},
}


@cache
def models() -> dict[str, Model]:
    kea = _ref_model("kea_dhcpv4")
    unbound = _ref_model("unbound")
    m = [
        Model(
            "alias",
            "alias",
            _fields(_ref_model("firewall_alias", "model", "fields")),
            "name",
            "OPNsense/Firewall/Alias/aliases/alias",
        ),
        Model(
            "rule",
            "rule",
            _fields(_ref_model("firewall_filter", "model", "fields")),
            "sort_order",
            "OPNsense/Firewall/Filter/rules/rule",
        ),
        Model(
            "vlan",
            "vlan",
            _fields(_ref_model("interfaces_vlan", "model", "fields")),
            "vlanif",
            "vlans/vlan",
        ),
        Model(
            "host",
            "host",
            _fields(unbound["host_overrides"]["model"]["fields"]),
            "hostname",
            "OPNsense/unboundplus/hosts/host",
        ),
        Model(
            "host_alias",
            "alias",
            _fields(unbound["host_aliases"]["model"]["fields"]),
            "hostname",
            "OPNsense/unboundplus/aliases/alias",
        ),
        Model(
            "dot",
            "dot",
            _fields(unbound["query_forwarding_and_domain_overrides_25.1+"]["model"]["fields"]),
            "domain",
            "OPNsense/unboundplus/dots/dot",
        ),
        Model(
            "domain",
            "domain",
            _fields(unbound["domain_overrides_legacy_22.7-24.7"]["model"]["fields"]),
            "domain",
            "OPNsense/unboundplus/domains/domain",
        ),
        Model(
            "subnet4",
            "subnet4",
            _fields(kea["subnets"]["model"]["fields"]),
            "subnet",
            "OPNsense/Kea/dhcp4/subnets/subnet4",
        ),
        Model(
            "reservation",
            "reservation",
            _fields(kea["reservations"]["model"]["fields"]),
            "hw_address",
            "OPNsense/Kea/dhcp4/reservations/reservation",
        ),
        Model(
            "kea_option",
            "option",
            _fields(kea["options_26.7"]["model"]["fields"]),
            "description",
            "OPNsense/Kea/dhcp4/options/option",
        ),
        Model("kea_peer", "peer", _fields(KEA_PEER), "name", "OPNsense/Kea/dhcp4/ha_peers/peer"),
        # settings sections (one item each)
        Model("unbound.general", "general", _fields(UNBOUND_GENERAL)),
        Model("unbound.advanced", "advanced", _fields(UNBOUND_ADVANCED)),
        Model("unbound.acls", "acls", _fields(UNBOUND_ACLS)),
        Model("unbound.dnsbl", "dnsbl", _fields(UNBOUND_DNSBL)),
        Model("unbound.forwarding", "forwarding", _fields(UNBOUND_FORWARDING)),
        Model("kea.general", "general", _fields(kea["settings"]["general_model"]["fields"])),
        Model("kea.lexpire", "lexpire", _fields(KEA_LEXPIRE)),
        Model("kea.ha", "ha", _fields(KEA_HA)),
    ]
    return {x.key: x for x in m}


def model(key: str) -> Model:
    return models()[key]


@cache
def model_for(key: str, fields: tuple[str, ...] | None) -> Model:
    """A model restricted to the fields a release has (None: all of the reference's)."""
    m = model(key)
    if fields is None:
        return m
    return replace(m, fields=tuple(f for f in m.fields if f.name in fields))


COLLECTIONS = ("alias", "rule", "vlan", "host", "host_alias", "dot", "domain", "subnet4",
               "reservation", "kea_option", "kea_peer")  # fmt: skip
SETTINGS = ("unbound.general", "unbound.advanced", "unbound.acls", "unbound.dnsbl",
            "unbound.forwarding", "kea.general", "kea.lexpire", "kea.ha")  # fmt: skip


def defaults(m: Model) -> dict[str, str]:
    return {f.name: f.default for f in m.stored}
