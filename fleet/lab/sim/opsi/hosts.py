"""Host methods beyond the generic ones: renaming a client or a depot (with every reference to
it), a host's TLS certificate, and what the server says about itself."""

from __future__ import annotations

from typing import Any

from . import certs, objects
from . import values as v
from .backend import Backend
from .errors import BackendBadValueError, BackendMissingDataError

OPSI_VERSION = "4.3.24.2"
# (table, attribute) naming any host; clients and depots add their own
HOST_REFS = (
    ("productPropertyState", "objectId"),
    ("configState", "objectId"),
    ("objectToGroup", "objectId"),
)


def backend_info(b: Backend) -> dict[str, Any]:
    return {
        "opsiVersion": OPSI_VERSION,
        "modules": {"valid": True, "customer": "fleet lab", "expires": "never"},
        "realmodules": {},
    }


def messagebus_connected_ids(b: Backend, hostIds=None) -> list[str]:
    return []  # no client agent ever connects to the lab


def rename_client(b: Backend, id, newId):  # noqa: A002 - opsi's parameter name
    old_id, new_id = v.force_fqdn(id), v.force_fqdn(newId)
    host = b.host(old_id)
    if host is None or host["type"] != "OpsiClient":
        raise BackendMissingDataError(f"Host '{old_id}' not found")
    if b.host(new_id) is not None:
        raise BackendBadValueError(f"Host '{new_id}' already exists")
    _rename_refs(b, old_id, new_id, (("productOnClient", "clientId"), *HOST_REFS))
    b.tables["host"].delete(old_id)
    b.tables["host"].put({**host, "id": new_id})


def rename_depot(b: Backend, oldId, newId):
    old_id, new_id = v.force_fqdn(oldId), v.force_fqdn(newId)
    host = b.host(old_id)
    if host is None or not objects.is_a(host["type"], "OpsiDepotserver"):
        raise BackendMissingDataError(f"Host '{old_id}' not found")
    if host["type"] == "OpsiConfigserver":
        raise BackendBadValueError(f"Cannot rename config server '{old_id}'")
    if b.host(new_id) is not None:
        raise BackendBadValueError(f"Host '{new_id}' already exists")
    _rename_refs(b, old_id, new_id, (("productOnDepot", "depotId"), *HOST_REFS))
    for state in b.select("configState", configId="clientconfig.depot.id"):
        if old_id in state["values"]:
            b.tables["configState"].put(
                {**state, "values": [new_id if x == old_id else x for x in state["values"]]}
            )
    for other in b.select("host", masterDepotId=old_id):
        b.tables["host"].put({**other, "masterDepotId": new_id})
    b.tables["host"].delete(old_id)
    b.tables["host"].put({**host, "id": new_id})


def _rename_refs(b: Backend, old_id: str, new_id: str, refs) -> None:
    for table, attr in refs:
        for obj in b.select(table, **{attr: old_id}):
            b.tables[table].delete(objects.ident_of(obj))
            b.tables[table].put({**obj, attr: new_id})


def tls_certificate(b: Backend, hostId):
    host_id = v.force_fqdn(hostId)
    if b.host(host_id) is None:
        raise BackendMissingDataError(f"Host '{host_id}' not found")
    return certs.host_certificate(b.depot_id, host_id)
