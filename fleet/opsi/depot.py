"""One site's depot converged to its share of the catalogue lock, over JSON-RPC.

`read(depot, depot_id)`: everything in ONE batched request: the depot's products
(`productOnDepot_getObjects(depotId=…)`, once per depot, never per product), its property
values (`productPropertyState_getObjects(objectId=…)`), the product groups and their members,
and the depot's host object.

`plan(...)` (pure): the products to install (new, upgrade, downgrade, a product left locked by
a failed install), the property values to set, the products on the depot the lock does not
give it (unmanaged: reported, uninstalled only with allow_destroy), the profile groups and
their members, the depot's registration.

`apply(...)`: dependencies first (the order of `desired`): each package fetched from the master
repository, its sha256 checked against the lock (a mismatch is refused before anything reaches
the depot), uploaded to the depot's repository, installed with `depot_installPackage` and the
site's property values; then property values, groups, registration. Check mode never calls it.
Standard library only (with rpc.py): the Ansible modules use this file through a symlink.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

try:  # inside an Ansible module: the module_utils symlinks
    from ansible.module_utils.fleet_opsi_rpc import REPOSITORY, Client
    from ansible.module_utils.fleet_opsi_versions import compare as _compare
except ImportError:
    from fleet.opsi.rpc import REPOSITORY, Client
    from fleet.opsi.versions import compare as _compare

MARK = "[fleet]"
REGISTRATION_KEYS = (
    "description",
    "networkAddress",
    "maxBandwidth",
    "depotRemoteUrl",
    "repositoryRemoteUrl",
)


class Refused(Exception):
    """A change fleet will not make (sha256 mismatch): nothing was sent to the depot for it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class Current:
    products: dict[str, dict[str, Any]]  # product id -> ProductOnDepot
    states: dict[tuple[str, str], list]  # (product, property) -> values
    groups: dict[str, dict[str, Any]]  # ProductGroup id -> group
    members: dict[str, set[str]]  # group id -> product ids
    host: dict[str, Any] | None


def read(depot: Client, depot_id: str) -> Current:
    pods, states, groups, links, hosts = depot.batch(
        [
            ("productOnDepot_getObjects", [[], {"depotId": depot_id}]),
            ("productPropertyState_getObjects", [[], {"objectId": depot_id}]),
            ("group_getObjects", [[], {"type": "ProductGroup"}]),
            ("objectToGroup_getObjects", [[], {"groupType": "ProductGroup"}]),
            ("host_getObjects", [[], {"id": depot_id}]),
        ]
    )
    members: dict[str, set[str]] = {}
    for link in links or []:
        members.setdefault(link["groupId"], set()).add(link["objectId"])
    return Current(
        products={p["productId"]: p for p in pods or []},
        states={
            (s["productId"], s["propertyId"]): list(s.get("values") or []) for s in states or []
        },
        groups={g["id"]: g for g in groups or []},
        members=members,
        host=(hosts or [None])[0],
    )


def version_of(pod: dict[str, Any]) -> str:
    return f"{pod['productVersion']}-{pod['packageVersion']}"


@dataclass
class Plan:
    installs: list[dict[str, Any]] = field(
        default_factory=list
    )  # {product, from, to, action, package}
    properties: list[dict[str, Any]] = field(default_factory=list)  # {product, property, from, to}
    unmanaged: list[dict[str, str]] = field(default_factory=list)  # {product, version}
    removals: list[str] = field(default_factory=list)
    groups: list[dict[str, Any]] = field(default_factory=list)  # {group, create, add, remove}
    registration: dict[str, Any] | None = None  # {create: bool, set: {k: (from, to)}}

    @property
    def changed(self) -> bool:
        return bool(
            self.installs or self.properties or self.removals or self.groups or self.registration
        )


