"""Client-side product logic: which depot serves a client, action requests with their
dependencies, the install sequence (priorities and before/after requirements), property values
as a client sees them, and the depot's product ordering."""

from __future__ import annotations

from typing import Any

from . import objects
from . import values as v
from .backend import Backend
from .errors import BackendMissingDataError, BackendUnaccomplishableError


def client_to_depot(b: Backend, depotIds=None, clientIds=None, masterOnly=True, productIds=None):
    depot_ids = {v.force_fqdn(d) for d in v.force_list(depotIds)}
    client_ids = {v.force_fqdn(c) for c in v.force_list(clientIds)}
    out = []
    for host in b.select("host", type="OpsiClient"):
        if client_ids and host["id"] not in client_ids:
            continue
        depot_id = b.depot_of_client(host["id"])
        if depot_ids and depot_id not in depot_ids:
            continue
        out.append({"depotId": depot_id, "clientId": host["id"], "alternativeDepotIds": []})
    return out


def _pocs_in(b: Backend, items: Any) -> list[dict]:
    return [
        objects.set_defaults(objects.from_hash(i, "ProductOnClient"))
        if not b.exists("productOnClient", i)
        else _merged(b, i)
        for i in v.force_list(items)
    ]


def add_dependencies(b: Backend, productOnClients):
    return [objects.to_wire(p) for p in with_dependencies(b, _pocs_in(b, productOnClients))]


def generate_sequence(b: Backend, productOnClients):
    return [objects.to_wire(p) for p in sequence(b, _pocs_in(b, productOnClients))]


def get_with_sequence(b: Backend, attributes=None, filter=None):
    pocs = b.tables["productOnClient"].select(filter or {})
    by_client: dict[str, list[dict]] = {}
    for poc in pocs:
        by_client.setdefault(poc["clientId"], []).append(poc)
    out = []
    for client_pocs in by_client.values():
        out.extend(sequence(b, client_pocs))
    attrs = None if not attributes else [v.force_str(a) for a in v.force_list(attributes)]
    return [objects.to_wire(p, attrs) for p in out]


def update_with_dependencies(b: Backend, productOnClients):
    pocs = with_dependencies(b, _pocs_in(b, productOnClients))
    for poc in pocs:
        if b.tables["productOnClient"].get(objects.ident_of(poc)) is None:
            b.insert("productOnClient", poc)
        else:
            b.update("productOnClient", poc)
    return [objects.to_wire(p) for p in pocs]


def set_action_request(b: Backend, productId, clientId, actionRequest, dependencies=False):
    product_id, client_id = v.force_product_id(productId), v.force_fqdn(clientId)
    action = v.force_action_request(actionRequest)
    if b.host(client_id) is None:
        raise BackendMissingDataError(f"Client '{client_id}' not found")
    depot_id = b.depot_of_client(client_id)
    pods = b.select("productOnDepot", productId=product_id, depotId=depot_id)
    if not pods:
        raise BackendMissingDataError(f"Product '{product_id}' not found on depot '{depot_id}'")
    poc = {
        "type": "ProductOnClient",
        "productId": product_id,
        "productType": pods[0]["productType"],
        "clientId": client_id,
        "actionRequest": action,
    }
    pocs = with_dependencies(b, _pocs_in(b, [poc])) if dependencies else _pocs_in(b, [poc])
    for item in pocs:
        if b.exists("productOnClient", item):
            b.update("productOnClient", item)
        else:
            b.insert("productOnClient", item)


def action_groups(b: Backend, clientId):
    client_id = v.force_fqdn(clientId)
    pocs = [
        p
        for p in b.select("productOnClient", clientId=client_id)
        if p.get("actionRequest") not in (None, "none")
    ]
    pocs = sequence(b, with_dependencies(b, pocs))
    depot_id = b.depot_of_client(client_id)
    groups = []
    for poc in pocs:
        if poc.get("actionRequest") in (None, "none"):
            continue
        deps = _dependencies(b, poc, depot_id)
        groups.append(
            {
                "priority": _product(b, poc["productId"], depot_id).get("priority") or 0,
                "dependencies": {poc["productId"]: [objects.to_wire(d) for d in deps]},
                "product_on_clients": [objects.to_wire(poc)],
            }
        )
    return groups


def property_values(
    b: Backend, product_ids=None, property_ids=None, object_ids=None, with_defaults=True
):
    products = {v.force_product_id(p) for p in v.force_list(product_ids)}
    props = {v.force_property_id(p) for p in v.force_list(property_ids)}
    wanted = [v.force_object_id(o) for o in v.force_list(object_ids)]
    states = b.tables["productPropertyState"].select({})
    if not wanted:
        wanted = sorted({s["objectId"] for s in states})
    out: dict[str, dict[str, dict[str, list]]] = {}
    for object_id in wanted:
        host = b.host(object_id)
        values: dict[str, dict[str, list]] = {}
        if v.force_bool(with_defaults) and host is not None:
            source = (
                object_id
                if objects.is_a(host["type"], "OpsiDepotserver")
                else b.depot_of_client(object_id)
            )
            for s in b.select("productPropertyState", objectId=source):
                values.setdefault(s["productId"], {})[s["propertyId"]] = list(s["values"])
        for s in b.select("productPropertyState", objectId=object_id):
            values.setdefault(s["productId"], {})[s["propertyId"]] = list(s["values"])
        out[object_id] = {
            pid: {prop: vals for prop, vals in pvals.items() if not props or prop in props}
            for pid, pvals in values.items()
            if not products or pid in products
        }
    return out


