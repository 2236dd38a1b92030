"""The object types fleet manages on a firewall: where they live in the API, which fields fleet
owns (and in which form they compare, values.py), how an object is recognised, and which
service applies them.

Identity: fleet finds its objects by name or by the `[fleet]` marker in their description,
never by position. `key` names the fields that identify an object (an alias by its name, a VLAN
by its device, a Kea subnet by its network…); kinds without a key (filter rules, Kea
reservations) are identified by the name written after the marker, `[fleet] <name>`.
Objects without the marker are *unmanaged*: reported, never changed. `natural` lists fields
OPNsense keeps unique: a desired object that would clash with an unmanaged one is a conflict,
reported before anything is written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

if __name__.startswith("ansible."):  # run by Ansible: the module_utils copies
    from ansible.module_utils.fleet_opnsense_values import is_marked, leaf, normal, unmarked
else:
    from fleet.opnsense.values import is_marked, leaf, normal, unmarked


@dataclass(frozen=True)
class Kind:
    name: str  # the `kind` of a change, e.g. "alias"
    title: str  # how people call one, e.g. "alias", "DHCP reservation"
    post_key: str  # the request/response wrapper key
    base: str  # module/controller, e.g. "firewall/alias"
    actions: tuple[str, str, str]  # add, set, del action names
    fields: dict[str, str]  # managed field → form (values.FORMS)
    marker: str = "description"  # the field holding "[fleet] …"
    key: tuple[str, ...] = ()  # identifying fields; () = the name after the marker
    natural: tuple[tuple[str, ...], ...] = ()  # unique field groups (conflicts)
    service: str = ""  # the apply/reconfigure path

    def identity(self, item: dict[str, Any]) -> str:
        """The object's name: its key fields, else the text after `[fleet]` up to a colon."""
        if self.key:
            return ".".join(
                normal(self.fields.get(f, "text"), leaf(item, f)) for f in self.key if leaf(item, f)
            )
        return unmarked(str(leaf(item, self.marker) or "")).split(":", 1)[0].strip()

    def label(self, item: dict[str, Any]) -> str:
        """How an object is named to people (unmanaged ones included)."""
        name = self.identity(item) if (self.key or self.managed(item)) else ""
        if not name:
            name = str(leaf(item, self.marker) or "") or "(no description)"
        return f"{self.title} {name}"

    def managed(self, item: dict[str, Any]) -> bool:
        return is_marked(str(leaf(item, self.marker) or ""))

    def normalised(self, item: dict[str, Any]) -> dict[str, str]:
        return {f: normal(form, leaf(item, f)) for f, form in self.fields.items()}

    def path(self, action: int, uuid: str | None = None) -> str:
        return f"{self.base}/{self.actions[action]}" + (f"/{uuid}" if uuid else "")


