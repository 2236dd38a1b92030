"""The component table: the one place a site component is named.

A site runs six components. Each entry says, in deploy order, what fleet needs to know about
one of them: its playbook, the inventory group its plays target and which of a site's hosts
join that group, its roles, the registry sections it reads, what the lab must run for it, its
Molecule scenarios (whose testinfra modules are its verify checks) and its docs page.
Inventory, runner, reports, `--component`, `site.yml`, the lab and `fleet components` all
derive from `table()`; adding a component is one entry here plus its role, playbook,
Molecule scenario and docs page (tests/unit/test_components.py checks they exist once the
entry says `implemented=True`).

Host selectors (`hosts`) name a kind of registry host: `firewall`, `proxmox_nodes`,
`switches`, `guests` (every guest VM) or `guest:<template>` (guests of one template).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

HOST_KINDS = ("firewall", "proxmox_nodes", "guests", "switches")


@dataclass(frozen=True)
class Component:
    name: str  # `--component` value, the key in every report
    title: str
    group: str  # the inventory group its plays target (`hosts:` of its playbook)
    hosts: tuple[str, ...]  # which registry hosts join `group` (selectors, see above)
    roles: tuple[str, ...]
    registry: tuple[str, ...]  # site-file sections it reads (docs/registry.md)
    implemented: bool = False
    connection: str = "ssh"  # how its hosts are reached: "ssh", or "local" (API from here)
    lab_simulator: str | None = None  # the lab API simulator kind it talks to
    lab_image: str | None = None  # lab host image variant its hosts need (default: base)
    molecule: tuple[str, ...] = ()  # scenarios; molecule/<s>/tests are its verify checks
    # "module:function" turning a FleetRun into a run-wide view for the reports (e.g. the OPSI
    # catalogue: each product's version change across depots), or None (fleet.report.summaries)
    summary: str | None = None

    @property
    def playbook(self) -> str:
        return f"playbooks/{self.name}.yml"

    @property
    def docs(self) -> str:
        return f"docs/{self.name}.md"

    @property
    def verify(self) -> tuple[str, ...]:
        return tuple(f"molecule/{scenario}/tests" for scenario in self.molecule)

    @property
    def guest_templates(self) -> tuple[str, ...]:
        return tuple(s.split(":", 1)[1] for s in self.hosts if s.startswith("guest:"))

    def selects(self, tags: Iterable[str]) -> bool:
        """Does a host carrying these selector tags belong to this component's group?"""
        return not set(self.hosts).isdisjoint(tags)


# Deploy order (docs/decisions.md): the firewall routes the VLANs the rest sits on; Proxmox
# creates the guests before base configures them; the services follow; switches come last.
COMPONENTS: list[Component] = [
    Component(
        name="opnsense",
        title="OPNsense firewall",
        group="opnsense",
        hosts=("firewall",),
        roles=("opnsense",),
        registry=("firewall",),
        implemented=True,
        connection="local",
        lab_simulator="opnsense",
        molecule=("opnsense",),
        summary="fleet.opnsense.summary:firewalls",
    ),
    Component(
        name="proxmox",
        title="Proxmox VE nodes and guests",
        group="proxmox_nodes",
        hosts=("proxmox_nodes",),
        roles=("proxmox_node", "proxmox_guests"),
        registry=("proxmox", "guests"),
        implemented=True,
        connection="local",  # the PVE API from the controller; the nodes' SSH is base's
        lab_simulator="pve",
        molecule=("proxmox_node", "proxmox_guests"),
        summary="fleet.proxmox.summary:nodes",
    ),
    Component(
        name="base",
        title="Baseline of every Linux host",
        group="linux",
        hosts=("proxmox_nodes", "guests"),
        roles=("base",),
        registry=("overrides",),
        implemented=True,
        molecule=("base",),
    ),
    Component(
        name="samba_ad",
        title="Samba AD domain controller",
        group="samba_dc",
        hosts=("guest:ad_dc",),
        roles=("samba_ad_dc",),
        registry=("samba_ad",),
        implemented=True,
        lab_image="samba",
        molecule=("samba_ad_dc",),
    ),
    Component(
        name="opsi",
        title="OPSI depot",
        group="opsi_depot",
        hosts=("guest:opsi_depot",),
        roles=("opsi_depot",),
        registry=("opsi",),
        implemented=True,
        lab_simulator="opsi",
        lab_image="samba",  # the depot's Samba file share (smbd, unmasked by the role)
        molecule=("opsi_depot",),
        summary="fleet.opsi.summary:catalogue",
    ),
    Component(
        name="switches",
        title="Managed switches",
        group="switches",
        hosts=("switches",),
        roles=("switch_config",),
        registry=("switches",),
        implemented=True,
        connection="local",
        lab_simulator="switches",
        molecule=("switch_config",),
        summary="fleet.switches.summary:switches",
    ),
]


