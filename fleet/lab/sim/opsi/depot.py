"""Package management on the depot this server is: depot_installPackage, depot_uninstallPackage,
depot_getMD5Sum, depot_createPackageContentFile. Package files come from the depot's repository
(`/var/lib/opsi/repository`, filled by WebDAV PUT, see device.py).

Order and messages follow opsiconfd's DepotserverPackageManager: errors are wrapped as
BackendError "Failed to install package '<file>' on depot '<depot>': <reason>", and a failure
after the product was locked leaves it locked (install again with force=true), as opsi does.
"""

from __future__ import annotations

import hashlib
from typing import Any

from . import clients, objects, packages
from . import values as v
from .backend import Backend
from .errors import (
    BackendBadValueError,
    BackendError,
    BackendIOError,
    BackendMissingDataError,
    BackendReferentialIntegrityError,
    BackendTemporaryError,
    BackendUnaccomplishableError,
    FileNotFoundError_,
    OpsiError,
)

REPOSITORY = "/var/lib/opsi/repository/"


def repository_name(filename: str) -> str | None:
    """The repository file a server-side path names, or None when it is outside the repository."""
    if not filename.startswith(REPOSITORY):
        return None
    name = filename[len(REPOSITORY) :]
    if not name or "/" in name or name in (".", ".."):
        return None
    return name


def install(
    b: Backend,
    filename,
    force=False,
    propertyDefaultValues=None,
    tempDir=None,
    forceProductId=None,
    suppressPackageContentFileGeneration=False,
):
    try:
        _install(
            b,
            v.force_str(filename),
            v.force_bool(force),
            propertyDefaultValues,
            forceProductId,
            v.force_bool(suppressPackageContentFileGeneration),
        )
    except OpsiError as err:
        raise BackendError(
            f"Failed to install package '{filename}' on depot '{b.depot_id}': {err}"
        ) from None


def uninstall(b: Backend, productId, force=False, deleteFiles=True):
    try:
        _uninstall(b, productId, v.force_bool(force), v.force_bool(deleteFiles))
    except OpsiError as err:
        raise BackendError(
            f"Failed to uninstall product '{productId}' on depot '{b.depot_id}': {err}"
        ) from None


def md5(b: Backend, filename, forceCalculation=False):
    name = repository_name(v.force_str(filename))
    if name is None or name not in b.repository:
        raise FileNotFoundError_(f"[Errno 2] No such file or directory: '{filename}'")
    return hashlib.md5(b.repository[name]).hexdigest()


def content_file(b: Backend, productId):
    product_id = v.force_product_id(productId)
    if not b.select("productOnDepot", productId=product_id, depotId=b.depot_id):
        raise BackendMissingDataError(
            f"Product '{product_id}' not installed on depot '{b.depot_id}'"
        )
    b.depot_files.setdefault(product_id, [])


