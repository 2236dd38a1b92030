"""The switch sections of the registry: the regional catalogue in region.yml (`switches:`:
models, port profiles, SNMP), a site's switches (`switches:` in the site file: platform, model,
management address, port assignments by range), their checks, and the `switch_intent` host var
the `switch_config` role renders (docs/switches.md documents every field).

Three layers, as for the firewall (fleet/registry/opnsense.py):
- models (`SwitchRegion` and its parts): one file's shape and formats;
- `check_region` / `check_site`: references between fields and files (profiles, VLANs, models,
  port ranges against the port count, overlaps), every problem naming the file and the field;
- `intent`: what a switch should hold (VLANs, each port's profile, management, NTP, syslog,
  SNMP), computed here so the generated inventory shows it for review.

Standard library and pydantic; no import of fleet.registry.models (which imports this module).
"""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from fleet.errors import Problem

# The platforms fleet renders and remediates (a template each under templates/switches/).
PLATFORMS = ("hp_procurve", "cisco_ios")
PROFILE_NAME = r"^[a-z][a-z0-9_-]{0,30}$"
MODEL_NAME = r"^[a-z0-9][a-z0-9._-]{0,47}$"
RANGE = r"^[0-9]{1,4}(-[0-9]{1,4})?$"
# How each platform names port N (a model may say otherwise: `interface`).
DEFAULT_INTERFACE = {"hp_procurve": "{port}", "cisco_ios": "GigabitEthernet1/0/{port}"}
SNMP_SECRET_VAR = "switch_snmp_community"  # in the site's vault


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


PortRanges = dict[Annotated[str, Field(pattern=RANGE)], str]


class SwitchModel(_Strict):
    platform: str
    ports: Annotated[int, Field(ge=1, le=1024)]
    interface: str | None = None  # how port N is named, e.g. "GigabitEthernet1/0/{port}"
    default_ports: PortRanges = Field(default_factory=dict)  # for switches without `ports`


class PortProfile(_Strict):
    """What a port carries: an access port of one VLAN, or a trunk (native VLAN + tagged)."""

    mode: Literal["access", "trunk"]
    vlan: str | None = None  # access: the VLAN; trunk: the native (untagged) VLAN, if any
    tagged: list[str] | Literal["all"] = Field(default_factory=list)  # trunk only
    description: Annotated[str, Field(max_length=60, pattern=r'^[^"\n]*$')] = ""


class Snmp(_Strict):
    version: Literal["2c"] = "2c"  # the community itself is `switch_snmp_community` (vault)
    contact: Annotated[str, Field(max_length=80, pattern=r'^[^"\n]*$')] = ""


class SwitchRegion(_Strict):
    models: dict[Annotated[str, Field(pattern=MODEL_NAME)], SwitchModel] = Field(
        default_factory=dict
    )
    default_model: dict[str, str] = Field(default_factory=dict)  # platform → model
    profiles: dict[Annotated[str, Field(pattern=PROFILE_NAME)], PortProfile] = Field(
        default_factory=dict
    )
    snmp: Snmp | None = None


def _vlan_names(region: Any) -> list[str]:
    return [v.name for v in region.addressing.vlans]


def parse_range(text: str) -> tuple[int, int]:
    first, _, last = text.partition("-")
    return int(first), int(last or first)


def _collector(shown: str):
    problems: list[Problem] = []

    def add(field: str, message: str) -> None:
        problems.append(Problem(shown, field, message))

    return problems, add


def _check_ranges(
    ranges: dict[str, str], count: int, profiles: dict, add, where: str, model: str
) -> None:
    spans: list[tuple[int, int, str]] = []
    for text, profile in ranges.items():
        first, last = parse_range(text)
        field = f"{where}.{text}"
        if first < 1 or last < first:
            add(
                field,
                f"port range {text!r} is empty or starts below 1 (write first-last, first ≤ last)",
            )
            continue
        if last > count:
            add(
                field,
                f"port range {text} goes beyond the {count} ports of {model} (valid: 1-{count})",
            )
        if profile not in profiles:
            valid = ", ".join(sorted(profiles)) or "none: add switches.profiles to region.yml"
            add(field, f"unknown port profile {profile!r} (valid: {valid})")
        spans.append((first, last, text))
    spans.sort()
    for (_, end_a, text_a), (start_b, _, text_b) in zip(spans, spans[1:], strict=False):
        if start_b <= end_a:
            add(f"{where}.{text_b}", f"port range {text_b} overlaps port range {text_a}")


