"""The onboarding stages, derived from the component table (fleet/components.py).

`preflight` first and `verify` last; in between, in deploy order, the stages of each component
of the table. A component names its stages here only when they are not simply its own name
(the OPNsense firewall is the `network` stage; Proxmox gives two: its playbook builds nodes and
guests — `hypervisor` — then `guests` waits until every guest answers on SSH). A component added
to the table gets a stage of its own name with no change here.

A stage whose component is not implemented is **pending** (listed, with the reason, never run
and never counted as done); it becomes live by itself when its entry says `implemented=True`.
A stage whose component has no host on the site is `no_hosts` (listed, nothing to run).
"""

from __future__ import annotations

from dataclasses import dataclass

from fleet import components
from fleet.registry.models import Site

PREFLIGHT, VERIFY = "preflight", "verify"
# what a stage does: fleet's own checks, the component's playbook, wait for guests over SSH
CHECKS, PLAYBOOK, REACHABLE = "checks", "playbook", "reachable"
REACHABLE_PLAYBOOK = "playbooks/onboard_guests.yml"

# component → its stages (name, kind), when not one PLAYBOOK stage of the component's name
COMPONENT_STAGES: dict[str, tuple[tuple[str, str], ...]] = {
    "opnsense": (("network", PLAYBOOK),),
    "proxmox": (("hypervisor", PLAYBOOK), ("guests", REACHABLE)),
    "samba_ad": (("directory", PLAYBOOK),),
    "opsi": (("software", PLAYBOOK),),
}
TITLES = {
    PREFLIGHT: "registry complete, secrets present, devices reachable",
    "network": "firewall: VLANs, aliases, rules, DNS, DHCP",
    "hypervisor": "Proxmox nodes and guests",
    "guests": "every guest answers on SSH",
    "base": "baseline of every Linux host",
    "directory": "Samba AD: domain, OUs, groups, accounts",
    "software": "OPSI depot and catalogue",
    "switches": "switch configurations",
    VERIFY: "acceptance checks (fleet verify) and the handover report",
}

# stage states (as `--status` shows them)
DONE, FAILED, RUNNING, KILLED, INTERRUPTED = "done", "failed", "running", "killed", "interrupted"
TODO, PENDING, NO_HOSTS = "todo", "pending", "no_hosts"


@dataclass(frozen=True)
class Stage:
    name: str
    kind: str  # CHECKS | PLAYBOOK | REACHABLE
    component: str | None = None  # None: fleet's own (preflight, verify)

    @property
    def title(self) -> str:
        if self.name in TITLES:
            return TITLES[self.name]
        return components.get(self.component).title if self.component else self.name

    @property
    def playbook(self) -> str | None:
        if self.kind == REACHABLE:
            return REACHABLE_PLAYBOOK
        if self.kind == PLAYBOOK and self.component:
            return components.get(self.component).playbook
        return None


def stages() -> list[Stage]:
    """Every stage, in order (read from the table at call time)."""
    found = [Stage(PREFLIGHT, CHECKS)]
    for component in components.table():
        for name, kind in COMPONENT_STAGES.get(component.name, ((component.name, PLAYBOOK),)):
            found.append(Stage(name, kind, component.name))
    found.append(Stage(VERIFY, CHECKS))
    return found


def names() -> list[str]:
    return [s.name for s in stages()]


@dataclass(frozen=True)
class Applicable:
    """A stage for one site: can it run (live), or why not (pending / no hosts)."""

    stage: Stage
    live: bool
    reason: str = ""  # why not live
    state: str = TODO  # TODO when live, else PENDING or NO_HOSTS

    def to_dict(self) -> dict:
        return {
            "stage": self.stage.name,
            "title": self.stage.title,
            "component": self.stage.component,
            "live": self.live,
            "reason": self.reason,
        }


def for_site(site: Site) -> list[Applicable]:
    """The stages of one site, each live, pending (component not implemented) or no_hosts."""
    present = set(site.components())
    found = []
    for stage in stages():
        if stage.component is None:
            found.append(Applicable(stage, True))
            continue
        component = components.get(stage.component)
        if not component.implemented:
            found.append(
                Applicable(
                    stage,
                    False,
                    f"component {component.name} is not implemented yet "
                    f"(fleet/components.py): nothing is done for it",
                    PENDING,
                )
            )
        elif component.name not in present:
            found.append(
                Applicable(stage, False, f"no host of component {component.name} here", NO_HOSTS)
            )
        else:
            found.append(Applicable(stage, True))
    return found