def product_ordering(b: Backend, depotId, sortAlgorithm=None):
    depot_id = v.force_fqdn(depotId)
    pods = b.select("productOnDepot", depotId=depot_id, productType="LocalbootProduct")
    ids = sorted(p["productId"] for p in pods)
    fake = [
        {
            "type": "ProductOnClient",
            "productId": p["productId"],
            "productType": p["productType"],
            "clientId": depot_id,
            "actionRequest": "setup",
        }
        for p in pods
    ]
    ordered = _order(b, fake, depot_id)
    return {"not_sorted": ids, "sorted": [p["productId"] for p in ordered]}


def set_action_request_with_dependencies(b: Backend, productId, clientId, actionRequest):
    set_action_request(b, productId, clientId, actionRequest, dependencies=True)


def _merged(b: Backend, item: Any) -> dict:
    new = objects.from_hash(item, "ProductOnClient")
    old = b.tables["productOnClient"].get(objects.ident_of(new)) or {}
    merged = dict(old)
    merged.update({k: val for k, val in new.items() if val is not None})
    return merged


def _product(b: Backend, product_id: str, depot_id: str) -> dict:
    pods = b.select("productOnDepot", productId=product_id, depotId=depot_id)
    if not pods:
        return {}
    pod = pods[0]
    return (
        b.tables["product"].get(f"{product_id};{pod['productVersion']};{pod['packageVersion']}")
        or {}
    )


def _dependencies(b: Backend, poc: dict, depot_id: str, action: str | None = None) -> list[dict]:
    product = _product(b, poc["productId"], depot_id)
    if not product:
        return []
    return b.select(
        "productDependency",
        productId=product["id"],
        productVersion=product["productVersion"],
        packageVersion=product["packageVersion"],
        productAction=action or poc.get("actionRequest"),
    )


def with_dependencies(b: Backend, pocs: list[dict]) -> list[dict]:
    """Add the action requests the dependencies of each requested action need (recursively)."""
    result = {p["productId"]: p for p in pocs}
    queue = [p for p in pocs if p.get("actionRequest") not in (None, "none")]
    while queue:
        poc = queue.pop(0)
        depot_id = b.depot_of_client(poc["clientId"])
        for dep in _dependencies(b, poc, depot_id):
            req_id = dep["requiredProductId"]
            action = dep.get("requiredAction")
            current = result.get(req_id) or b.tables["productOnClient"].get(
                f"{req_id};LocalbootProduct;{poc['clientId']}"
            )
            if not action and dep.get("requiredInstallationStatus"):
                status = (current or {}).get("installationStatus") or "not_installed"
                if dep["requiredInstallationStatus"] == "installed" and status != "installed":
                    action = "setup"
                elif dep["requiredInstallationStatus"] == "not_installed" and status == "installed":
                    action = "uninstall"
            if not action:
                continue
            if req_id in result and result[req_id].get("actionRequest") not in (None, "none"):
                continue
            pods = b.select("productOnDepot", productId=req_id, depotId=depot_id)
            if not pods:
                raise BackendUnaccomplishableError(
                    f"Product '{poc['productId']}' requires '{req_id}' which is not available on depot '{depot_id}'"
                )
            base = (
                dict(current)
                if current
                else objects.set_defaults(
                    objects.from_hash(
                        {
                            "productId": req_id,
                            "productType": pods[0]["productType"],
                            "clientId": poc["clientId"],
                        },
                        "ProductOnClient",
                    )
                )
            )
            base["actionRequest"] = action
            result[req_id] = base
            queue.append(base)
    return list(result.values())


def _order(b: Backend, pocs: list[dict], depot_id: str) -> list[dict]:
    """Products with an action, ordered by before/after requirements, then priority (high first)."""
    active = {p["productId"]: p for p in pocs if p.get("actionRequest") not in (None, "none")}
    prio = {pid: (_product(b, pid, depot_id).get("priority") or 0) for pid in active}
    after: dict[str, set[str]] = {
        pid: set() for pid in active
    }  # pid -> products that must come first
    for pid, poc in active.items():
        for dep in _dependencies(b, poc, depot_id):
            req = dep["requiredProductId"]
            if req not in active:
                continue
            if dep.get("requirementType") == "before":
                after[pid].add(req)
            elif dep.get("requirementType") == "after":
                after[req].add(pid)
    ordered: list[dict] = []
    done: set[str] = set()
    while len(done) < len(active):
        ready = [pid for pid in active if pid not in done and after[pid] <= done]
        if not ready:
            raise BackendUnaccomplishableError(
                f"Dependency loop between products: {', '.join(sorted(set(active) - done))}"
            )
        ready.sort(key=lambda pid: (-prio[pid], pid))
        done.add(ready[0])
        ordered.append(active[ready[0]])
    return ordered


def sequence(b: Backend, pocs: list[dict]) -> list[dict]:
    if not pocs:
        return []
    depot_id = b.depot_of_client(pocs[0]["clientId"])
    ordered = _order(b, pocs, depot_id)
    position = {p["productId"]: i for i, p in enumerate(ordered)}
    out = []
    for poc in ordered + [p for p in pocs if p["productId"] not in position]:
        out.append({**poc, "actionSequence": position.get(poc["productId"], -1)})
    return out
