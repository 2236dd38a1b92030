"""The firewall (OPNsense) sections of the registry: the regional baseline in region.yml
(`firewall:`), a site's additions and overrides in its site file (`firewall:`), their checks, and
the host vars the `opnsense` role gets (docs/opnsense.md documents every field).

Three layers, each named once:
- models (`FirewallRegion`, `FirewallSite`): one file's shape and formats;
- `check_region` / `check_site`: references between fields and files (VLAN names, pools,
  reservations, alias names), every problem naming the file and the field;
- `host_vars`: what a site's firewall should hold, in OPNsense's terms (VLAN devices, aliases,
  rules in order, DNS, DHCP), computed here so the generated inventory shows it for review.

Names fleet gives objects: aliases `net_<vlan>` (each VLAN's network), `region_nets` (the
regional supernet), `region_mgmt` (the regional management networks), `ntp_servers`,
`syslog_server`, `opsi_master`, `ports_<group>` (port groups); rules are named as in the
registry, the baseline's `management-from-region`, `<src>-to-<dst>`, `<vlan>-firewall`
(DNS/NTP to the firewall), `<vlan>-egress[-<group>]` and `<vlan>-default` (the default policy,
last).

Standard library and pydantic; no import of fleet.registry.models (which imports this module).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from fleet.errors import Problem
from fleet.opnsense.kinds import alias_name_problems

RULE_NAME = r"^[a-z0-9][a-z0-9-]{0,47}$"
GROUP_NAME = r"^[a-z][a-z0-9_]{0,20}$"
VLAN_NAME = r"^[a-z][a-z0-9_]{1,15}$"
INTERFACE_KEY = r"^(lan|opt[1-9][0-9]{0,2})$"
PAIR = r"^[a-z][a-z0-9_]{1,15}>[a-z][a-z0-9_]{1,15}$"
POOL = r"^[0-9]{1,5}-([0-9]{1,5}|last)$"
MAC = r"^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$"
PORT = r"^[0-9]{1,5}(-[0-9]{1,5})?$"
PROTOCOLS = ("any", "TCP", "UDP", "TCP/UDP", "ICMP")
FIREWALL_SERVICES = ("53", "123")  # what every VLAN asks the firewall: DNS (Unbound), NTP
RESERVED_RULES = ("management-from-region",)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


Port = Annotated[str, Field(pattern=PORT)]


class AliasSpec(_Strict):
    type: Literal["host", "network", "port"]
    content: list[str] = Field(min_length=1)
    description: str = ""

    @field_validator("content", mode="before")
    @classmethod
    def _strings(cls, value: Any) -> Any:
        return [str(v) for v in value] if isinstance(value, list) else value


class RuleSpec(_Strict):
    """A filter rule; `name` is its identity (the description `[fleet] <name>`)."""

    name: Annotated[str, Field(pattern=RULE_NAME)]
    interface: str | list[str]  # VLAN name(s) or `wan`
    action: Literal["pass", "block", "reject"] = "pass"
    direction: Literal["in", "out"] = "in"
    protocol: Literal["any", "TCP", "UDP", "TCP/UDP", "ICMP"] = "any"
    source: str = "any"  # any, self, a VLAN name, an alias name, an address or network
    destination: str = "any"
    port: str | int | None = None  # destination port: number, a-b, or a port group
    log: bool = False
    enabled: bool = True
    description: Annotated[str, Field(max_length=200)] = ""

    @property
    def interfaces(self) -> list[str]:
        return [self.interface] if isinstance(self.interface, str) else list(self.interface)


class DhcpRegion(_Strict):
    vlans: list[str] = Field(default_factory=list)  # VLANs with a Kea subnet
    pool: Annotated[str, Field(pattern=POOL)] = "100-last"  # host numbers, `last` = last usable
    pools: dict[str, list[Annotated[str, Field(pattern=POOL)]]] = Field(default_factory=dict)
    ntp_from_firewall: bool = True  # DHCP tells clients to use the firewall for NTP


class FirewallRegion(_Strict):
    """region.yml `firewall:`: the baseline of every site's firewall."""

    default_policy: Literal["block", "reject", "pass"] = "block"
    allow_inter_vlan: list[Annotated[str, Field(pattern=PAIR)]] = Field(default_factory=list)
    lan_parent: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_.]{1,15}$")] = "vtnet1"
    interfaces: dict[str, Annotated[str, Field(pattern=INTERFACE_KEY)]] = Field(
        default_factory=dict
    )
    management_networks: list[ipaddress.IPv4Network] = Field(default_factory=list)
    port_groups: dict[Annotated[str, Field(pattern=GROUP_NAME)], list[Port]] = Field(
        default_factory=dict
    )
    egress: dict[str, Literal["any"] | list[str]] = Field(default_factory=dict)
    aliases: dict[str, AliasSpec] = Field(default_factory=dict)
    rules: list[RuleSpec] = Field(default_factory=list)
    dhcp: DhcpRegion = Field(default_factory=DhcpRegion)
    forward_ad_realm: bool = True  # Unbound forwards the site's AD realm to its DC

    @field_validator("port_groups", mode="before")
    @classmethod
    def _port_strings(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: [str(p) for p in v] if isinstance(v, list) else v for k, v in value.items()}
        return value