def check_region(region: Any, shown: str) -> list[Problem]:
    problems, add = _collector(shown)
    sw = region.switches
    vlans = _vlan_names(region)
    for name, profile in sw.profiles.items():
        where = f"switches.profiles.{name}"
        if profile.vlan is not None and profile.vlan not in vlans:
            add(f"{where}.vlan", f"unknown VLAN {profile.vlan!r} (valid: {', '.join(vlans)})")
        if profile.mode == "access":
            if profile.vlan is None:
                add(f"{where}.vlan", "an access port needs its VLAN")
            if profile.tagged:
                add(f"{where}.tagged", "an access port carries no tagged VLAN (use mode: trunk)")
        elif profile.tagged != "all":
            for i, vlan in enumerate(profile.tagged):
                if vlan not in vlans:
                    add(
                        f"{where}.tagged[{i}]", f"unknown VLAN {vlan!r} (valid: {', '.join(vlans)})"
                    )
                elif vlan == profile.vlan:
                    add(
                        f"{where}.tagged[{i}]", f"VLAN {vlan} is already the native (untagged) VLAN"
                    )
    for name, model in sw.models.items():
        where = f"switches.models.{name}"
        if model.platform not in PLATFORMS:
            add(
                f"{where}.platform",
                f"unknown platform {model.platform!r} (valid: {', '.join(PLATFORMS)})",
            )
        if model.interface is not None and "{port}" not in model.interface:
            add(
                f"{where}.interface",
                "the interface name needs {port} (e.g. GigabitEthernet1/0/{port})",
            )
        _check_ranges(
            model.default_ports, model.ports, sw.profiles, add, f"{where}.default_ports", name
        )
    for platform, model in sw.default_model.items():
        where = f"switches.default_model.{platform}"
        if platform not in PLATFORMS:
            add(where, f"unknown platform {platform!r} (valid: {', '.join(PLATFORMS)})")
        elif model not in sw.models:
            add(where, f"unknown switch model {model!r} (valid: {', '.join(sorted(sw.models))})")
        elif sw.models[model].platform != platform:
            add(where, f"model {model} is a {sw.models[model].platform} switch, not {platform}")
    return problems


def model_of(region: Any, switch: Any) -> str | None:
    return switch.model or region.switches.default_model.get(switch.platform.value)


def check_site(region: Any, site: Any, shown: str) -> list[Problem]:
    problems, add = _collector(shown)
    sw = region.switches
    for i, switch in enumerate(site.switches):
        where = f"switches[{i}]"
        platform = switch.platform.value
        if platform not in PLATFORMS:
            add(
                f"{where}.platform",
                f"platform {platform} has no template yet (supported: {', '.join(PLATFORMS)}; "
                "docs/switches.md: adding a platform)",
            )
            continue
        name = model_of(region, switch)
        if name is None:
            add(
                f"{where}.model",
                f"no model given and region.yml has no switches.default_model.{platform}",
            )
            continue
        model = sw.models.get(name)
        if model is None:
            valid = ", ".join(sorted(sw.models)) or "none: add switches.models to region.yml"
            add(f"{where}.model", f"unknown switch model {name!r} (valid: {valid})")
            continue
        if model.platform != platform:
            add(f"{where}.model", f"model {name} is a {model.platform} switch, not {platform}")
        ports = switch.ports if switch.ports is not None else model.default_ports
        if not ports:
            add(f"{where}.ports", f"no port assignment, and model {name} has no default_ports")
        _check_ranges(ports, model.ports, sw.profiles, add, f"{where}.ports", name)
    return problems


# ---------------------------------------------------------------- what a switch should hold


def _profile_vars(profile: PortProfile, ids: dict[str, int]) -> dict[str, Any]:
    if profile.mode == "access":
        return {"mode": "access", "untagged": ids[profile.vlan or ""], "tagged": [],
                "description": profile.description}  # fmt: skip
    names = list(ids) if profile.tagged == "all" else profile.tagged
    tagged = sorted(ids[n] for n in names if n != profile.vlan)
    native = ids[profile.vlan] if profile.vlan else None
    return {"mode": "trunk", "untagged": native, "tagged": tagged,
            "description": profile.description}  # fmt: skip


def intent(region: Any, site: Any, switch: Any, networks: dict[str, Any], gateway_host: int,
           overrides: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    """The `switch_intent` host var: everything templates/switches/<platform>.j2 needs, except
    the SNMP community (the site's vault)."""
    name = model_of(region, switch) or ""
    model = region.switches.models[name]
    ids = {v.name: v.id for v in region.addressing.vlans}
    ranges = switch.ports if switch.ports is not None else model.default_ports
    used = sorted(set(ranges.values()))
    mgmt = networks["mgmt"]
    defaults = region.defaults
    ntp = overrides.get("ntp_servers") or defaults.ntp_servers
    syslog = overrides.get("syslog_server") or defaults.syslog_server
    snmp = region.switches.snmp
    return {
        "hostname": switch.name,
        "platform": switch.platform.value,
        "model": name,
        "port_count": model.ports,
        "interface": model.interface or DEFAULT_INTERFACE[switch.platform.value],
        "vlans": [
            {"id": v.id, "name": v.name}
            for v in sorted(region.addressing.vlans, key=lambda v: v.id)
        ],
        "ports": [
            {"ports": r, "profile": p}
            for r, p in sorted(ranges.items(), key=lambda i: parse_range(i[0]))
        ],
        "profiles": {p: _profile_vars(region.switches.profiles[p], ids) for p in used},
        "mgmt": {
            "vlan": ids["mgmt"],
            "address": str(mgmt.network_address + switch.host),
            "netmask": str(mgmt.netmask),
            "gateway": str(mgmt.network_address + gateway_host),
        },
        "ntp_servers": list(ntp),
        "syslog_server": syslog,
        "snmp": None
        if snmp is None
        else {
            "version": snmp.version,
            "contact": snmp.contact,
            "location": ascii_text(site.name),
        },  # fmt: skip
    }


def ascii_text(text: str) -> str:
    """Switch CLIs take ASCII in quoted strings: accents dropped, quotes removed."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return folded.replace('"', "").strip()
