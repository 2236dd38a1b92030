"""The catalogue's `.opsi` files, as a master depot's repository serves them.

The shipped catalogue (catalogue.py) describes ~800 products as opsi objects; a master's
repository answers `GET /repository/<id>_<productVersion>-<packageVersion>.opsi` for each of
them with a real package built from those objects by fleet.opsi.package (a tar holding
OPSI.tar.gz with the control file and CLIENT_DATA.tar.gz): the same bytes every time, so a
sha256 in the catalogue lock means something, and installing it on a depot recreates the
product, its dependencies and its properties.

Which devices are what: a device named by a site's UAI (`0450050K`) is that site's depot
server, fresh (the catalogue's products known, none installed on its depot); any other name
(`master`, `opsi-001`) is a master: every catalogue product installed, packages served.
"""

from __future__ import annotations

import re
from functools import lru_cache

from fleet.opsi import package

from . import catalogue

SITE_NAME = re.compile(r"^\d{7}[A-Z]$")


def is_site_depot(name: str) -> bool:
    return bool(SITE_NAME.match(name))


@lru_cache(maxsize=1)
def _index() -> dict[str, tuple[dict, list[dict], list[dict]]]:
    """file name → (product, dependencies, properties), for every catalogue product."""
    cat = catalogue.load()
    deps: dict[tuple, list[dict]] = {}
    props: dict[tuple, list[dict]] = {}
    for dep in cat.dependencies.values():
        deps.setdefault(
            (dep["productId"], dep["productVersion"], dep["packageVersion"]), []
        ).append(dep)
    for prop in cat.properties.values():
        props.setdefault(
            (prop["productId"], prop["productVersion"], prop["packageVersion"]), []
        ).append(prop)
    out = {}
    for product in cat.products.values():
        key = (product["id"], product["productVersion"], product["packageVersion"])
        name = package.file_name(product["id"], f"{key[1]}-{key[2]}")
        out[name] = (
            product,
            sorted(deps.get(key, []), key=lambda d: d["requiredProductId"]),
            sorted(props.get(key, []), key=lambda p: p["propertyId"]),
        )
    return out


@lru_cache(maxsize=1024)
def package_file(name: str) -> bytes | None:
    """The `.opsi` file of a catalogue product, or None when the name is not one."""
    found = _index().get(name)
    if found is None:
        return None
    return package.build(*found)


def file_names() -> list[str]:
    return sorted(_index())
