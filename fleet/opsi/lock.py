"""The catalogue lock (`opsi/catalogue.lock.yml`) and the pins on top of it (`opsi/pins.yml`).

The lock says, for each product the region deploys: its type, its version
(`productVersion-packageVersion`), the `.opsi` file and its sha256, its dependencies and its
property defaults; `held` keeps older versions a pin still needs. It is written only by
`fleet opsi catalogue update` (deterministic, sorted, one product per block, so a merge
request shows exactly what changed). `pins.yml` is written by people: per profile or per site,
products excluded, products pinned at a held version, property defaults overridden.

This module reads, checks and writes them and answers "what goes on this site's depot"; it
never imports fleet.registry (the registry imports it to check profiles).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from fleet import yamlcache
from fleet.errors import Problem
from fleet.opsi import versions

LOCK_FILE = "opsi/catalogue.lock.yml"
PINS_FILE = "opsi/pins.yml"
PRODUCT_ID = re.compile(r"^[a-z0-9][a-z0-9-_.]{0,127}$")
VERSION = re.compile(r"^[A-Za-z0-9.]{1,32}-[A-Za-z0-9.]{1,16}(~[A-Za-z0-9.]+)?$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")
ORDERS = ("before", "after")
TYPES = ("localboot", "netboot")
DEP_KEYS = {"product", "action", "required_action", "required_status", "version", "order"}
HEADER = (
    "# The OPSI catalogue lock: written by `fleet opsi catalogue update`, reviewed in merge\n"
    "# requests, never edited by hand (docs/opsi.md). Pins and exclusions: opsi/pins.yml.\n"
)

try:
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _Loader = yaml.SafeLoader


@dataclass
class Product:
    id: str
    type: str
    version: str
    file: str
    sha256: str
    dependencies: list[dict[str, Any]] = field(default_factory=list)
    properties: dict[str, list] = field(default_factory=dict)
    held: list[dict[str, str]] = field(default_factory=list)  # {version, file, sha256}

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": self.type,
            "version": self.version,
            "file": self.file,
            "sha256": self.sha256,
            "dependencies": self.dependencies,
            "properties": self.properties,
        }
        if self.held:
            out["held"] = self.held
        return out

    def package(self, version: str | None = None) -> dict[str, str] | None:
        """{version, file, sha256} of the locked version or of a held one (None if neither)."""
        if version in (None, self.version):
            return {"version": self.version, "file": self.file, "sha256": self.sha256}
        return next((dict(h) for h in self.held if h["version"] == version), None)


@dataclass
class Lock:
    products: dict[str, Product] = field(default_factory=dict)


@dataclass
class Scope:
    """Pins of one profile or one site."""

    exclude: list[str] = field(default_factory=list)
    pin: dict[str, str] = field(default_factory=dict)
    properties: dict[str, dict[str, list]] = field(default_factory=dict)


@dataclass
class Pins:
    profiles: dict[str, Scope] = field(default_factory=dict)
    sites: dict[str, Scope] = field(default_factory=dict)


# reading ---------------------------------------------------------------------------------


def _load_yaml(path: Path, shown: str) -> tuple[Any, list[Problem]]:
    try:
        text = path.read_text(encoding="utf-8")
        return yamlcache.load(text, lambda t: yaml.load(t, Loader=_Loader)), []
    except FileNotFoundError:
        return None, [Problem(shown, "", "file not found")]
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        mark = getattr(exc, "problem_mark", None)
        return None, [
            Problem(shown, "", f"not readable YAML: {exc}", mark.line + 1 if mark else None)
        ]


def parse_lock(data: Any, shown: str) -> tuple[Lock, list[Problem]]:
    """The lock from its YAML data; every shape problem named by file and product."""
    problems: list[Problem] = []
    lock = Lock()
    if not isinstance(data, dict) or not isinstance(data.get("products"), dict):
        return lock, [Problem(shown, "products", "a mapping of product id → locked product")]
    for pid, raw in data["products"].items():
        where = f"products.{pid}"

        def bad(msg: str, sub: str = "", where: str = where) -> None:
            problems.append(Problem(shown, f"{where}{sub}", msg))

        if not isinstance(pid, str) or not PRODUCT_ID.match(pid):
            bad(f"product id {pid!r} is not an opsi product id (lower case, [a-z0-9-_.])")
            continue
        if not isinstance(raw, dict):
            bad("a mapping (type, version, file, sha256, dependencies, properties)")
            continue
        unknown = set(raw) - {
            "type",
            "version",
            "file",
            "sha256",
            "dependencies",
            "properties",
            "held",
        }
        if unknown:
            bad(f"unknown key(s) {', '.join(sorted(map(str, unknown)))}")
        version = str(raw.get("version", ""))
        if not VERSION.match(version):
            bad(
                f"version {version!r} is not productVersion-packageVersion (e.g. 2024.8-3)",
                ".version",
            )
        if raw.get("type") not in TYPES:
            bad(f"type {raw.get('type')!r}: one of {', '.join(TYPES)}", ".type")
        sha = str(raw.get("sha256", ""))
        if not SHA256.match(sha):
            bad("sha256 must be 64 lower-case hex digits", ".sha256")
        deps = raw.get("dependencies") or []
        if not isinstance(deps, list) or not all(
            isinstance(d, dict) and isinstance(d.get("product"), str) and set(d) <= DEP_KEYS
            for d in deps
        ):
            bad(f"a list of {{{', '.join(sorted(DEP_KEYS))}}} (product required)", ".dependencies")
            deps = []
        props = raw.get("properties") or {}
        if not isinstance(props, dict) or not all(isinstance(v, list) for v in props.values()):
            bad("a mapping of property → list of default values", ".properties")
            props = {}
        held = raw.get("held") or []
        if not isinstance(held, list) or not all(
            isinstance(h, dict) and {"version", "file", "sha256"} <= set(h) for h in held
        ):
            bad("a list of {version, file, sha256}", ".held")
            held = []
        lock.products[pid] = Product(
            id=pid,
            type=str(raw.get("type")),
            version=version,
            file=str(raw.get("file") or ""),
            sha256=sha,
            dependencies=[dict(d) for d in deps],
            properties={str(k): list(v) for k, v in props.items()},
            held=[{k: str(h[k]) for k in ("version", "file", "sha256")} for h in held],
        )
    return lock, problems


def _scope(raw: Any, shown: str, where: str, problems: list[Problem]) -> Scope:
    if raw is None:
        return Scope()
    if not isinstance(raw, dict) or set(raw) - {"exclude", "pin", "properties"}:
        problems.append(Problem(shown, where, "a mapping with exclude, pin and/or properties"))
        return Scope()
    exclude = raw.get("exclude") or []
    pin = raw.get("pin") or {}
    props = raw.get("properties") or {}
    if not isinstance(exclude, list):
        problems.append(Problem(shown, f"{where}.exclude", "a list of product ids"))
        exclude = []
    if not isinstance(pin, dict):
        problems.append(Problem(shown, f"{where}.pin", "a mapping of product id → version"))
        pin = {}
    if not isinstance(props, dict) or not all(
        isinstance(v, dict) and all(isinstance(x, list) for x in v.values()) for v in props.values()
    ):
        problems.append(Problem(shown, f"{where}.properties", "product id → {property: [values]}"))
        props = {}
    return Scope([str(x) for x in exclude], {str(k): str(v) for k, v in pin.items()}, dict(props))


def parse_pins(data: Any, shown: str) -> tuple[Pins, list[Problem]]:
    problems: list[Problem] = []
    if data is None:
        return Pins(), []
    if not isinstance(data, dict) or set(data) - {"profiles", "sites"}:
        return Pins(), [Problem(shown, "", "a mapping with `profiles` and/or `sites`")]
    pins = Pins()
    for key in ("profiles", "sites"):
        for name, raw in (data.get(key) or {}).items():
            getattr(pins, key)[str(name)] = _scope(raw, shown, f"{key}.{name}", problems)
    return pins, problems


@dataclass
class Catalogue:
    """The lock and the pins of one registry, with the names to show in messages."""

    lock: Lock
    pins: Pins
    lock_shown: str = LOCK_FILE
    pins_shown: str = PINS_FILE


def read(root: Path) -> tuple[Catalogue | None, list[Problem]]:
    """The registry's catalogue (None when it has no lock file) and its shape problems."""
    root = Path(root)
    lock_path, pins_path = root / LOCK_FILE, root / PINS_FILE
    shown_lock, shown_pins = f"{root.name}/{LOCK_FILE}", f"{root.name}/{PINS_FILE}"
    if not lock_path.exists():
        return None, []
    data, problems = _load_yaml(lock_path, shown_lock)
    lock, found = parse_lock(data, shown_lock) if not problems else (Lock(), [])
    problems += found
    pins = Pins()
    if pins_path.exists():
        pdata, found = _load_yaml(pins_path, shown_pins)
        problems += found
        if not found:
            pins, found = parse_pins(pdata, shown_pins)
            problems += found
    return Catalogue(lock, pins, shown_lock, shown_pins), problems