class DnsHost(_Strict):
    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$")]
    vlan: str
    host: Annotated[int, Field(ge=1, le=65533)]


class Reservation(_Strict):
    hostname: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$")]
    mac: Annotated[str, Field(pattern=MAC)]
    vlan: str
    host: Annotated[int, Field(ge=1, le=65533)]
    description: Annotated[str, Field(max_length=200)] = ""


class DhcpSite(_Strict):
    vlans: list[str] | None = None  # replaces the region's list
    pools: dict[str, list[Annotated[str, Field(pattern=POOL)]]] = Field(default_factory=dict)
    reservations: list[Reservation] = Field(default_factory=list)


class FirewallSite(_Strict):
    """A site file's `firewall:`: the box, and what the site adds to the regional baseline."""

    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$")] = "fw1"
    host: Annotated[int, Field(ge=1, le=65533)] = 1  # the gateway address in every VLAN
    model: Literal["opnsense"] = "opnsense"
    allow_inter_vlan: list[Annotated[str, Field(pattern=PAIR)]] = Field(default_factory=list)
    egress: dict[str, Literal["any"] | list[str]] = Field(default_factory=dict)
    aliases: dict[str, AliasSpec] = Field(default_factory=dict)
    rules: list[RuleSpec] = Field(default_factory=list)
    dns_hosts: list[DnsHost] = Field(default_factory=list)
    dhcp: DhcpSite = Field(default_factory=DhcpSite)


# ---- checks --------------------------------------------------------------------------------


def _vlan_names(region: Any) -> list[str]:
    return [v.name for v in region.addressing.vlans]


def _pool_range(text: str, size: int) -> tuple[int, int]:
    first, _, last = text.partition("-")
    return int(first), size - 2 if last == "last" else int(last)


def _vlan_size(region: Any, vlan: str) -> int:
    return {v.name: 2 ** (32 - v.prefix) for v in region.addressing.vlans}[vlan]


def _collector(shown: str):
    """(the problems list, add(field, message)) for one file's firewall section."""
    problems: list[Problem] = []

    def add(where: str, message: str) -> None:
        problems.append(Problem(shown, f"firewall.{where}", message))

    return problems, add


