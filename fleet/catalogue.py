"""`fleet opsi catalogue`: the catalogue lock of a registry, listed, shown, checked, updated.

The lock itself (fleet.opsi.lock) knows nothing of the registry; this module brings the
registry's profiles and sites to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fleet.errors import BadInput, Problem, ValidationFailed
from fleet.opsi import lock as lockmod
from fleet.opsi import update as updatemod
from fleet.registry.load import display, parse_model
from fleet.registry.models import Region
from fleet.registry.registry import REGION_FILE, SITES_DIR


def _region(root: Path) -> Region:
    region, problems = parse_model(
        root / REGION_FILE, display(root / REGION_FILE, root), Region, "a vault file"
    )
    if region is None:
        raise ValidationFailed(problems=problems)
    return region


def master_url(root: Path) -> str:
    """The region's master (`opsi.master_url` of region.yml)."""
    return _region(Path(root)).opsi.master_url


def _profiles(region: Region) -> dict[str, list[str]]:
    return {name: list(p.products) for name, p in region.opsi.profiles.items()}


def load(root: Path) -> lockmod.Catalogue:
    """The registry's catalogue; BadInput when it has none, ValidationFailed when unreadable."""
    root = Path(root)
    catalogue, problems = lockmod.read(root)
    if catalogue is None:
        raise BadInput(
            f"{root / lockmod.LOCK_FILE}: no catalogue lock (`fleet opsi catalogue update` writes it)"
        )
    if problems:
        raise ValidationFailed(problems=problems)
    return catalogue


def validate(root: Path) -> dict[str, Any]:
    """Check the lock, the profiles' product ids and the pins; ValidationFailed (exit 3)
    naming file, product and reason, else a summary."""
    root = Path(root)
    catalogue = load(root)
    region = _region(root)
    sites = sorted(p.stem for p in (root / SITES_DIR).glob("*.yml"))
    problems = lockmod.check(
        catalogue, _profiles(region), display(root / REGION_FILE, root), {uai: [] for uai in sites}
    )
    if problems:
        raise ValidationFailed(problems=problems)
    deps = sum(len(p.dependencies) for p in catalogue.lock.products.values())
    return {
        "valid": True,
        "lock": catalogue.lock_shown,
        "products": len(catalogue.lock.products),
        "dependencies": deps,
    }


def rows(root: Path) -> list[dict[str, Any]]:
    catalogue = load(root)
    profiles = _profiles(_region(root))
    return [
        {
            "product": pid,
            "version": p.version,
            "type": p.type,
            "dependencies": len(p.dependencies),
            "profiles": sorted(n for n, ids in profiles.items() if pid in ids),
        }
        for pid, p in sorted(catalogue.lock.products.items())
    ]


def show(root: Path, product_id: str) -> dict[str, Any]:
    catalogue = load(root)
    product = catalogue.lock.products.get(product_id)
    if product is None:
        raise BadInput(f"{catalogue.lock_shown}: no product {product_id!r}")
    profiles = _profiles(_region(root))
    pins = catalogue.pins
    return {
        "product": product_id,
        **product.to_dict(),
        "required_by": sorted(
            pid
            for pid, p in catalogue.lock.products.items()
            if any(d["product"] == product_id for d in p.dependencies)
        ),
        "profiles": sorted(n for n, ids in profiles.items() if product_id in ids),
        "pins": {
            f"{kind} {name}": {
                "exclude": product_id in scope.exclude,
                "pin": scope.pin.get(product_id),
                "properties": scope.properties.get(product_id),
            }
            for kind, group in (("profile", pins.profiles), ("site", pins.sites))
            for name, scope in sorted(group.items())
            if product_id in scope.exclude
            or product_id in scope.pin
            or product_id in scope.properties
        },
    }


@dataclass
class Update:
    changes: list[updatemod.Change]
    lock: lockmod.Lock
    problems: list[Problem]


def plan_update(root: Path, source: updatemod.Source, only: list[str] | None) -> Update:
    """The changes the source brings (for `only` or every product) and the lock they give,
    with the problems that lock would have (then nothing may be written)."""
    root = Path(root)
    catalogue, problems = lockmod.read(root)
    if problems:
        raise ValidationFailed(problems=problems)
    if catalogue is None:
        catalogue = lockmod.Catalogue(
            lockmod.Lock(),
            lockmod.Pins(),
            f"{root.name}/{lockmod.LOCK_FILE}",
            f"{root.name}/{lockmod.PINS_FILE}",
        )
    entries, changes = updatemod.collect(source, catalogue.lock, only)
    new = updatemod.apply(catalogue.lock, entries, changes, catalogue.pins)
    region = _region(root)
    sites = sorted(p.stem for p in (root / SITES_DIR).glob("*.yml"))
    after = lockmod.Catalogue(new, catalogue.pins, catalogue.lock_shown, catalogue.pins_shown)
    found = lockmod.check(
        after, _profiles(region), display(root / REGION_FILE, root), {u: [] for u in sites}
    )
    return Update(changes, new, found)


def write_update(root: Path, update: Update) -> bool:
    if update.problems:
        raise ValidationFailed(problems=update.problems)
    if not update.changes:
        return False
    lockmod.write(Path(root), update.lock)
    return True
