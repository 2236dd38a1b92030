"""Running → intended with hier_config: the managed part of a running configuration, what is
left alone (unmanaged), and the remediation — the ordered command lines that take the managed
part to the intended configuration.

What fleet manages (docs/switches.md): the host name, every VLAN (`vlan N` with its name and
the management address), every port's name and VLAN membership, the default gateway, NTP,
syslog and SNMP community/contact/location. Anything else in the running configuration is
listed as unmanaged and never touched; a managed line that the registry does not imply (a VLAN
or a port setting added by hand) is removed.

Order (on top of hier_config's platform rules): a VLAN is created before a port uses it and
removed after the ports have left it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Top-level lines fleet owns, per platform, and which children of those sections it owns.
MANAGED: dict[str, dict[str, str | None]] = {
    # parent regex → children regex (None: a line without children)
    "hp_procurve": {
        r"^hostname ": None,
        r"^ip default-gateway ": None,
        r"^timesync ntp$": None,
        r"^ntp (unicast|enable|server \S+( iburst)?)$": None,
        r"^logging \S+$": None,
        r"^snmp-server (community|contact|location) ": None,
        r"^vlan \d+$": r"^(name |ip address \S+ \S+$)",
        r"^interface \S+$": r"^(name |untagged vlan \d+$|tagged vlan \d+$)",
    },
    "cisco_ios": {
        r"^hostname ": None,
        r"^ip default-gateway ": None,
        r"^ntp server \S+$": None,
        r"^logging host \S+$": None,
        r"^snmp-server (community|contact|location) ": None,
        r"^vlan \d+$": r"^name ",
        r"^interface Vlan\d+$": r"^ip address \S+ \S+$",
        r"^interface \S*Ethernet\S+$": (
            r"^(description |switchport mode (access|trunk)$|switchport access vlan \d+$"
            r"|switchport trunk (allowed|native) vlan [0-9,-]+$)"
        ),
    },
}
PLATFORMS = tuple(MANAGED)


class RemediationError(ValueError):
    """A platform fleet has no rules for."""


@dataclass
class Remediation:
    lines: list[str]  # the commands to send, in order, indented under their section
    unmanaged: list[str] = field(default_factory=list)  # "section: line" or "line"

    @property
    def changed(self) -> bool:
        return bool(self.lines)


def _platform(name: str):
    from hier_config import Platform

    if name not in MANAGED:
        raise RemediationError(
            f"no remediation rules for platform {name!r} (known: {', '.join(PLATFORMS)})"
        )
    return {"hp_procurve": Platform.HP_PROCURVE, "cisco_ios": Platform.CISCO_IOS}[name]


def driver(platform: str):
    """hier_config's driver of the platform with fleet's ordering and idempotency rules."""
    from hier_config import get_hconfig_driver
    from hier_config.models import IdempotentCommandsRule, MatchRule, OrderingRule

    drv = get_hconfig_driver(_platform(platform))
    rules = drv.rules
    rules.ordering.extend(
        [
            # a VLAN exists before a port joins it …
            OrderingRule(match_rules=(MatchRule(re_search=r"^vlan \d+$"),), weight=-50),
            # … and goes after every port has left it
            OrderingRule(match_rules=(MatchRule(re_search=r"^no vlan \d+$"),), weight=50),
            # the management address after its VLAN exists
            OrderingRule(match_rules=(MatchRule(re_search=r"^interface Vlan\d+$"),), weight=20),
        ]
    )
    if platform == "cisco_ios":
        for prefix in (
            "description ",
            "switchport mode ",
            "switchport access vlan ",
            "switchport trunk allowed vlan ",
            "switchport trunk native vlan ",
        ):
            rules.idempotent_commands.append(
                IdempotentCommandsRule(
                    match_rules=(MatchRule(startswith="interface "), MatchRule(startswith=prefix))
                )
            )
        rules.idempotent_commands.append(
            IdempotentCommandsRule(match_rules=(MatchRule(startswith="hostname "),))
        )
    else:
        rules.idempotent_commands.append(
            IdempotentCommandsRule(match_rules=(MatchRule(startswith="hostname "),))
        )
        rules.idempotent_commands.append(
            IdempotentCommandsRule(
                match_rules=(MatchRule(startswith="vlan "), MatchRule(startswith="name "))
            )
        )
    return drv


def _managed_parent(platform: str, text: str) -> tuple[bool, str | None]:
    for parent, children in MANAGED[platform].items():
        if re.search(parent, text):
            return True, children
    return False, None


def split(platform: str, config):
    """Remove what fleet does not manage from a parsed configuration (in place); the removed
    lines, as `section: line` or `line`."""
    unmanaged: list[str] = []
    for child in tuple(config.children):
        managed, children_re = _managed_parent(platform, child.text)
        if not managed:
            unmanaged.append(child.text)
            for sub in child.all_children_sorted():
                unmanaged.append(f"{child.text}: {sub.text}")
            child.delete()
            continue
        had_children = bool(child.children)
        for sub in tuple(child.children):
            if children_re is None or not re.search(children_re, sub.text):
                unmanaged.append(f"{child.text}: {sub.text}")
                sub.delete()
        if had_children and not child.children and children_re is not None:
            # a section holding only what fleet does not manage (e.g. `interface Vlan1`)
            child.delete()
    return unmanaged


def remediate(platform: str, running: str, intended: str) -> Remediation:
    """The lines that take `running` (the device's whole configuration) to `intended` (the
    managed part fleet renders), and what in `running` is left alone."""
    from hier_config import WorkflowRemediation, get_hconfig

    drv = driver(platform)
    run_cfg = get_hconfig(drv, running)
    unmanaged = split(platform, run_cfg)
    want = get_hconfig(drv, intended)
    workflow = WorkflowRemediation(run_cfg, want)
    lines = [c.cisco_style_text() for c in workflow.remediation_config.all_children_sorted()]
    return Remediation(lines=lines, unmanaged=unmanaged)


def mask(text: str, secrets: list[str], replacement: str = "********") -> str:
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, replacement)
    return text