def check_region(region: Any, shown: str) -> list[Problem]:
    """region.yml's firewall section against its own addressing plan."""
    fw: FirewallRegion = region.firewall
    vlans = _vlan_names(region)
    problems, add = _collector(shown)
    valid = ", ".join(vlans)
    _check_pairs(fw.allow_inter_vlan, vlans, add)
    keys: dict[str, str] = {}
    for vlan in vlans if fw.interfaces else []:  # none given: opt1, opt2… in catalogue order
        key = fw.interfaces.get(vlan)
        if key is None:
            add("interfaces", f"VLAN {vlan!r} has no interface key (e.g. {vlan}: opt1)")
        elif key in keys:
            add(f"interfaces.{vlan}", f"interface {key} is already assigned to VLAN {keys[key]!r}")
        else:
            keys[key] = vlan
    for vlan in fw.interfaces:
        if vlan not in vlans:
            add(f"interfaces.{vlan}", f"unknown VLAN {vlan!r} (valid: {valid})")
    problems += _check_egress(fw.egress, vlans, fw.port_groups, add, "egress")
    problems += _check_aliases(fw.aliases, add, "aliases")
    for i, vlan in enumerate(fw.dhcp.vlans):
        if vlan not in vlans:
            add(f"dhcp.vlans[{i}]", f"unknown VLAN {vlan!r} (valid: {valid})")
    for vlan, pools in fw.dhcp.pools.items():
        if vlan not in vlans:
            add(f"dhcp.pools.{vlan}", f"unknown VLAN {vlan!r} (valid: {valid})")
        else:
            _check_pools(region, vlan, pools, set(), add, f"dhcp.pools.{vlan}")
    names: set[str] = set()
    for i, rule in enumerate(fw.rules):
        if rule.name in names or rule.name in RESERVED_RULES:
            add(f"rules[{i}].name", f"rule name {rule.name!r} is already used")
        names.add(rule.name)
        _check_rule(rule, vlans, set(fw.aliases) | _generated_aliases(region), fw.port_groups,
                    add, f"rules[{i}]")  # fmt: skip
    return problems


def _check_pairs(pairs: list[str], vlans: list[str], add) -> None:
    for i, pair in enumerate(pairs):
        for name in pair.split(">"):
            if name not in vlans:
                add(f"allow_inter_vlan[{i}]",
                    f"unknown VLAN {name!r} in {pair!r} (valid: {', '.join(vlans)})")  # fmt: skip


def _generated_aliases(region: Any) -> set[str]:
    names = {f"net_{v}" for v in _vlan_names(region)} | {"region_nets"}
    fw: FirewallRegion = region.firewall
    if fw.management_networks:
        names.add("region_mgmt")
    if region.defaults.ntp_servers:
        names.add("ntp_servers")
    if region.defaults.syslog_server:
        names.add("syslog_server")
    if region.opsi.master_url:
        names.add("opsi_master")
    names |= {f"ports_{g}" for g in fw.port_groups}
    return names


def _check_egress(egress, vlans, groups, add, where) -> list[Problem]:
    for vlan, allowed in egress.items():
        if vlan not in vlans:
            add(f"{where}.{vlan}", f"unknown VLAN {vlan!r} (valid: {', '.join(vlans)})")
        if isinstance(allowed, list):
            for i, group in enumerate(allowed):
                if group not in groups:
                    known = ", ".join(sorted(groups)) or "none: add firewall.port_groups"
                    add(f"{where}.{vlan}[{i}]", f"unknown port group {group!r} (valid: {known})")
    return []


def _check_aliases(aliases, add, where) -> list[Problem]:
    for name, spec in aliases.items():
        for message in alias_name_problems(name):
            add(f"{where}.{name}", message)
        for i, entry in enumerate(spec.content):
            if spec.type == "port" and not re.fullmatch(PORT, entry):
                add(f"{where}.{name}.content[{i}]", f"{entry!r} is not a port or port range")
            if spec.type == "network" and not _network(entry):
                add(f"{where}.{name}.content[{i}]", f"{entry!r} is not an IPv4 network")
    return []


def _network(text: str) -> bool:
    try:
        ipaddress.IPv4Network(text, strict=False)
    except ValueError:
        return False
    return True


def _check_rule(rule: RuleSpec, vlans, aliases, groups, add, where) -> None:
    for iface in rule.interfaces:
        if iface != "wan" and iface not in vlans:
            add(f"{where}.interface", f"unknown VLAN {iface!r} (valid: wan, {', '.join(vlans)})")
            break
    for side in ("source", "destination"):
        value = getattr(rule, side)
        if value in ("any", "self") or value in vlans or value in aliases or _network(value):
            continue
        add(
            f"{where}.{side}",
            f"{value!r} is not a VLAN, an alias, a network, 'any' or 'self' "
            f"(VLANs: {', '.join(vlans)})",
        )
    if rule.port is not None:
        port = str(rule.port)
        if not re.fullmatch(PORT, port) and port not in groups:
            add(f"{where}.port", f"{port!r} is not a port, a range a-b or a port group")
        elif rule.protocol not in ("TCP", "UDP", "TCP/UDP"):
            add(f"{where}.protocol", "a port needs protocol TCP, UDP or TCP/UDP")


