"""`fleet opsi catalogue update`: what the master (or a directory of `.opsi` files) offers,
compared with the lock, and the new lock.

A source lists `{product id: version}` and hands out a product's package bytes. Every package
that would enter the lock is read (a malformed one is refused, naming the file) and hashed;
products whose version the lock already has are not downloaded again (their sha256 stays).
`changes()` gives the change table (new, upgrade, downgrade, removed); `apply()` the new lock.
A locked version a pin still names is kept under `held` (with its file and sha256).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from fleet.errors import BadInput, FleetError
from fleet.opsi import lock as lockmod
from fleet.opsi import package, versions
from fleet.opsi.rpc import Client, RpcError


class Source(Protocol):
    name: str

    def listing(self) -> dict[str, str]: ...

    def fetch(self, product_id: str, version: str) -> bytes: ...


class DirectorySource:
    """A directory of `.opsi` files; the highest version of each product counts."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.name = str(path)
        if not self.path.is_dir():
            raise BadInput(f"{path}: no such directory of .opsi files")
        self._files: dict[str, tuple[str, Path]] = {}
        for file in sorted(self.path.glob("*.opsi")):
            stem = file.name[: -len(".opsi")]
            pid, sep, version = stem.rpartition("_")
            if not sep or not lockmod.VERSION.match(version):
                raise BadInput(
                    f"{file}: not a package file name (<product>_<productVersion>-<packageVersion>.opsi)"
                )
            best = self._files.get(pid)
            if best is None or versions.compare(version, best[0]) > 0:
                self._files[pid] = (version, file)

    def listing(self) -> dict[str, str]:
        return {pid: v for pid, (v, _) in sorted(self._files.items())}

    def fetch(self, product_id: str, version: str) -> bytes:
        return self._files[product_id][1].read_bytes()


class MasterSource:
    """The master depot over JSON-RPC: its ProductOnDepot objects (one call) and its
    repository's files (WebDAV GET)."""

    def __init__(self, client: Client):
        self.client = client
        self.name = client.url
        try:
            servers = client.call("host_getObjects", [], {"type": "OpsiConfigserver"})
        except RpcError as exc:
            raise FleetError(f"master {client.url}: {exc.message}") from None
        if not servers:
            raise FleetError(f"master {client.url}: no config server object")
        self.depot_id = servers[0]["id"]

    def listing(self) -> dict[str, str]:
        try:
            pods = self.client.call("productOnDepot_getObjects", [], {"depotId": self.depot_id})
        except RpcError as exc:
            raise FleetError(f"master {self.name}: {exc.message}") from None
        return {
            p["productId"]: f"{p['productVersion']}-{p['packageVersion']}"
            for p in sorted(pods, key=lambda p: p["productId"])
        }

    def fetch(self, product_id: str, version: str) -> bytes:
        try:
            return self.client.get_file(package.file_name(product_id, version))
        except RpcError as exc:
            raise FleetError(f"master {self.name}: {exc.message}") from None


@dataclass
class Change:
    product: str
    kind: str  # new, upgrade, downgrade, repackaged, removed
    old: str | None
    new: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"product": self.product, "change": self.kind, "from": self.old, "to": self.new}


def collect(
    source: Source, current: lockmod.Lock, only: list[str] | None = None
) -> tuple[dict[str, lockmod.Product], list[Change]]:
    """The entries the source gives for `only` (all products when None) and the changes to
    the lock. A product in `only` the source does not have is refused (BadInput)."""
    offered = source.listing()
    scope = sorted(set(offered) | set(current.products)) if only is None else sorted(set(only))
    missing = [p for p in scope if p not in offered and p not in current.products]
    if missing:
        raise BadInput(f"{source.name}: no product {', '.join(missing)} (nor in the lock)")
    entries: dict[str, lockmod.Product] = {}
    changes: list[Change] = []
    for pid in scope:
        old = current.products.get(pid)
        version = offered.get(pid)
        if version is None:
            changes.append(Change(pid, "removed", old.version if old else None, None))
            continue
        if old is not None and old.version == version:
            continue
        data = source.fetch(pid, version)
        shown = package.file_name(pid, version)
        try:
            entry = package.read(data)
        except package.PackageError as exc:
            raise BadInput(f"{source.name}: {shown}: malformed .opsi package: {exc}") from None
        if entry["id"] != pid or entry["version"] != version:
            raise BadInput(
                f"{source.name}: {shown} holds {entry['id']} {entry['version']}, not {pid} {version}"
            )
        entries[pid] = lockmod.Product(
            id=pid,
            type=entry["type"],
            version=version,
            file=entry["file"],
            sha256=entry["sha256"],
            dependencies=entry["dependencies"],
            properties=entry["properties"],
        )
        if old is None:
            kind = "new"
        else:
            order = versions.compare(version, old.version)
            kind = "upgrade" if order > 0 else "downgrade" if order < 0 else "repackaged"
        changes.append(Change(pid, kind, old.version if old else None, version))
    return entries, changes


def apply(
    current: lockmod.Lock,
    entries: dict[str, lockmod.Product],
    changes: list[Change],
    pins: lockmod.Pins,
) -> lockmod.Lock:
    """The new lock: changes applied; a replaced version that a pin names is held."""
    pinned: dict[str, set[str]] = {}
    for scope in (*pins.profiles.values(), *pins.sites.values()):
        for pid, version in scope.pin.items():
            pinned.setdefault(pid, set()).add(version)
    products = dict(current.products)
    for change in changes:
        if change.kind == "removed":
            products.pop(change.product, None)
            continue
        new = entries[change.product]
        old = products.get(change.product)
        keep = pinned.get(change.product, set()) - {new.version}
        held = []
        if old is not None:
            candidates = [old.package(), *old.held]
            held = [dict(h) for h in candidates if h and h["version"] in keep]
        new.held = sorted(held, key=lambda h: h["version"])
        products[change.product] = new
    return lockmod.Lock(products=dict(sorted(products.items())))