def _install(
    b: Backend,
    filename: str,
    force: bool,
    defaults: Any,
    force_product_id: Any,
    suppress_content_file: bool,
) -> None:
    if defaults is not None and not isinstance(defaults, dict):
        raise BackendBadValueError(f"Bad dict value: {defaults!r}")
    defaults = {
        str(k): ([] if val is None else v.force_list(val)) for k, val in (defaults or {}).items()
    }
    name = repository_name(filename)
    if name is None or name not in b.repository:
        raise BackendIOError(f"Package file '{filename}' does not exist or can not be accessed.")
    pid_override = v.force_product_id(force_product_id) if force_product_id else None
    pkg = packages.read_package(
        b.repository[name], pid_override
    )  # bad archives fail here, before any change
    product = pkg.product
    product_id = product["id"]
    depot_id = b.depot_id

    b.insert("product", product)
    current = b.select("productOnDepot", productId=product_id, depotId=depot_id)
    if current and current[0].get("locked") and not force:
        raise BackendTemporaryError(
            f"Product '{product_id}' currently locked on depot '{depot_id}', use argument 'force' to ignore"
        )
    pod = {
        "type": "ProductOnDepot",
        "productId": product_id,
        "productType": product["type"],
        "productVersion": product["productVersion"],
        "packageVersion": product["packageVersion"],
        "depotId": depot_id,
        "locked": True,
    }
    b.insert("productOnDepot", pod)

    for dep in pkg.package_dependencies:  # from here on a failure leaves the product locked
        found = b.select("productOnDepot", productId=dep.package, depotId=depot_id)
        if not found:
            raise BackendUnaccomplishableError(f"Dependent package '{dep.package}' not installed")
        if dep.version:
            available = f"{found[0]['productVersion']}-{found[0]['packageVersion']}"
            if not packages.compare_versions(available, dep.condition or "==", dep.version):
                raise BackendUnaccomplishableError(
                    f"Unfulfilled package dependency {dep} (available version: {available})"
                )

    version = {
        "productId": product_id,
        "productVersion": product["productVersion"],
        "packageVersion": product["packageVersion"],
    }
    new_deps = {objects.ident_of(d): d for d in pkg.dependencies}
    for old in b.select("productDependency", **version):
        if objects.ident_of(old) not in new_deps:
            b.tables["productDependency"].delete(objects.ident_of(old))
    for dep in pkg.dependencies:
        b.insert("productDependency", dep)

    new_props = {objects.ident_of(p): p for p in pkg.properties}
    for old in b.select("productProperty", **version):
        if objects.ident_of(old) not in new_props:
            b.tables["productProperty"].delete(objects.ident_of(old))
    for prop in pkg.properties:
        b.insert("productProperty", prop)
        if not prop["editable"] and prop["possibleValues"]:
            wanted = [
                x for x in defaults.get(prop["propertyId"], []) if x in prop["possibleValues"]
            ]
            defaults[prop["propertyId"]] = wanted or list(prop["defaultValues"])

    for state in b.select("productPropertyState", productId=product_id, objectId=depot_id):
        b.tables["productPropertyState"].delete(objects.ident_of(state))
    known = {p["propertyId"] for p in b.select("productProperty", productId=product_id)}
    for state in b.select("productPropertyState", productId=product_id):
        if state["propertyId"] not in known:
            b.tables["productPropertyState"].delete(objects.ident_of(state))
    for prop in pkg.properties:
        values = defaults.get(prop["propertyId"], prop["defaultValues"])
        b.insert(
            "productPropertyState",
            {
                "type": "ProductPropertyState",
                "productId": product_id,
                "propertyId": prop["propertyId"],
                "objectId": depot_id,
                "values": values,
            },
        )

    if not suppress_content_file and product["type"] != "NetbootProduct":
        b.depot_files[product_id] = [[path, size] for path, size in pkg.client_data]
    b.update("productOnDepot", {**pod, "locked": False})

    # Product versions no depot references any more go away.
    referenced = {
        f"{p['productId']};{p['productVersion']};{p['packageVersion']}"
        for p in b.select("productOnDepot", productId=product_id)
    }
    for old in b.select("product", id=product_id):
        if objects.ident_of(old) not in referenced:
            b.delete_object("product", old)


def _uninstall(b: Backend, product_id: Any, force: bool, delete_files: bool) -> None:
    product_id = v.force_product_id(product_id)
    depot_id = b.depot_id
    conf = b.tables["config"].get("allow_to_remove_package_in_use")
    allow_used = bool(conf["defaultValues"][0]) if conf and conf.get("defaultValues") else True
    client_ids = [c["clientId"] for c in clients.client_to_depot(b, depotIds=[depot_id])]
    if client_ids:
        installed = requests = 0
        for poc in b.select("productOnClient", productId=product_id, clientId=client_ids):
            if poc.get("installationStatus") == "installed":
                installed += 1
            if poc.get("actionRequest") not in (None, "none"):
                requests += 1
                if allow_used:
                    b.update("productOnClient", {**poc, "actionRequest": "none"})
        if not allow_used and (installed or requests) and not force:
            raise BackendReferentialIntegrityError(
                f"Product '{product_id}' currently installed on {installed} clients "
                f"action requests set on {requests} clients, use argument 'force' to ignore"
            )
    pods = b.select("productOnDepot", productId=product_id, depotId=depot_id)
    if not pods:
        raise BackendBadValueError(f"Product '{product_id}' is not installed on depot '{depot_id}'")
    pod = pods[0]
    if pod.get("locked") and not force:
        raise BackendTemporaryError(
            f"Product '{product_id}' currently locked on depot '{depot_id}', use argument 'force' to ignore"
        )
    if delete_files:
        b.depot_files.pop(product_id, None)
    b.delete_object("productOnDepot", pod)
