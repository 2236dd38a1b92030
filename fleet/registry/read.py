"""Reading a registry: parse (through the cache), validate, build a Registry."""

from __future__ import annotations

from pathlib import Path

from fleet.errors import BadInput, Problem, ValidationFailed
from fleet.opsi import lock as opsi_lock
from fleet.registry import proxmox
from fleet.registry.cache import ParseCache
from fleet.registry.load import display, parse_model
from fleet.registry.models import Allocations, Region, Site
from fleet.registry.registry import ALLOCATIONS_FILE, REGION_FILE, SITES_DIR, VAULT_DIR, Registry
from fleet.registry.validate import check_fleet, check_region, check_site


def read_registry(root: Path) -> tuple[Registry | None, list[Problem]]:
    """Load and validate everything; return the registry (None if any problem) and problems."""
    root = Path(root)
    if not root.is_dir():
        raise BadInput(
            f"registry directory {root} does not exist (set --registry or FLEET_REGISTRY)"
        )
    problems: list[Problem] = []
    cache = ParseCache(root)

    def parse(path: Path, model, vault_hint: str):
        cached = cache.get(path, model.__name__)
        if cached is None:
            cached = parse_model(path, display(path, root), model, vault_hint)
            cache.put(path, model.__name__, cached)
        return cached

    region_path = root / REGION_FILE
    region, found = parse(region_path, Region, "vault/region.yml")
    problems += found
    if region is not None:
        problems += check_region(region, display(region_path, root))
        problems += proxmox.check_region(region.proxmox, display(region_path, root))

    alloc_path = root / ALLOCATIONS_FILE
    alloc_shown = display(alloc_path, root)
    allocations: dict[str, int] = {}
    vmids: dict[str, dict[str, int]] = {}
    if alloc_path.exists():
        alloc, found = parse(alloc_path, Allocations, "a vault file")
        problems += found
        if alloc is not None:
            allocations = dict(alloc.sites)
            vmids = {uai: dict(pins) for uai, pins in alloc.vmids.items()}

    sites: dict[str, Site] = {}
    shown: dict[str, str] = {}
    for path in sorted((root / SITES_DIR).glob("*.yml")):
        site_shown = display(path, root)
        site, found = parse(path, Site, f"{VAULT_DIR}/{path.stem}.yml")
        problems += found
        if site is None:
            continue
        if region is not None:
            problems += check_site(region, site, site_shown, path.stem)
        if site.uai in sites:
            problems.append(
                Problem(site_shown, "uai", f"UAI {site.uai} is already used by {shown[site.uai]}")
            )
            continue
        sites[site.uai] = site
        shown[site.uai] = site_shown

    if region is not None:
        alloc_shown_ = display(root / ALLOCATIONS_FILE, root)
        for uai, site in sites.items():
            problems += proxmox.check_site(region, site, shown[uai], vmids, alloc_shown_)

    cache.save()
    warnings: list[str] = []
    if region is not None:
        found, warnings = check_fleet(region, sites, shown, allocations, alloc_shown)
        problems += found
        # the OPSI catalogue lock: its dependency graph, the profiles' product ids, the pins
        profiles = {name: list(p.products) for name, p in region.opsi.profiles.items()}
        found, notes = opsi_lock.registry_problems(
            root, profiles, display(region_path, root), sorted(sites)
        )
        problems += found
        warnings = [*warnings, *notes]
    if problems or region is None:
        return None, problems
    return Registry(
        root=root,
        region=region,
        sites=dict(sorted(sites.items())),
        allocations=allocations,
        warnings=warnings,
        vmids=vmids,
    ), []


def load_registry(root: Path) -> Registry:
    """Load a valid registry or raise ValidationFailed listing every problem (exit 3)."""
    registry, problems = read_registry(root)
    if registry is None:
        raise ValidationFailed(problems=problems)
    return registry
