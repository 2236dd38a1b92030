"""Generate the lab's opsi master catalogue (fleet/lab/sim/opsi/data/catalogue.json): about
800 products typical of a French region's school workstations, deterministic for a seed.

Run by hand, never by the simulator (which only loads the shipped file):

    .venv/bin/python scripts/gen_opsi_catalogue.py          # print the catalogue's figures
    .venv/bin/python scripts/gen_opsi_catalogue.py --write  # rewrite the shipped file

The product ids and property templates are data, in gen_opsi_catalogue.toml; this script adds
versions, properties and dependencies. Products are ranked (runtimes < opsi core < applications
< add-ons < bundles) and dependencies only point to a lower rank, so the dependency graph has
no cycle. A unit test keeps the shipped file equal to what this produces.
"""

from __future__ import annotations

import argparse
import json
import random
import tomllib
from pathlib import Path
from typing import Any

from fleet.lab.sim.opsi import objects
from fleet.lab.sim.opsi.catalogue import DATA_FILE

SEED = 20240901
SIZE = 800
NAMES_FILE = Path(__file__).with_suffix(".toml")


def load_names(path: Path = NAMES_FILE) -> dict[str, Any]:
    with path.open("rb") as fh:
        return tomllib.load(fh)


def _version(rnd: random.Random) -> str:
    shape = rnd.random()
    if shape < 0.55:
        return f"{rnd.randint(1, 30)}.{rnd.randint(0, 12)}.{rnd.randint(0, 20)}"
    if shape < 0.8:
        return f"{rnd.randint(1, 140)}.{rnd.randint(0, 9)}"
    if shape < 0.92:
        return f"{rnd.choice((2021, 2022, 2023, 2024))}.{rnd.randint(1, 12)}"
    return f"{rnd.randint(1, 9)}.{rnd.randint(0, 99)}.{rnd.randint(0, 9)}.{rnd.randint(100, 9999)}"


def _name(pid: str) -> str:
    return " ".join(part.capitalize() for part in pid.replace("_", "-").split("-"))


def _ascii_id(pid: str) -> str:
    """Product ids must match ^[a-z0-9-_.]+: drop accents and other characters."""
    table = str.maketrans("éèêàâîôûç", "eeeaaiouc")
    return "".join(c for c in pid.translate(table) if c.isalnum() or c in "-_.")


def _chosen(names: dict[str, Any], rnd: random.Random, size: int) -> list[tuple[str, int, str]]:
    """(id, rank, kind) of `size` products, the named ones first, then per-model packages."""
    ranked: list[tuple[str, int, str]] = []
    ranked += [(p, 0, "runtime") for p in names["runtimes"]]
    ranked += [(p, 1, "opsi") for p in names["opsi_core"]]
    ranked += [(p, 1, "netboot") for p in names["netboot"]]
    ranked += [(p, 1, "font") for p in names["fonts"]]
    ranked += [(p, 2, "app") for p in names["apps"]]
    ranked += [(p, 3, "addon") for p in names["addons"]]
    ranked += [(p, 2, "config") for p in names["configs"]]
    ranked += [(f"pack-{s}", 4, "pack") for s in names["subjects"]]
    kbs = sorted({f"kb50{rnd.randint(10000, 49999)}" for _ in range(40)})
    ranked += [(kb, 1, "hotfix") for kb in kbs]
    workstations = [(v, m) for v, ms in names["workstations"].items() for m in ms]
    ranked += [
        (f"printer-{v}-{m}", 2, "printer") for v, ms in names["printers"].items() for m in ms
    ]
    ranked += [(f"driver-{v}-{m}", 1, "driver") for v, m in workstations]
    # Fill up to `size` with per-model firmware/BIOS and docking-station packages.
    ranked += [
        (f"{what}-{v}-{m}", 1, "driver")
        for what in ("bios", "dock-driver", "wifi-driver")
        for v, m in workstations
    ]
    seen: set[str] = set()
    chosen: list[tuple[str, int, str]] = []
    for pid, rank, kind in ranked:
        pid = _ascii_id(pid)
        if pid in seen:
            continue
        seen.add(pid)
        chosen.append((pid, rank, kind))
        if len(chosen) == size:
            break
    return chosen