def _check_pools(region, vlan: str, pools: list[str], taken: set[int], add, where) -> None:
    size = _vlan_size(region, vlan)
    spans: list[tuple[int, int, int]] = []
    for i, text in enumerate(pools):
        first, last = _pool_range(text, size)
        if not 1 <= first <= last <= size - 2:
            add(f"{where}[{i}]", f"pool {text} is outside VLAN {vlan} (hosts 1..{size - 2})")
            continue
        inside = sorted(h for h in taken if first <= h <= last)
        if inside:
            add(
                f"{where}[{i}]",
                f"pool {text} of VLAN {vlan} holds fixed addresses (hosts {', '.join(map(str, inside))})",
            )
        for a, b, j in spans:
            if first <= b and a <= last:
                add(f"{where}[{i}]", f"pool {text} overlaps pool {pools[j]} of VLAN {vlan}")
        spans.append((first, last, i))


def check_site(region: Any, site: Any, shown: str) -> list[Problem]:
    """A site's firewall section against the region and the rest of the site."""
    fw: FirewallSite | None = site.firewall
    if fw is None:
        return []
    base: FirewallRegion = region.firewall
    vlans = _vlan_names(region)
    problems, add = _collector(shown)
    valid = ", ".join(vlans)
    _check_pairs(fw.allow_inter_vlan, vlans, add)
    _check_egress(fw.egress, vlans, base.port_groups, add, "egress")
    _check_aliases(fw.aliases, add, "aliases")
    for name in fw.aliases:
        if name in _generated_aliases(region):
            add(f"aliases.{name}", f"{name!r} is a name fleet gives a generated alias")
    aliases = set(fw.aliases) | set(base.aliases) | _generated_aliases(region)
    names = {r.name for r in base.rules} | set(RESERVED_RULES)
    for i, rule in enumerate(fw.rules):
        if rule.name in names or rule.name in _baseline_rule_names(region, site):
            add(f"rules[{i}].name", f"rule name {rule.name!r} is already used")
        names.add(rule.name)
        _check_rule(rule, vlans, aliases, base.port_groups, add, f"rules[{i}]")

    # fixed addresses per VLAN: the gateway and every host the site places there
    taken: dict[str, dict[int, str]] = {v: {fw.host: "the firewall"} for v in vlans}
    mgmt = taken.get("mgmt", {})
    for node in site.proxmox.nodes if site.proxmox else []:
        mgmt.setdefault(node.host, node.name)
    for switch in site.switches:
        mgmt.setdefault(switch.host, switch.name)
    templates = region.guest_templates
    for guest in site.guests:
        template = templates.get(guest.template)
        vlan = guest.vlan or (template.vlan if template else None)
        if vlan in taken:
            taken[vlan].setdefault(guest.host, guest.name)
    dns_names = {g.name for g in site.guests} | {fw.name}
    for i, host in enumerate(fw.dns_hosts):
        if host.vlan not in vlans:
            add(f"dns_hosts[{i}].vlan", f"unknown VLAN {host.vlan!r} (valid: {valid})")
            continue
        if not 0 < host.host < _vlan_size(region, host.vlan) - 1:
            add(f"dns_hosts[{i}].host", f"host number {host.host} is outside VLAN {host.vlan}")
        if host.name in dns_names:
            add(f"dns_hosts[{i}].name", f"{host.name!r} already has a DNS entry")
        dns_names.add(host.name)

    dhcp_vlans = fw.dhcp.vlans if fw.dhcp.vlans is not None else base.dhcp.vlans
    for i, vlan in enumerate(fw.dhcp.vlans or []):
        if vlan not in vlans:
            add(f"dhcp.vlans[{i}]", f"unknown VLAN {vlan!r} (valid: {valid})")
    for vlan in fw.dhcp.pools:
        if vlan not in dhcp_vlans:
            add(f"dhcp.pools.{vlan}", f"VLAN {vlan!r} has no DHCP subnet (DHCP VLANs: "
                f"{', '.join(dhcp_vlans) or 'none'})")  # fmt: skip
    macs: dict[str, str] = {}
    hostnames: dict[str, str] = {}
    reserved: dict[str, set[int]] = {}
    for i, res in enumerate(fw.dhcp.reservations):
        where = f"dhcp.reservations[{i}]"
        mac = res.mac.lower()
        if mac in macs:
            add(f"{where}.mac", f"MAC {mac} is already reserved for {macs[mac]}")
        macs.setdefault(mac, res.hostname)
        if res.hostname in hostnames or res.hostname in dns_names:
            add(f"{where}.hostname", f"{res.hostname!r} is already used on this site")
        hostnames.setdefault(res.hostname, where)
        if res.vlan not in dhcp_vlans:
            add(f"{where}.vlan", f"VLAN {res.vlan!r} has no DHCP subnet (DHCP VLANs: "
                f"{', '.join(dhcp_vlans) or 'none'})")  # fmt: skip
            continue
        size = _vlan_size(region, res.vlan)
        if not 0 < res.host < size - 1:
            add(f"{where}.host", f"host number {res.host} is outside VLAN {res.vlan}'s subnet "
                f"(valid: 1..{size - 2})")  # fmt: skip
            continue
        owner = taken.get(res.vlan, {}).get(res.host)
        if owner or res.host in reserved.get(res.vlan, set()):
            add(f"{where}.host", f"address {res.vlan}#{res.host} is already used"
                + (f" by {owner}" if owner else ""))  # fmt: skip
        reserved.setdefault(res.vlan, set()).add(res.host)
    for vlan in dhcp_vlans:
        if vlan not in vlans:
            continue
        pools = fw.dhcp.pools.get(vlan) or base.dhcp.pools.get(vlan) or [base.dhcp.pool]
        where = f"dhcp.pools.{vlan}" if vlan in fw.dhcp.pools else f"dhcp (pools of VLAN {vlan})"
        _check_pools(region, vlan, pools, set(taken.get(vlan, {})), add, where)
    return problems