VLAN = Kind(
    "vlan",
    "VLAN",
    "vlan",
    "interfaces/vlan_settings",
    ("addItem", "setItem", "delItem"),
    {"if": "text", "tag": "int", "pcp": "int", "proto": "text", "vlanif": "text", "descr": "text"},
    marker="descr",
    key=("vlanif",),
    natural=(("vlanif",), ("if", "tag")),
    service="interfaces/vlan_settings/reconfigure",
)
ALIAS = Kind(
    "alias",
    "alias",
    "alias",
    "firewall/alias",
    ("addItem", "setItem", "delItem"),
    {"enabled": "bool", "name": "text", "type": "text", "content": "lines", "description": "text"},
    key=("name",),
    natural=(("name",),),
    service="firewall/alias/reconfigure",
)
RULE_FIELDS = {
    "enabled": "bool", "action": "text", "quick": "bool", "interface": "set",
    "direction": "text", "ipprotocol": "text", "protocol": "text",
    "source_net": "list", "source_not": "bool", "source_port": "text",
    "destination_net": "list", "destination_not": "bool", "destination_port": "text",
    "log": "bool", "description": "text",
}  # fmt: skip
RULE = Kind(
    "rule",
    "filter rule",
    "rule",
    "firewall/filter",
    ("addRule", "setRule", "delRule"),
    RULE_FIELDS,
    service="firewall/filter/apply",
)
HOST = Kind(
    "host",
    "host override",
    "host",
    "unbound/settings",
    ("addHostOverride", "setHostOverride", "delHostOverride"),
    {
        "enabled": "bool",
        "hostname": "lower",
        "domain": "lower",
        "rr": "text",
        "server": "lower",
        "description": "text",
    },  # fmt: skip
    key=("hostname", "domain"),
    natural=(("hostname", "domain", "rr"),),
    service="unbound/service/reconfigure",
)
FORWARD = Kind(
    "forward",
    "DNS forward",
    "dot",
    "unbound/settings",
    ("addForward", "setForward", "delForward"),
    {"enabled": "bool", "domain": "lower", "server": "lower", "description": "text"},
    key=("domain",),
    natural=(("domain", "server"),),
    service="unbound/service/reconfigure",
)
# up to 24.7: the same thing under its old name (Unbound domain overrides)
DOMAIN_OVERRIDE = replace(
    FORWARD,
    post_key="domain",
    actions=("addDomainOverride", "setDomainOverride", "delDomainOverride"),
)
SUBNET = Kind(
    "subnet",
    "DHCP subnet",
    "subnet4",
    "kea/dhcpv4",
    ("addSubnet", "setSubnet", "delSubnet"),
    {
        "subnet": "lower",
        "pools": "lines",
        "option_data_autocollect": "bool",
        "option_data.routers": "list",
        "option_data.domain_name_servers": "list",
        "option_data.ntp_servers": "list",
        "option_data.domain_name": "lower",
        "description": "text",
    },  # fmt: skip
    key=("subnet",),
    natural=(("subnet",),),
    service="kea/service/reconfigure",
)
RESERVATION = Kind(
    "reservation",
    "DHCP reservation",
    "reservation",
    "kea/dhcpv4",
    ("addReservation", "setReservation", "delReservation"),
    {
        "subnet": "lower",
        "ip_address": "lower",
        "hw_address": "lower",
        "hostname": "lower",
        "description": "text",
    },  # fmt: skip
    natural=(("ip_address",), ("subnet", "hw_address")),
    service="kea/service/reconfigure",
)
KEA_GENERAL = Kind(  # a settings section: one object, no marker, fleet owns these fields
    "kea_settings",
    "Kea DHCPv4 settings",
    "general",
    "kea/dhcpv4",
    ("", "set", ""),
    {"enabled": "bool", "interfaces": "set"},
    marker="",
    service="kea/service/reconfigure",
)

KINDS = {k.name: k for k in (VLAN, ALIAS, RULE, HOST, FORWARD, SUBNET, RESERVATION)}

# --- alias names (the registry checks them before any API call) -------------------------------

ALIAS_NAME = re.compile(
    r"^([a-zA-Z]|(([_a-zA-Z][a-zA-Z0-9]|[a-zA-Z][_a-zA-Z0-9])[_a-zA-Z0-9]{0,29}))$"
)
# pf keywords and names OPNsense refuses for an alias (AliasNameField / Alias model)
RESERVED_ALIAS_NAMES = frozenset(
    {"all", "any", "block", "from", "in", "inet", "inet6", "label", "on", "out", "pass", "port",
     "proto", "quick", "self", "table", "to", "urpf-failed", "user", "group", "keep", "state",
     "return", "drop", "rdr", "nat", "binat", "anchor", "scrub", "bogons", "bogonsv6",
     "sshlockout", "virusprot"}
)  # fmt: skip


def alias_name_problems(name: str) -> list[str]:
    """Why OPNsense would refuse `name` as an alias name (empty when it would take it)."""
    if not ALIAS_NAME.match(name):
        return [
            f"{name!r} is not an alias name OPNsense accepts: a letter or one underscore first, "
            "then letters, digits or underscores, at most 31 characters"
        ]
    if name.lower() in RESERVED_ALIAS_NAMES or name.startswith("__"):
        return [f"{name!r} is a reserved or built-in name in OPNsense; choose another"]
    return []
