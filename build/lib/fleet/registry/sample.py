"""A synthetic registry with the operator's composition, for the demo, tests and benchmarks.

180 sites = 112 lycées (lycee, lycee_pro, lycee_agricole) over the six departments, 31 EF2S,
26 collèges in department 18, 11 CFA. Larger counts keep the same proportions. Deterministic.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from fleet.fsutil import atomic_write
from fleet.registry.models import Kind, Owner
from fleet.registry.uai import make_uai
from fleet.registry.write import render_allocations, render_skeleton

DEPARTMENTS = (18, 28, 36, 37, 41, 45)
CITIES = {
    18: ["Bourges", "Vierzon", "Saint-Amand-Montrond", "Aubigny-sur-Nère", "Mehun-sur-Yèvre"],
    28: ["Chartres", "Dreux", "Châteaudun", "Nogent-le-Rotrou", "Lucé"],
    36: ["Châteauroux", "Issoudun", "Le Blanc", "La Châtre", "Argenton-sur-Creuse"],
    37: ["Tours", "Amboise", "Chinon", "Loches", "Joué-lès-Tours"],
    41: ["Blois", "Vendôme", "Romorantin-Lanthenay", "Montoire-sur-le-Loir", "Mer"],
    45: ["Orléans", "Montargis", "Gien", "Pithiviers", "Olivet"],
}
PATRONS = [
    "Jean Zay",
    "George Sand",
    "Marguerite de Navarre",
    "Alain-Fournier",
    "Rabelais",
    "Descartes",
    "Balzac",
    "Ronsard",
    "Jacques Cœur",
    "Charles Péguy",
    "Marceau",
    "Voltaire",
    "Jean Moulin",
    "Camille Claudel",
    "Pierre-Gilles de Gennes",
    "Condorcet",
]
COMPOSITION_180 = [  # (kind, count, departments, owner)
    (Kind.lycee, 70, DEPARTMENTS, Owner.region),
    (Kind.lycee_pro, 32, DEPARTMENTS, Owner.region),
    (Kind.lycee_agricole, 10, DEPARTMENTS, Owner.region),
    (Kind.ef2s, 31, DEPARTMENTS, Owner.region),
    (Kind.college, 26, (18,), Owner.cd18),
    (Kind.cfa, 11, DEPARTMENTS, Owner.cfa),
]
LABELS = {
    Kind.lycee: "Lycée",
    Kind.lycee_pro: "Lycée professionnel",
    Kind.lycee_agricole: "Lycée agricole",
    Kind.ef2s: "Institut de formation",
    Kind.college: "Collège",
    Kind.cfa: "CFA",
}
# Big fleets do not fit /20 blocks in a /10; benchmarks use a /8 with /21 blocks and
# proportionally smaller client VLANs.
WIDE_ADDRESSING = {
    "supernet": "10.0.0.0/8",
    "site_prefix": 21,
    "vlans": [
        {"name": "mgmt", "id": 10, "offset": 0, "prefix": 24},
        {"name": "servers", "id": 20, "offset": 256, "prefix": 24},
        {"name": "admin", "id": 30, "offset": 512, "prefix": 24},
        {"name": "toip", "id": 60, "offset": 768, "prefix": 25},
        {"name": "dmz", "id": 70, "offset": 896, "prefix": 26},
        {"name": "pedago", "id": 40, "offset": 1024, "prefix": 23},
        {"name": "wifi", "id": 50, "offset": 1536, "prefix": 23},
    ],
}


def plan(count: int = 180) -> list[tuple[str, Kind, int, str, Owner, str]]:
    """(uai, kind, department, city, owner, name) for `count` sites, deterministic."""
    scale = count / 180
    rows = []
    serial: dict[int, int] = {}
    quotas = [
        (kind, max(1, round(n * scale)), depts, owner) for kind, n, depts, owner in COMPOSITION_180
    ]
    quotas[0] = (quotas[0][0], quotas[0][1] + count - sum(q[1] for q in quotas), *quotas[0][2:])
    for kind, n, depts, owner in quotas:
        for i in range(n):
            dept = depts[i % len(depts)]
            serial[dept] = serial.get(dept, 0) + 1
            uai = make_uai(dept, 50 + serial[dept])
            city = CITIES[dept][(i // len(depts)) % len(CITIES[dept])]
            name = f"{LABELS[kind]} {PATRONS[(i + serial[dept]) % len(PATRONS)]} ({city})"
            rows.append((uai, kind, dept, city, owner, name))
    return rows


def write_sample(
    root: Path, count: int = 180, templates: Path | None = None, region: Path | None = None
) -> int:
    """Write a fresh registry with `count` sites to `root` (replacing it). Returns the count."""
    templates = templates or Path(__file__).resolve().parents[2] / "templates" / "sites"
    region = (
        region or Path(__file__).resolve().parents[2] / "inventories" / "registry" / "region.yml"
    )
    region_text = region.read_text(encoding="utf-8")  # before rmtree: it may live in root
    if root.exists():
        shutil.rmtree(root)
    (root / "sites").mkdir(parents=True)
    (root / "vault").mkdir()
    region_data = yaml.safe_load(region_text)
    if count > 1024:
        region_data["addressing"] = WIDE_ADDRESSING
        region_text = "---\n" + yaml.safe_dump(region_data, sort_keys=False, allow_unicode=True)
    atomic_write(root / "region.yml", region_text)
    suffix = region_data["dns_suffix"]
    allocations = {}
    for index, (uai, kind, dept, city, owner, name) in enumerate(plan(count)):
        text = render_skeleton(
            templates,
            uai=uai,
            name=name,
            kind=kind,
            department=dept,
            city=city,
            owner=owner,
            domain=f"{uai.lower()}.{suffix}",
        )
        if index < 5:
            text = text.replace("state: onboarding", "state: active").replace(
                "pilot: false", "pilot: true"
            )
        elif index % 7:
            text = text.replace("state: onboarding", "state: active")
        (root / "sites" / f"{uai}.yml").write_text(text, encoding="utf-8")
        allocations[uai] = index
    atomic_write(root / "allocations.yml", render_allocations(allocations))
    return count


if __name__ == "__main__":  # python -m fleet.registry.sample DIR [COUNT]
    import sys

    target, number = Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 180
    write_sample(target, number)
    print(f"{target}: {number} sites written")