@lru_cache(maxsize=8)
def _cached(root: str, stamp: tuple) -> tuple[Catalogue | None, tuple[Problem, ...]]:
    catalogue, problems = read(Path(root))
    return catalogue, tuple(problems)


def load(root: Path) -> Catalogue | None:
    """The catalogue, read once per content of its files (inventory build asks per site)."""
    root = Path(root)
    stamp = tuple(
        (p.stat().st_mtime_ns, p.stat().st_size) if p.exists() else None
        for p in (root / LOCK_FILE, root / PINS_FILE)
    )
    return _cached(str(root.resolve()), stamp)[0]


# checking --------------------------------------------------------------------------------


def check(
    catalogue: Catalogue,
    profiles: dict[str, list[str]] | None = None,
    profiles_shown: str = "region.yml",
    sites: dict[str, list[str]] | None = None,
) -> list[Problem]:
    """Every problem of the catalogue: the dependency graph (each required product locked,
    each version condition met by the locked version, no cycle among `before` dependencies),
    the profiles' product ids (`profiles`: name → product ids) and the pins (`sites`: UAI →
    its profiles)."""
    lock, shown = catalogue.lock, catalogue.lock_shown
    problems: list[Problem] = []
    for pid, product in sorted(lock.products.items()):
        for i, dep in enumerate(product.dependencies):
            where = f"products.{pid}.dependencies[{i}]"
            target = lock.products.get(dep["product"])
            if target is None:
                problems.append(
                    Problem(
                        shown,
                        where,
                        f"{pid} depends on {dep['product']!r}, which is not in the lock",
                    )
                )
                continue
            if dep.get("order") not in (None, *ORDERS):
                problems.append(
                    Problem(shown, where, f"order {dep['order']!r}: before, after or none")
                )
            if dep.get("version"):
                try:
                    ok = versions.satisfies(target.version, dep["version"])
                except ValueError as exc:
                    problems.append(Problem(shown, where, f"{pid}: {exc}"))
                    continue
                if not ok:
                    problems.append(
                        Problem(
                            shown,
                            where,
                            f"{pid} needs {dep['product']} {dep['version']}, the lock has "
                            f"{target.version}: the condition cannot be met",
                        )
                    )
    for cycle in before_cycles(lock):
        problems.append(
            Problem(
                shown,
                f"products.{cycle[0]}.dependencies",
                f"cycle among `before` dependencies: {' → '.join(cycle)}",
            )
        )
    for name, products in sorted((profiles or {}).items()):
        for i, pid in enumerate(products):
            if pid not in lock.products:
                problems.append(
                    Problem(
                        profiles_shown,
                        f"opsi.profiles.{name}.products[{i}]",
                        f"profile {name} names product {pid!r}, which is not in {shown}",
                    )
                )
    problems += _check_pins(catalogue, profiles or {}, sites)
    return problems


