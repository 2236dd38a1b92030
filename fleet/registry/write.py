"""Create a site: render its skeleton, validate it with the whole registry, write atomically."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import jinja2
import yaml

from fleet.errors import BadInput, Problem, ValidationFailed
from fleet.fsutil import atomic_write
from fleet.paths import Paths
from fleet.registry import addressing, proxmox, read_registry
from fleet.registry.load import display
from fleet.registry.models import Kind, Owner, Site
from fleet.registry.registry import ALLOCATIONS_FILE, Registry
from fleet.registry.uai import UaiError, check_uai
from fleet.registry.validate import check_fleet, check_site

NETBIOS_PREFIX = {
    Kind.lycee: "LY",
    Kind.lycee_pro: "LP",
    Kind.lycee_agricole: "LA",
    Kind.ef2s: "EF",
    Kind.college: "CO",
    Kind.cfa: "CF",
}
ALLOCATIONS_HEADER = (
    "# The addressing lock: site UAI -> site index in the supernet.\n"
    "# Written only by `fleet site new`; an index is never reused while its site exists.\n"
)


@dataclass
class NewSite:
    uai: str
    index: int
    site_file: Path
    network: str


def render_allocations(
    allocations: dict[str, int], vmids: dict[str, dict[str, int]] | None = None
) -> str:
    data: dict = {"sites": dict(sorted(allocations.items()))}
    if vmids:  # pinned guest VMIDs (docs/proxmox.md)
        data["vmids"] = {u: dict(sorted(p.items())) for u, p in sorted(vmids.items()) if p}
    body = yaml.safe_dump(data, sort_keys=False, default_flow_style=False)
    return ALLOCATIONS_HEADER + body


@functools.lru_cache(maxsize=4)
def _environment(templates: str) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def render_skeleton(
    templates: Path,
    *,
    uai: str,
    name: str,
    kind: Kind,
    department: int,
    city: str,
    owner: Owner,
    domain: str,
) -> str:
    env = _environment(str(templates))
    try:
        template = env.get_template(f"{kind.value}.yml.j2")
    except jinja2.TemplateNotFound:
        raise BadInput(f"no site template {templates / (kind.value + '.yml.j2')}") from None
    return template.render(
        uai=uai,
        name=name,
        kind=kind.value,
        department=department,
        city=city,
        owner=owner.value,
        domain=domain,
        netbios=NETBIOS_PREFIX[kind] + uai,
    )


def new_site(
    root: Path,
    *,
    uai: str,
    name: str,
    kind: str,
    department: int,
    city: str,
    owner: str = "region",
    templates: Path | None = None,
) -> NewSite:
    """Add one site: lowest free index, skeleton from its kind's template. Nothing is written
    unless the whole registry validates with the new site in it."""
    registry, problems = read_registry(root)
    if registry is None:
        raise ValidationFailed(problems=problems)
    site_path = registry.site_file(uai)
    shown = display(site_path, registry.root)
    try:
        kind_value, owner_value = Kind(kind), Owner(owner)
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    try:
        check_uai(uai, registry.region.departments)
    except UaiError as exc:
        raise ValidationFailed(problems=[Problem(shown, "uai", str(exc))]) from None
    if site_path.exists() or uai in registry.sites:
        raise ValidationFailed(problems=[Problem(shown, "uai", f"site {uai} already exists")])
    if uai in registry.allocations:
        raise ValidationFailed(
            problems=[
                Problem(
                    display(root / ALLOCATIONS_FILE, root),
                    f"sites.{uai}",
                    f"{uai} already holds index {registry.allocations[uai]}",
                )
            ]
        )

    templates = templates or Paths.find(root).root / "templates" / "sites"
    text = render_skeleton(
        templates,
        uai=uai,
        name=name,
        kind=kind_value,
        department=department,
        city=city,
        owner=owner_value,
        domain=registry.domain(uai),
    )
    site = _validate_new(registry, text, shown, uai)
    pve_problems = proxmox.check_site(
        registry.region, site, shown, registry.vmids, display(root / ALLOCATIONS_FILE, root)
    )
    if pve_problems:
        raise ValidationFailed(problems=pve_problems)
    allocations = addressing.allocate(registry.allocations, uai, registry.capacity)
    found, _ = check_fleet(
        registry.region,
        {**registry.sites, uai: site},
        {**{u: display(registry.site_file(u), root) for u in registry.sites}, uai: shown},
        allocations,
        display(root / ALLOCATIONS_FILE, root),
    )
    if found:
        raise ValidationFailed(problems=found)

    # the new site's guests get their VMIDs pinned now: never renumbered afterwards
    vlan_ids = {v.name: v.id for v in registry.region.addressing.vlans}
    new_vmids = {**registry.vmids}
    pins = {}
    for guest in site.guests:
        template = registry.region.guest_templates[guest.template]
        pins[guest.name] = vlan_ids[guest.vlan or template.vlan] * 100 + guest.host
    if pins:
        new_vmids[uai] = pins
    atomic_write(site_path, text)
    try:
        atomic_write(root / ALLOCATIONS_FILE, render_allocations(allocations, new_vmids))
    except BaseException:
        site_path.unlink(missing_ok=True)  # never leave a site without its allocation
        raise
    plan = registry.region.addressing
    block = addressing.site_block(plan.supernet, plan.site_prefix, allocations[uai])
    return NewSite(uai=uai, index=allocations[uai], site_file=site_path, network=str(block))


def _validate_new(registry: Registry, text: str, shown: str, uai: str) -> Site:
    from pydantic import ValidationError

    from fleet.registry.load import model_problem

    data = yaml.safe_load(text)
    try:
        site = Site.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(
            problems=[model_problem(Path("/nonexistent"), shown, e) for e in exc.errors()]
        ) from None
    problems = check_site(registry.region, site, shown, uai)
    if problems:
        raise ValidationFailed(problems=problems)
    return site