def _baseline_rule_names(region: Any, site: Any) -> set[str]:
    return {r["name"] for r in _baseline_rules(region, site, _interface_keys(region))}


# ---- host vars -------------------------------------------------------------------------------


def _interface_keys(region: Any) -> dict[str, str]:
    """VLAN → the interface key it is assigned to: as given, else opt1, opt2… in the order of
    the VLAN catalogue (what the region's installer template assigns)."""
    given = dict(region.firewall.interfaces)
    return given or {v: f"opt{i + 1}" for i, v in enumerate(_vlan_names(region))}


def _net_ref(value: str, vlans: list[str]) -> str:
    """A registry source/destination in OPNsense's terms."""
    if value == "self":
        return "(self)"
    if value in vlans:
        return f"net_{value}"
    return value


def _port_ref(port: str | int | None, groups: dict) -> str:
    if port is None:
        return ""
    text = str(port)
    return f"ports_{text}" if text in groups else text


def _egress(region: Any, site: Any) -> dict[str, Any]:
    merged = dict(region.firewall.egress)
    merged.update(site.firewall.egress)
    return merged


def _pairs(region: Any, site: Any) -> list[str]:
    return list(dict.fromkeys([*region.firewall.allow_inter_vlan, *site.firewall.allow_inter_vlan]))