def table() -> tuple[Component, ...]:
    """The components in deploy order (read at call time: tests may add an entry)."""
    return tuple(COMPONENTS)


def names() -> list[str]:
    return [c.name for c in table()]


def get(name: str) -> Component:
    for component in table():
        if component.name == name:
            return component
    raise KeyError(name)


def implemented() -> list[Component]:
    return [c for c in table() if c.implemented]


def by_role() -> dict[str, str]:
    """Role name → component name (tasks are attributed to components by their role)."""
    return {role: c.name for c in table() for role in c.roles}


def template_groups() -> dict[str, str]:
    """Guest template → the group of the component that claims it."""
    return {t: c.group for c in table() for t in c.guest_templates}


def host_tags(kind: str, template: str | None = None) -> tuple[str, ...]:
    """The selector tags of one registry host (`kind` is one of HOST_KINDS)."""
    return (kind, f"guest:{template}") if kind == "guests" and template else (kind,)


def groups_of(tags: Iterable[str]) -> list[str]:
    tags = tuple(tags)
    return [c.group for c in table() if c.selects(tags)]


SITE_PLAYBOOK = "playbooks/site.yml"
SITE_HEADER = """\
---
# Generated from the component table (fleet/components.py) by `fleet components site-yml
# --write`: do not edit. Every implemented component of a site, in deploy order; each
# component playbook targets only its own inventory group, so a site without that component
# matches no host and Ansible skips the play.
"""


SITE_RUN_HEADER = """\
---
# Written by fleet for one site run: playbooks/site.yml less the components this site has no
# hosts for (their plays would match nothing; leaving them out spares Ansible parsing their
# roles on every site of a fleet-wide run). The reports still list every component.
"""


def render_site_yml(only: Iterable[str] | None = None) -> str:
    """`playbooks/site.yml`: an import of each implemented component's playbook, in order;
    components not implemented yet are listed as comments (reports show them as such).
    `only`: the components a site run needs (the run's own copy, fleet.runner.prepare)."""
    keep = None if only is None else set(only)
    lines = [SITE_HEADER if keep is None else SITE_RUN_HEADER]
    for component in table():
        if keep is not None and component.name not in keep:
            continue
        if component.implemented:
            lines.append(f"\n- name: {component.title}\n")
            lines.append(f"  ansible.builtin.import_playbook: {component.name}.yml\n")
        else:
            lines.append(f"\n# {component.name}: not implemented yet ({component.title})\n")
    return "".join(lines)


def missing_parts(component: Component, root: Path) -> list[str]:
    """What an implemented component must ship and `root` lacks: its playbook, each role with
    `meta/argument_specs.yml`, a Molecule scenario, its docs page."""
    root = Path(root)
    needed = [component.playbook, component.docs]
    for role in component.roles:
        needed += [f"roles/{role}/tasks/main.yml", f"roles/{role}/meta/argument_specs.yml"]
    needed += [f"molecule/{scenario}/molecule.yml" for scenario in component.molecule]
    missing = [path for path in needed if not (root / path).is_file()]
    if not component.molecule:
        missing.append("molecule/<scenario>/molecule.yml (no scenario named)")
    return missing


def site_yml_current(root: Path) -> bool:
    """Is the project's playbooks/site.yml what the table gives?"""
    path = Path(root) / SITE_PLAYBOOK
    return path.is_file() and path.read_text(encoding="utf-8") == render_site_yml()


def write_site_yml(root: Path) -> bool:
    """Rewrite playbooks/site.yml from the table (atomically); True if it changed."""
    from fleet.fsutil import atomic_write

    if site_yml_current(root):
        return False
    atomic_write(Path(root) / SITE_PLAYBOOK, render_site_yml())
    return True