def _action(current: dict[str, Any] | None, version: str, compare) -> str:
    if current is None:
        return "install"
    if current.get("locked"):
        return "repair"  # a failed install left it locked
    order = compare(version, version_of(current))
    return "upgrade" if order > 0 else "downgrade" if order < 0 else "reinstall"


def plan(
    current: Current,
    desired: list[dict[str, Any]],
    groups: dict[str, list[str]] | None = None,
    registration: dict[str, Any] | None = None,
    allow_destroy: bool = False,
    compare=None,
) -> Plan:
    """`desired`: the site's products in install order, each {id, type, version, file, sha256,
    properties}; `groups`: profile → product ids; `registration`: the depot's settings."""
    if compare is None:
        compare = _compare
    out = Plan()
    wanted = {p["id"] for p in desired}
    for product in desired:
        pod = current.products.get(product["id"])
        if pod is None or pod.get("locked") or version_of(pod) != product["version"]:
            out.installs.append(
                {
                    "product": product["id"],
                    "from": version_of(pod) if pod else None,
                    "to": product["version"],
                    "action": _action(pod, product["version"], compare),
                    "package": product,
                }
            )
            continue
        for prop, values in sorted(product.get("properties", {}).items()):
            have = current.states.get((product["id"], prop))
            if have is None or _norm(have) != _norm(values):
                out.properties.append(
                    {"product": product["id"], "property": prop, "from": have, "to": list(values)}
                )
    for pid, pod in sorted(current.products.items()):
        if pid not in wanted:
            out.unmanaged.append({"product": pid, "version": version_of(pod)})
            if allow_destroy:
                out.removals.append(pid)
    for gid, products in sorted((groups or {}).items()):
        want = {p for p in products if p in wanted}
        have = current.members.get(gid, set())
        change = {
            "group": gid,
            "create": gid not in current.groups,
            "add": sorted(want - have),
            "remove": sorted(have - want),
        }
        if change["create"] or change["add"] or change["remove"]:
            out.groups.append(change)
    if registration is not None:
        host = current.host
        if host is None:
            out.registration = {
                "create": True,
                "set": {k: (None, v) for k, v in sorted(registration.items())},
            }
        else:
            diff = {
                k: (host.get(k), v)
                for k, v in sorted(registration.items())
                if (host.get(k) or None) != (v or None)
            }
            if diff:
                out.registration = {"create": False, "set": diff}
    return out


def _norm(values: list) -> list:
    return sorted(values, key=lambda v: (str(type(v)), str(v)))


def fetch_checked(master: Client, package: dict[str, Any]) -> bytes:
    """The package file from the master repository, refused unless its sha256 is the lock's."""
    data = master.get_file(package["file"])
    digest = hashlib.sha256(data).hexdigest()
    if digest != package["sha256"]:
        raise Refused(
            f"{package['id']}: {package['file']} from the master has sha256 {digest}, the lock "
            f"says {package['sha256']}: refused, nothing installed (run `fleet opsi catalogue "
            "update` if the master's package is the right one)"
        )
    return data