def generate(seed: int = SEED, size: int = SIZE) -> dict[str, Any]:
    """The catalogue as object dicts (the JSON that data/catalogue.json holds)."""
    names = load_names()
    rnd = random.Random(seed)
    chosen = _chosen(names, rnd, size)
    addon_parent = {_ascii_id(a): _ascii_id(b) for a, b in names["addons"].items()}
    by_rank: dict[int, list[str]] = {}
    for pid, rank, kind in chosen:
        if kind not in ("netboot",):
            by_rank.setdefault(rank, []).append(pid)
    templates = names["properties"]
    products: list[dict] = []
    deps: list[dict] = []
    props: list[dict] = []
    versions: dict[str, tuple[str, str]] = {}
    for pid, rank, kind in chosen:
        pver, kver = _version(rnd), str(rnd.randint(1, 12))
        versions[pid] = (pver, kver)
        netboot = kind == "netboot"
        prod: dict[str, Any] = {
            "type": "NetbootProduct" if netboot else "LocalbootProduct",
            "id": pid,
            "productVersion": pver,
            "packageVersion": kver,
            "name": _name(pid),
            "licenseRequired": kind == "app" and rnd.random() < 0.12,
            "setupScript": "setup.py" if netboot else "setup.opsiscript",
            "uninstallScript": "" if netboot else "uninstall.opsiscript",
            "updateScript": "update.opsiscript"
            if kind in ("app", "addon") and rnd.random() < 0.2
            else "",
            "alwaysScript": "always.opsiscript" if kind == "config" and rnd.random() < 0.3 else "",
            "onceScript": "once.opsiscript" if kind == "opsi" and rnd.random() < 0.2 else "",
            "customScript": "",
            "priority": {"runtime": 40, "opsi": 90, "hotfix": -10, "config": 10, "pack": -20}.get(
                kind, 0
            )
            if kind != "app"
            else rnd.choice((0, 0, 0, 0, 5, -5)),
            "description": f"{_name(pid)} — paquet {kind} du catalogue régional",
            "advice": "Redémarrage requis après installation"
            if kind in ("driver", "hotfix")
            else "",
            "changelog": f"{pid} ({pver}-{kver}) stable; urgency=low\n\n  * new upstream release\n",
            "productClassIds": [],
            "windowsSoftwareIds": [],
        }
        if netboot:
            prod["pxeConfigTemplate"] = ""
        else:
            prod["userLoginScript"] = (
                "userlogin.opsiscript" if kind == "config" and rnd.random() < 0.2 else ""
            )
        products.append(objects.from_hash(prod, "Product"))
        # properties
        if netboot:
            chosen_props = names["netboot_properties"]
        elif kind in ("app", "addon", "runtime"):
            chosen_props = rnd.sample(templates, rnd.randint(1, 4))
        else:
            chosen_props = rnd.sample(templates[:6], rnd.randint(0, 2))
        for tmpl in sorted(chosen_props, key=lambda t: t["propertyId"]):
            prop = {**tmpl, "productId": pid, "productVersion": pver, "packageVersion": kver}
            props.append(objects.from_hash(prop, "ProductProperty"))
        # dependencies (only towards a lower rank, so no cycle)
        required: list[tuple[str, str | None, str | None, str | None]] = []
        if kind == "addon":
            required.append((addon_parent[pid], None, "installed", "before"))
        elif kind == "opsi" and pid != "opsi-client-agent":
            if rnd.random() < 0.4:
                required.append(("opsi-client-agent", None, "installed", None))
        elif kind == "pack":
            for other in rnd.sample(by_rank[2], rnd.randint(3, 8)):
                required.append((other, "setup", None, rnd.choice((None, "after"))))
        elif kind in ("app", "printer", "config") and rank > 0 and rnd.random() < 0.35:
            for other in rnd.sample(by_rank[0], rnd.randint(1, 2)):
                required.append((other, "setup", None, "before"))
        for other, action, status, rtype in required:
            dep = {
                "productId": pid,
                "productVersion": pver,
                "packageVersion": kver,
                "productAction": "setup",
                "requiredProductId": other,
                "requiredAction": action,
                "requiredInstallationStatus": status,
                "requirementType": rtype,
            }
            deps.append(objects.from_hash(dep, "ProductDependency"))
        if kind == "app" and rnd.random() < 0.03:
            runtime = rnd.choice(by_rank[0])
            deps.append(
                objects.from_hash(
                    {
                        "productId": pid,
                        "productVersion": pver,
                        "packageVersion": kver,
                        "productAction": "uninstall",
                        "requiredProductId": runtime,
                        "requiredAction": None,
                        "requiredInstallationStatus": "installed",
                        "requirementType": "after",
                    },
                    "ProductDependency",
                )
            )
    # required versions: pin some dependencies to the catalogue's current version
    for dep in deps:
        if rnd.random() < 0.15:
            dep["requiredProductVersion"], dep["requiredPackageVersion"] = versions[
                dep["requiredProductId"]
            ]
    return {
        "seed": seed,
        "generator": "scripts/gen_opsi_catalogue.py",
        "products": [_strip(p) for p in products],
        "productDependencies": [_strip(d) for d in deps],
        "productProperties": [_strip(p) for p in props],
    }


def _strip(obj: dict) -> dict:
    return {k: val for k, val in obj.items() if val is not None}


def render(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=0, sort_keys=False) + "\n"


def stats(data: dict[str, Any]) -> dict[str, Any]:
    types: dict[str, int] = {}
    for p in data["products"]:
        types[p["type"]] = types.get(p["type"], 0) + 1
    return {
        "products": len(data["products"]),
        "by_type": types,
        "dependencies": len(data["productDependencies"]),
        "properties": len(data["productProperties"]),
        "products_with_dependencies": len({d["productId"] for d in data["productDependencies"]}),
        "products_with_properties": len({p["productId"] for p in data["productProperties"]}),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help=f"write {DATA_FILE}")
    args = parser.parse_args(argv)
    data = generate()
    if args.write:
        tmp = DATA_FILE.with_suffix(".tmp")
        tmp.write_text(render(data), encoding="utf-8")
        tmp.replace(DATA_FILE)
    print(json.dumps(stats(data)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