def _check_pins(
    catalogue: Catalogue, profiles: dict[str, list[str]], sites: dict[str, list[str]] | None
) -> list[Problem]:
    lock, shown = catalogue.lock, catalogue.pins_shown
    problems: list[Problem] = []
    scopes = [("profiles", n, s) for n, s in catalogue.pins.profiles.items()]
    scopes += [("sites", n, s) for n, s in catalogue.pins.sites.items()]
    for key, name, scope in scopes:
        where = f"{key}.{name}"
        if key == "profiles" and profiles and name not in profiles:
            problems.append(
                Problem(
                    shown, where, f"unknown profile {name!r} (known: {', '.join(sorted(profiles))})"
                )
            )
        if key == "sites" and sites is not None and name not in sites:
            problems.append(Problem(shown, where, f"unknown site {name!r}: no sites/{name}.yml"))
        for pid in scope.exclude:
            if pid not in lock.products:
                problems.append(
                    Problem(shown, f"{where}.exclude", f"product {pid!r} is not in the lock")
                )
        for pid, version in scope.pin.items():
            product = lock.products.get(pid)
            if product is None:
                problems.append(
                    Problem(shown, f"{where}.pin.{pid}", f"product {pid!r} is not in the lock")
                )
            elif product.package(version) is None:
                held = ", ".join(h["version"] for h in product.held) or "none"
                problems.append(
                    Problem(
                        shown,
                        f"{where}.pin.{pid}",
                        f"{pid} {version} is neither the locked version ({product.version}) "
                        f"nor held (held: {held}); `fleet opsi catalogue update` keeps a "
                        "pinned version held",
                    )
                )
        for pid, props in scope.properties.items():
            product = lock.products.get(pid)
            if product is None:
                problems.append(
                    Problem(
                        shown, f"{where}.properties.{pid}", f"product {pid!r} is not in the lock"
                    )
                )
                continue
            for prop in props:
                if prop not in product.properties:
                    problems.append(
                        Problem(
                            shown,
                            f"{where}.properties.{pid}.{prop}",
                            f"{pid} has no property {prop!r} (has: {', '.join(sorted(product.properties)) or 'none'})",
                        )
                    )
    return problems