def _baseline_rules(region: Any, site: Any, keys: dict[str, str]) -> list[dict[str, Any]]:
    fw: FirewallRegion = region.firewall
    vlans = _vlan_names(region)
    out: list[dict[str, Any]] = []

    def rule(name, interface, **fields) -> None:
        out.append({"name": name, "interface": [interface], **fields})

    if fw.management_networks:
        rule("management-from-region", "wan", source="region_mgmt",
             description="management access from the regional network")  # fmt: skip
    pairs = _pairs(region, site)
    egress = _egress(region, site)
    for vlan in vlans:
        key = keys.get(vlan)
        if key is None:
            continue
        for pair in pairs:
            src, dst = pair.split(">")
            if src == vlan:
                rule(f"{src}-to-{dst}", key, source=f"net_{src}", destination=f"net_{dst}",
                     description=f"allow_inter_vlan {pair}")  # fmt: skip
        rule(f"{vlan}-firewall", key, protocol="TCP/UDP", source=f"net_{vlan}",
             destination="(self)", port="ports_firewall",
             description="DNS and NTP from the firewall")  # fmt: skip
        allowed = egress.get(vlan)
        if allowed == "any":
            rule(f"{vlan}-egress", key, source=f"net_{vlan}", destination="region_nets",
                 destination_not=True, description="egress to outside the region")  # fmt: skip
        elif allowed:
            for group in allowed:
                rule(f"{vlan}-egress-{group}", key, protocol="TCP/UDP", source=f"net_{vlan}",
                     destination="region_nets", destination_not=True, port=f"ports_{group}",
                     description=f"egress ({group}) to outside the region")  # fmt: skip
    return out


def _rule_vars(spec: RuleSpec, keys: dict[str, str], vlans: list[str], groups) -> dict[str, Any]:
    return {
        "name": spec.name,
        "interface": [keys.get(i, i) for i in spec.interfaces],
        "action": spec.action,
        "direction": spec.direction,
        "protocol": spec.protocol,
        "source": _net_ref(spec.source, vlans),
        "destination": _net_ref(spec.destination, vlans),
        "port": _port_ref(spec.port, groups),
        "log": spec.log,
        "enabled": spec.enabled,
        "description": spec.description,
    }


def _alias_list(spec: AliasSpec) -> dict[str, Any]:
    return {"type": spec.type, "content": list(spec.content), "description": spec.description}


