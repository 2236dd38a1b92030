"""Does the applied filter let a new API connection in? A small pf evaluation, for the lab.

The simulated API is reached on one interface (`system.api_interface`, the WAN of the
installer template: the regional network management comes from). A new connection is an
inbound TCP connection from the client's address to the firewall itself on the web UI port
(443). The applied (running) filter rules are evaluated the way pf orders OPNsense's rules:
floating rules, then interface groups / several interfaces, then single-interface rules, each
by sequence; the first matching `quick` rule decides, else the last matching non-quick one.
When no rule matches, the installer template's own management access (a legacy rule, not an
API object) lets the connection in, so only an explicit block or reject rule can cut the API.

What it does not model: packet directions other than in/any, IPv6, ICMP, source ports, gateway
and state options; destinations given as addresses (the simulator has no own address), which
never match.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping

WEB_PORT = 443
WEB_PORT_NAMES = {"https", "443"}
PRIO = {"floating": 200000, "group": 300000, "interface": 400000}


def _split(value: str) -> list[str]:
    return [v for v in value.split(",") if v != ""]


def _prio(rule: Mapping[str, str]) -> int:
    interfaces = _split(rule.get("interface", ""))
    if not interfaces:
        return PRIO["floating"]
    return PRIO["group"] if len(interfaces) > 1 else PRIO["interface"]


def _sequence(rule: Mapping[str, str]) -> int:
    value = rule.get("sequence", "")
    return int(value) if value.isdigit() else 0


def ordered(rules: Mapping[str, Mapping[str, str]]) -> list[Mapping[str, str]]:
    """Rules in evaluation order (stable: config order breaks ties)."""
    return sorted(rules.values(), key=lambda r: (_prio(r), _sequence(r)))


def _alias_entries(aliases: Mapping[str, Mapping[str, str]], name: str) -> list[str] | None:
    for alias in aliases.values():
        if alias.get("name") == name and alias.get("enabled", "1") == "1":
            return [e for e in alias.get("content", "").split("\n") if e]
    return None


def _address_in(entry: str, client: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    try:
        return client in ipaddress.ip_network(entry.removeprefix("!"), strict=False)
    except ValueError:
        return False


def _source_matches(value: str, aliases, api_if: str, client) -> bool:
    for part in _split(value):
        if part == "any" or part == api_if:  # the interface's net holds its clients
            return True
        entries = _alias_entries(aliases, part)
        if entries is not None:
            if any(_address_in(e, client) for e in entries):
                return True
        elif _address_in(part, client):
            return True
    return False


def _destination_matches(value: str, api_if: str) -> bool:
    return any(p in ("any", "(self)", api_if, f"{api_if}ip") for p in _split(value))


def _port_matches(value: str, aliases) -> bool:
    if value == "":
        return True
    for part in _split(value):
        entries = _alias_entries(aliases, part)
        for entry in entries if entries is not None else [part]:
            if entry.lower() in WEB_PORT_NAMES:
                return True
            lo, sep, hi = entry.replace(":", "-").partition("-")
            if sep and lo.isdigit() and hi.isdigit() and int(lo) <= WEB_PORT <= int(hi):
                return True
    return False


def matches(rule: Mapping[str, str], aliases, api_if: str, client) -> bool:
    """Does `rule` match a new TCP connection from `client` to the firewall's web UI?"""
    if rule.get("enabled", "1") != "1":
        return False
    interfaces = _split(rule.get("interface", ""))
    on_if = not interfaces or api_if in interfaces
    if rule.get("interfacenot") == "1" and interfaces:
        on_if = not on_if
    if not on_if or rule.get("direction", "in") not in ("in", "any"):
        return False
    if rule.get("ipprotocol", "inet") not in ("inet", "inet46"):
        return False
    if rule.get("protocol", "any") not in ("any", "TCP", "TCP/UDP"):
        return False
    if rule.get("source_port"):
        return False
    source = _source_matches(rule.get("source_net", "any"), aliases, api_if, client)
    if rule.get("source_not") == "1":
        source = not source
    destination = _destination_matches(rule.get("destination_net", "any"), api_if)
    if rule.get("destination_not") == "1":
        destination = not destination
    return source and destination and _port_matches(rule.get("destination_port", ""), aliases)


def admits_api(
    rules: Mapping[str, Mapping[str, str]],
    aliases: Mapping[str, Mapping[str, str]],
    api_if: str,
    remote: str,
) -> bool:
    """Does the applied rule set let a new API connection from `remote` in?"""
    if not rules:
        return True
    try:
        client = ipaddress.ip_address(remote)
    except ValueError:
        client = ipaddress.ip_address("127.0.0.1")
    decision = None
    for rule in ordered(rules):
        if not matches(rule, aliases, api_if, client):
            continue
        if rule.get("quick", "1") == "1":
            return rule.get("action", "pass") == "pass"
        decision = rule.get("action", "pass")
    return decision in (None, "pass")