def before_cycles(lock: Lock) -> list[list[str]]:
    """Each cycle among `before` dependencies once, as [a, b, …, a]."""
    edges = {
        pid: sorted(
            {
                d["product"]
                for d in p.dependencies
                if d.get("order") == "before" and d["product"] in lock.products
            }
        )
        for pid, p in lock.products.items()
    }
    colour: dict[str, int] = {}
    cycles: list[list[str]] = []
    seen: set[frozenset] = set()
    for start in sorted(edges):
        if colour.get(start):
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        path: list[str] = []
        while stack:
            node, i = stack.pop()
            if i == 0:
                colour[node] = 1
                path.append(node)
            if i < len(edges[node]):
                stack.append((node, i + 1))
                nxt = edges[node][i]
                if colour.get(nxt) == 1:
                    cycle = path[path.index(nxt) :] + [nxt]
                    key = frozenset(cycle)
                    if key not in seen:
                        seen.add(key)
                        cycles.append(cycle)
                elif not colour.get(nxt):
                    stack.append((nxt, 0))
            else:
                colour[node] = 2
                path.pop()
    return cycles


# what a depot gets -----------------------------------------------------------------------


def site_products(
    catalogue: Catalogue, uai: str, profiles: dict[str, list[str]]
) -> list[dict[str, Any]]:
    """The products of a site's depot, dependencies first (the graph's order, then by id):
    each {id, type, version, file, sha256, properties}. `profiles`: the site's profiles →
    their product ids. Exclusions (profile and site) and pins (site over profile) applied;
    a dependency of a wanted product is always included."""
    lock, pins = catalogue.lock, catalogue.pins
    site = pins.sites.get(uai, Scope())
    wanted: set[str] = set()
    pin: dict[str, str] = {}
    props: dict[str, dict[str, list]] = {}
    for name, products in sorted(profiles.items()):
        scope = pins.profiles.get(name, Scope())
        wanted |= {p for p in products if p not in scope.exclude}
        pin.update(scope.pin)
        for pid, values in scope.properties.items():
            props.setdefault(pid, {}).update(values)
    wanted -= set(site.exclude)
    pin.update(site.pin)
    for pid, values in site.properties.items():
        props.setdefault(pid, {}).update(values)
    order: list[str] = []
    done: set[str] = set()

    def visit(pid: str, trail: tuple[str, ...]) -> None:
        if pid in done or pid in trail or pid not in lock.products:
            return
        for dep in sorted(lock.products[pid].dependencies, key=lambda d: d["product"]):
            visit(dep["product"], (*trail, pid))
        done.add(pid)
        order.append(pid)

    for pid in sorted(wanted):
        visit(pid, ())
    out = []
    for pid in order:
        product = lock.products[pid]
        package = product.package(pin.get(pid)) or product.package()
        assert package is not None
        out.append(
            {
                "id": pid,
                "type": product.type,
                **package,
                "properties": {**product.properties, **props.get(pid, {})},
            }
        )
    return out


# writing ---------------------------------------------------------------------------------


def dumps(lock: Lock) -> str:
    """The lock file's text: sorted, one product per block, scalars as JSON strings (valid
    YAML), so the same lock always gives the same bytes and a change is a small diff."""

    def scalar(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False)

    lines = [HEADER, "products:\n"]
    for pid in sorted(lock.products):
        product = lock.products[pid]
        lines.append(f"  {scalar(pid)}:\n")
        for key, value in product.to_dict().items():
            if key in ("dependencies", "held"):
                lines.append(f"    {key}:{' []' if not value else ''}\n")
                first = "product" if key == "dependencies" else "version"
                for item in value:
                    keys = [first, *sorted(k for k in item if k != first)]
                    for i, k in enumerate(keys):
                        lines.append(f"      {'- ' if i == 0 else '  '}{k}: {scalar(item[k])}\n")
            elif key == "properties":
                lines.append(f"    properties:{' {}' if not value else ''}\n")
                for prop, values in sorted(value.items()):
                    lines.append(f"      {scalar(prop)}: {scalar(values)}\n")
            else:
                lines.append(f"    {key}: {scalar(value)}\n")
    return "".join(lines)


def write(root: Path, lock: Lock) -> None:
    from fleet.fsutil import atomic_write

    atomic_write(Path(root) / LOCK_FILE, dumps(lock))


def registry_problems(
    root: Path, profiles: dict[str, list[str]], profiles_shown: str, sites: list[str]
) -> tuple[list[Problem], list[str]]:
    """What `fleet validate` says about the catalogue: its problems, and a warning when the
    registry has no lock (then profile product ids cannot be checked)."""
    catalogue, problems = read(root)
    if catalogue is None:
        if any(profiles.values()):
            return [], [
                f"no {LOCK_FILE}: the OPSI profiles' product ids are not checked "
                "(`fleet opsi catalogue update` writes it)"
            ]
        return [], []
    if problems:
        return problems, []
    return check(catalogue, profiles, profiles_shown, {uai: [] for uai in sites}), []
