"""The `switches` simulator kind: stateful fakenos switches (hp_procurve, cisco_ios) served over
SSH from one process on 127.0.0.1 (docs/lab-simulators.md, docs/switches.md).

    fleet lab sim switches --state DIR --names 'sw1@hp_procurve/28,sw2@cisco_ios' --port 0

A name may carry its platform (netmiko device type) and port count: `NAME@PLATFORM/PORTS`
(default hp_procurve, 52 ports). Files under DIR: `devices/<name>.json` (the startup
configuration, written on `write memory`), `host_key` (the simulator's own RSA host key),
`known_hosts` (every device's entry, for clients that check host keys), `credentials.json`
(mode 0600) and `faults` (a spec read on every new connection, so tests change it live).

Faults (--faults or the `faults` file): `RULE(;RULE)*`, `RULE := (all|dev=GLOB[,GLOB]):EFFECT`,
`EFFECT := down | auth | hang`.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass

from fleet.errors import BadInput
from fleet.lab.sim.switches.device import PLATFORMS

EFFECTS = ("down", "auth", "hang")
DEFAULT_PLATFORM = "hp_procurve"
DEFAULT_PORTS = 52


@dataclass(frozen=True)
class DeviceSpec:
    name: str
    platform: str = DEFAULT_PLATFORM
    ports: int = DEFAULT_PORTS


def parse_name(text: str) -> DeviceSpec:
    name, _, rest = text.partition("@")
    platform, _, ports = rest.partition("/")
    platform = platform or DEFAULT_PLATFORM
    if not name:
        raise BadInput(f"--names: {text!r} has no device name")
    if platform not in PLATFORMS:
        raise BadInput(
            f"--names: {text!r}: unknown platform {platform!r} (known: {', '.join(PLATFORMS)})"
        )
    if ports and not (ports.isdigit() and 1 <= int(ports) <= 1024):
        raise BadInput(f"--names: {text!r}: the port count must be 1-1024")
    return DeviceSpec(name, platform, int(ports) if ports else DEFAULT_PORTS)


class Factory:
    """The kind's device factory (fleet.lab.sim.kinds): a switch from `NAME@PLATFORM/PORTS` and
    its saved state (the startup configuration)."""

    kind = "switches"

    def __call__(self, name: str, index: int, state: dict | None, seed: int):
        from fleet.lab.sim.switches.device import Switch

        spec = parse_name(name)
        if state and (state.get("platform"), state.get("ports")) != (spec.platform, spec.ports):
            state = None  # another kind of switch under that name: factory settings
        return Switch(spec.name, spec.platform, spec.ports, state)


factory = Factory()


def parse_faults(spec: str | None) -> list[tuple[tuple[str, ...] | None, str]]:
    """[(device globs or None for all, effect)]; BadInput naming the rule."""
    rules = []
    for number, text in enumerate((spec or "").split(";"), start=1):
        text = text.strip()
        if not text:
            continue
        target, _, effect = text.partition(":")
        effect = effect.strip()
        if effect not in EFFECTS:
            raise BadInput(
                f"faults: rule {number} '{text}': effect must be one of {', '.join(EFFECTS)}"
            )
        if target == "all":
            rules.append((None, effect))
        elif target.startswith("dev=") and target[4:].strip():
            rules.append((tuple(g.strip() for g in target[4:].split(",")), effect))
        else:
            raise BadInput(f"faults: rule {number} '{text}': start with 'all' or 'dev=NAME[,NAME]'")
    return rules


def effects(rules, name: str) -> set[str]:
    return {effect for globs, effect in rules
            if globs is None or any(fnmatch.fnmatchcase(name, g) for g in globs)}  # fmt: skip