def apply(
    depot: Client,
    master: Client,
    depot_id: str,
    the_plan: Plan,
    current: Current,
) -> list[str]:
    """Carry the plan out; returns what was done, in order. The first failure raises (RpcError
    or Refused); what was done before it stays done (each install is whole or not at all)."""
    done: list[str] = []
    if the_plan.registration is not None:
        values = {k: to for k, (_, to) in the_plan.registration["set"].items()}
        if the_plan.registration["create"]:
            depot.call(
                "host_createObjects", [{"type": "OpsiDepotserver", "id": depot_id, **values}]
            )
        else:
            kind = (current.host or {}).get("type") or "OpsiDepotserver"
            depot.call("host_updateObjects", [{"type": kind, "id": depot_id, **values}])
        done.append(f"registration {depot_id}")
    for item in the_plan.installs:
        package = item["package"]
        data = fetch_checked(master, package)
        depot.put_file(package["file"], data)
        depot.call(
            "depot_installPackage",
            f"{REPOSITORY}/{package['file']}",
            item["action"] == "repair",
            package.get("properties") or None,
        )
        done.append(
            f"{item['action']} {package['id']} {item['from'] or '-'} → {package['version']}"
        )
    if the_plan.properties:
        depot.call(
            "productPropertyState_updateObjects",
            [
                {
                    "type": "ProductPropertyState",
                    "productId": c["product"],
                    "propertyId": c["property"],
                    "objectId": depot_id,
                    "values": c["to"],
                }
                for c in the_plan.properties
            ],
        )
        done += [f"property {c['product']}.{c['property']}" for c in the_plan.properties]
    for pid in the_plan.removals:
        depot.call("depot_uninstallPackage", pid)
        done.append(f"uninstall {pid}")
    for change in the_plan.groups:
        if change["create"]:
            depot.call(
                "group_createObjects",
                [
                    {
                        "type": "ProductGroup",
                        "id": change["group"],
                        "description": f"{MARK} profile {change['group']}",
                    }
                ],
            )
        if change["add"]:
            depot.call(
                "objectToGroup_createObjects",
                [
                    {
                        "type": "ObjectToGroup",
                        "groupType": "ProductGroup",
                        "groupId": change["group"],
                        "objectId": p,
                    }
                    for p in change["add"]
                ],
            )
        if change["remove"]:
            depot.call(
                "objectToGroup_deleteObjects",
                [
                    {
                        "type": "ObjectToGroup",
                        "groupType": "ProductGroup",
                        "groupId": change["group"],
                        "objectId": p,
                    }
                    for p in change["remove"]
                ],
            )
        done.append(f"group {change['group']}")
    return done


def result(the_plan: Plan, depot_id: str) -> dict[str, Any]:
    """The module result's data: each product change (depot, product, from, to), property
    changes, unmanaged products, group and registration changes."""
    return {
        "depot": depot_id,
        "products": [
            {
                "depot": depot_id,
                "product": i["product"],
                "from": i["from"],
                "to": i["to"],
                "action": i["action"],
            }
            for i in the_plan.installs
        ],
        "properties": [
            {k: c[k] for k in ("product", "property", "from", "to")} for c in the_plan.properties
        ],
        "unmanaged": [f"{u['product']} {u['version']}" for u in the_plan.unmanaged],
        "removed": list(the_plan.removals),
        "groups": the_plan.groups,
        "registration": the_plan.registration,
    }


def diff(the_plan: Plan, current: Current, depot_id: str) -> dict[str, str]:
    """Before/after text, one line per changed product, property, group, setting."""
    before: list[str] = []
    after: list[str] = []
    for i in the_plan.installs:
        state = " (locked: a failed install)" if i["action"] == "repair" else ""
        before.append(f"product {i['product']}: {i['from'] or 'absent'}{state}")
        after.append(f"product {i['product']}: {i['to']}")
    for c in the_plan.properties:
        before.append(f"property {c['product']}.{c['property']}: {c['from']}")
        after.append(f"property {c['product']}.{c['property']}: {c['to']}")
    for pid in the_plan.removals:
        before.append(f"product {pid}: {version_of(current.products[pid])} (unmanaged)")
        after.append(f"product {pid}: absent")
    for g in the_plan.groups:
        before.append(f"group {g['group']}: {sorted(current.members.get(g['group'], set()))}")
        after.append(
            f"group {g['group']}: {sorted((current.members.get(g['group'], set()) | set(g['add'])) - set(g['remove']))}"
        )
    if the_plan.registration:
        for key, (old, new) in the_plan.registration["set"].items():
            before.append(f"depot {key}: {old}")
            after.append(f"depot {key}: {new}")
    return {
        "before_header": depot_id,
        "after_header": depot_id,
        "before": "\n".join(before) + "\n",
        "after": "\n".join(after) + "\n",
    }