def host_vars(registry: Any, site: Any) -> dict[str, Any]:
    """What the site's firewall should hold, for the `opnsense` role (docs/opnsense.md)."""
    region = registry.region
    fw_region: FirewallRegion = region.firewall
    fw: FirewallSite = site.firewall
    uai = site.uai
    nets = registry.networks(uai)
    vlans = _vlan_names(region)
    keys = _interface_keys(region)
    domain = registry.domain(uai)
    gateway = {name: str(net.network_address + fw.host) for name, net in nets.items()}

    def address(vlan: str, host: int) -> str:
        return str(nets[vlan].network_address + host)

    vlan_vars = [
        {
            "name": v.name,
            "tag": v.id,
            "parent": fw_region.lan_parent,
            "device": f"vlan0.{v.id}",
            "interface": keys.get(v.name, ""),
            "cidr": str(nets[v.name]),
            "gateway": gateway[v.name],
        }
        for v in region.addressing.vlans
    ]

    aliases: list[dict[str, Any]] = [
        {
            "name": f"net_{v}",
            "type": "network",
            "content": [str(nets[v])],
            "description": f"network of VLAN {v}",
        }  # fmt: skip
        for v in vlans
    ]
    aliases.append({"name": "region_nets", "type": "network",
                    "content": [str(region.addressing.supernet)],
                    "description": "every site of the region"})  # fmt: skip
    if fw_region.management_networks:
        aliases.append({"name": "region_mgmt", "type": "network",
                        "content": [str(n) for n in fw_region.management_networks],
                        "description": "regional management networks"})  # fmt: skip
    if region.defaults.ntp_servers:
        aliases.append({"name": "ntp_servers", "type": "host",
                        "content": list(region.defaults.ntp_servers),
                        "description": "regional NTP servers"})  # fmt: skip
    if region.defaults.syslog_server:
        aliases.append({"name": "syslog_server", "type": "host",
                        "content": [region.defaults.syslog_server],
                        "description": "regional syslog server"})  # fmt: skip
    master = urlsplit(region.opsi.master_url).hostname
    if master:
        aliases.append({"name": "opsi_master", "type": "host", "content": [master],
                        "description": "regional OPSI config server"})  # fmt: skip
    groups = {"firewall": list(FIREWALL_SERVICES), **fw_region.port_groups}
    for group, ports in groups.items():
        aliases.append({"name": f"ports_{group}", "type": "port", "content": list(ports),
                        "description": f"port group {group}"})  # fmt: skip
    for name, spec in {**fw_region.aliases, **fw.aliases}.items():
        aliases = [a for a in aliases if a["name"] != name]
        aliases.append({"name": name, **_alias_list(spec)})

    rules = _baseline_rules(region, site, keys)
    for spec in [*fw_region.rules, *fw.rules]:
        rules.append(_rule_vars(spec, keys, vlans, fw_region.port_groups))
    default = fw_region.default_policy
    for vlan in vlans:
        if vlan in keys:
            rules.append({"name": f"{vlan}-default", "interface": [keys[vlan]], "action": default,
                          "log": default != "pass",
                          "description": f"default policy of VLAN {vlan}"})  # fmt: skip

    hosts = (
        [{"hostname": fw.name, "domain": domain, "address": gateway["mgmt"]}]
        if "mgmt" in nets
        else []
    )
    for node in site.proxmox.nodes if site.proxmox else []:
        hosts.append(
            {"hostname": node.name, "domain": domain, "address": address("mgmt", node.host)}
        )
    dc_address = None
    for guest in site.guests:
        vlan = guest.vlan or region.guest_templates[guest.template].vlan
        hosts.append(
            {"hostname": guest.name, "domain": domain, "address": address(vlan, guest.host)}
        )
        if guest.template == "ad_dc" and dc_address is None:
            dc_address = address(vlan, guest.host)
    for switch in site.switches:
        hosts.append(
            {"hostname": switch.name, "domain": domain, "address": address("mgmt", switch.host)}
        )
    for extra in fw.dns_hosts:
        hosts.append(
            {"hostname": extra.name, "domain": domain, "address": address(extra.vlan, extra.host)}
        )
    forwards = []
    if fw_region.forward_ad_realm and site.samba_ad is not None and dc_address:
        forwards.append({"domain": site.samba_ad.realm.lower(), "server": dc_address,
                         "description": "the site's AD realm, to its domain controller"})  # fmt: skip

    dhcp_vlans = fw.dhcp.vlans if fw.dhcp.vlans is not None else fw_region.dhcp.vlans
    subnets = []
    for vlan in [v for v in vlans if v in dhcp_vlans]:
        size = _vlan_size(region, vlan)
        pools = fw.dhcp.pools.get(vlan) or fw_region.dhcp.pools.get(vlan) or [fw_region.dhcp.pool]
        ranges = []
        for text in pools:
            first, last = _pool_range(text, size)
            ranges.append(f"{address(vlan, first)}-{address(vlan, last)}")
        subnets.append({
            "vlan": vlan,
            "subnet": str(nets[vlan]),
            "pools": ranges,
            "routers": [gateway[vlan]],
            "dns_servers": [gateway[vlan]],
            "ntp_servers": [gateway[vlan]] if fw_region.dhcp.ntp_from_firewall else [],
            "domain_name": domain,
            "description": f"VLAN {vlan}",
        })  # fmt: skip
    reservations = [
        {
            "hostname": r.hostname,
            "mac": r.mac.lower(),
            "subnet": str(nets[r.vlan]),
            "ip_address": address(r.vlan, r.host),
            "description": r.description,
        }  # fmt: skip
        for r in fw.dhcp.reservations
    ]
    return {
        "opnsense_vlans": vlan_vars,
        "opnsense_aliases": aliases,
        "opnsense_rules": rules,
        "opnsense_host_overrides": hosts,
        "opnsense_dns_forwards": forwards,
        "opnsense_dhcp": {
            "enabled": bool(subnets),
            "interfaces": [keys[s["vlan"]] for s in subnets if s["vlan"] in keys],
            "subnets": subnets,
            "reservations": reservations,
        },
    }
