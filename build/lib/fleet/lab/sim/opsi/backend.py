"""The opsi backend of one simulated server: its object tables and the JSON-RPC methods.

Method implementations take the documented parameter names as keyword arguments (`filter` for
`**filter`); rpc.py binds a request's params to them. Each call works on the tables directly;
`call()` snapshots the overlays first and restores them when the method fails, so an error
never leaves a half-changed state behind (except where opsi itself leaves one: a failed
package installation keeps its product locked, see depot.py).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from . import catalogue as cat
from . import clients, depot, interface, objects
from . import values as v
from .errors import (
    BackendBadValueError,
    BackendMissingDataError,
    BackendReferentialIntegrityError,
    OpsiValueError,
)
from .rpc import by_name
from .store import DEPOT, Table

OPSI_VERSION = "4.3.24.2"
IDENT_TYPES = ("str", "unicode", "dict", "hash", "list", "tuple")


def _default_configs() -> list[dict[str, Any]]:
    def uni(cid, desc, possible, default, editable=True, multi=False):
        return {
            "type": "UnicodeConfig",
            "id": cid,
            "description": desc,
            "possibleValues": possible,
            "defaultValues": default,
            "editable": editable,
            "multiValue": multi,
        }

    def boolean(cid, desc, default):
        return {"type": "BoolConfig", "id": cid, "description": desc, "defaultValues": [default]}

    return [
        uni(
            "clientconfig.configserver.url",
            "URL(s) of opsi config service(s) to use",
            [f"https://{DEPOT}:4447/rpc"],
            [f"https://{DEPOT}:4447/rpc"],
            True,
            True,
        ),
        uni("clientconfig.depot.id", "ID of the opsi depot to use", [DEPOT], [DEPOT], True),
        boolean("clientconfig.depot.dynamic", "Use dynamic depot selection", False),
        uni(
            "clientconfig.depot.drive",
            "Drive letter for depot share",
            ["a:", "n:", "o:", "p:", "dynamic"],
            ["p:"],
            False,
        ),
        uni(
            "clientconfig.depot.protocol",
            "Protocol to use for depot access",
            ["cifs", "webdav"],
            ["cifs"],
            False,
        ),
        uni("clientconfig.depot.user", "User for depot share access", [], ["pcpatch"], True),
        uni(
            "clientconfig.dhcpd.filename",
            "The name of the file that will be presented to the client on an initial boot",
            [],
            ["opsi-linux-bootimage/loader/opsi-netboot.efi"],
            True,
        ),
        uni(
            "product_sort_algorithm",
            "Product sort algorithm",
            ["algorithm1", "algorithm2"],
            ["algorithm1"],
            False,
        ),
        boolean("license-management.use", "Activate license management", False),
        uni(
            "opsiclientd.global.verify_server_cert",
            "Verify opsi server TLS certificates",
            [],
            ["true"],
            True,
        ),
        boolean("allow_to_remove_package_in_use", "Allow removing packages that are in use", True),
    ]


class Backend:
    def __init__(self, depot_id: str, host_key: str, state: dict[str, Any] | None = None):
        self.depot_id = depot_id
        catalog = cat.load()
        bases = {
            "product": catalog.products,
            "productDependency": catalog.dependencies,
            "productProperty": catalog.properties,
            "productOnDepot": catalog.product_on_depots,
            "productPropertyState": catalog.property_states,
        }
        self.tables: dict[str, Table] = {
            p: Table(p, bases.get(p), depot_id) for p in objects.PREFIXES
        }
        self.repository: dict[str, bytes] = {}  # /var/lib/opsi/repository/<name> -> content
        self.depot_files: dict[
            str, list[list]
        ] = {}  # productId -> [[path, size], ...] (<id>.files)
        if state:
            for prefix, overlay in state.get("tables", {}).items():
                if prefix in self.tables:
                    self.tables[prefix].load(overlay)
        else:
            self._first_start(host_key)
        self.methods: dict[str, Callable[..., Any]] = {}
        self._register()

    def _first_start(self, host_key: str) -> None:
        fqdn = self.depot_id
        server = {
            "type": "OpsiConfigserver",
            "id": fqdn,
            "opsiHostKey": host_key,
            "depotLocalUrl": "file:///var/lib/opsi/depot",
            "depotRemoteUrl": f"smb://{fqdn}/opsi_depot",
            "depotWebdavUrl": f"webdavs://{fqdn}:4447/depot",
            "repositoryLocalUrl": "file:///var/lib/opsi/repository",
            "repositoryRemoteUrl": f"webdavs://{fqdn}:4447/repository",
            "workbenchLocalUrl": "file:///var/lib/opsi/workbench",
            "workbenchRemoteUrl": f"smb://{fqdn}/opsi_workbench",
            "description": "opsi config server (fleet lab)",
            "isMasterDepot": True,
            "networkAddress": "127.0.0.0/8",
            "maxBandwidth": 0,
        }
        self.tables["host"].put(objects.set_defaults(objects.from_hash(server, "Host")))
        for conf in _default_configs():
            conf = {k: _subst(val, fqdn) for k, val in conf.items()}
            self.tables["config"].put(objects.set_defaults(objects.from_hash(conf, "Config")))

    # state ---------------------------------------------------------------------------------
    def dump(self) -> dict[str, Any]:
        return {"tables": {p: t.dump() for p, t in self.tables.items() if t.overlay}}

    def checkpoint(self) -> Any:
        return (
            {p: dict(t.overlay) for p, t in self.tables.items()},
            dict(self.repository),
            copy.deepcopy(self.depot_files),
        )

    def rollback(self, saved: Any) -> None:
        overlays, self.repository, self.depot_files = saved
        for prefix, overlay in overlays.items():
            self.tables[prefix].overlay = overlay

    # helpers -------------------------------------------------------------------------------
    def select(self, prefix: str, **filt: Any) -> list[dict]:
        return self.tables[prefix].select(filt)

    def host(self, host_id: str) -> dict | None:
        return self.tables["host"].get(host_id)

    def depot_of_client(self, client_id: str) -> str:
        state = self.tables["configState"].get(f"clientconfig.depot.id;{client_id}")
        if state and state.get("values"):
            return state["values"][0]
        conf = self.tables["config"].get("clientconfig.depot.id")
        if conf and conf.get("defaultValues"):
            return conf["defaultValues"][0]
        return self.depot_id

    def _check_integrity(self, prefix: str, obj: dict) -> None:
        def need_host(host_id: str, kinds: tuple[str, ...], what: str) -> None:
            host = self.host(host_id)
            if host is None or not any(objects.is_a(host["type"], k) for k in kinds):
                raise BackendReferentialIntegrityError(f"{what} '{host_id}' does not exist")

        def need_product(pid: str, pver: str, kver: str) -> None:
            if f"{pid};{pver};{kver}" not in self.tables["product"]:
                raise BackendReferentialIntegrityError(
                    f"Product '{pid}' {pver}-{kver} does not exist"
                )

        if prefix == "productOnDepot":
            need_host(obj["depotId"], ("OpsiDepotserver",), "Depot")
            need_product(obj["productId"], obj["productVersion"], obj["packageVersion"])
        elif prefix in ("productDependency", "productProperty"):
            need_product(obj["productId"], obj["productVersion"], obj["packageVersion"])
        elif prefix == "productOnClient":
            need_host(obj["clientId"], ("OpsiClient",), "Client")
        elif prefix == "productPropertyState":
            need_host(obj["objectId"], ("Host",), "Host")

    # generic CRUD --------------------------------------------------------------------------
    def insert(self, prefix: str, data: Any, defaults: bool = True) -> dict:
        obj = objects.from_hash(data, objects.BASE_OF_PREFIX[prefix])
        if defaults:
            objects.set_defaults(obj)
        self._check_integrity(prefix, obj)
        table = self.tables[prefix]
        if prefix == "productOnDepot":  # one version of a product per depot (the table's key)
            for old in self.select(prefix, productId=obj["productId"], depotId=obj["depotId"]):
                table.delete(objects.ident_of(old))
        table.put(obj)
        return obj

    def update(self, prefix: str, data: Any) -> dict | None:
        new = objects.from_hash(data, objects.BASE_OF_PREFIX[prefix])
        table = self.tables[prefix]
        old = table.get(objects.ident_of(new))
        if old is None:
            return None
        merged = dict(old)
        for attr, val in new.items():
            if attr != "type" and val is not None:
                merged[attr] = val
        table.put(merged)
        return merged

    def exists(self, prefix: str, data: Any) -> bool:
        obj = objects.from_hash(data, objects.BASE_OF_PREFIX[prefix])
        return objects.ident_of(obj) in self.tables[prefix]

    def delete_object(self, prefix: str, obj: dict) -> None:
        key = objects.ident_of(obj)
        if key not in self.tables[prefix]:
            return
        self.tables[prefix].delete(key)
        self._cascade(prefix, obj)

    def _cascade(self, prefix: str, obj: dict) -> None:
        if prefix == "product":
            pid = obj["id"]
            version = {
                "productId": pid,
                "productVersion": obj["productVersion"],
                "packageVersion": obj["packageVersion"],
            }
            for table in ("productOnDepot", "productDependency", "productProperty"):
                for o in self.select(table, **version):
                    self.tables[table].delete(objects.ident_of(o))
            if not self.select("product", id=pid):
                for table in ("productOnClient", "productPropertyState"):
                    for o in self.select(table, productId=pid):
                        self.tables[table].delete(objects.ident_of(o))
                for o in self.select("objectToGroup", groupType="ProductGroup", objectId=pid):
                    self.tables["objectToGroup"].delete(objects.ident_of(o))
        elif prefix == "host":
            hid = obj["id"]
            for table, attr in (
                ("productOnClient", "clientId"),
                ("productOnDepot", "depotId"),
                ("productPropertyState", "objectId"),
                ("configState", "objectId"),
            ):
                for o in self.select(table, **{attr: hid}):
                    self.tables[table].delete(objects.ident_of(o))
            for o in self.select("objectToGroup", groupType="HostGroup", objectId=hid):
                self.tables["objectToGroup"].delete(objects.ident_of(o))
        elif prefix == "group":
            for o in self.select("objectToGroup", groupType=obj["type"], groupId=obj["id"]):
                self.tables["objectToGroup"].delete(objects.ident_of(o))

    def _family(self, prefix: str) -> dict[str, Callable[..., Any]]:
        base = objects.BASE_OF_PREFIX[prefix]

        def attrs_list(attributes: Any) -> list[str] | None:
            if attributes in (None, [], ""):
                return None
            return [v.force_str(a) for a in v.force_list(attributes)]

        def get_objects(attributes=None, filter=None):
            attrs = attrs_list(attributes)
            return [objects.to_wire(o, attrs) for o in self.tables[prefix].select(filter or {})]

        def get_hashes(attributes=None, filter=None):
            attrs = attrs_list(attributes)
            return [objects.to_hash(o, attrs) for o in self.tables[prefix].select(filter or {})]

        def get_idents(returnType="str", filter=None):
            if returnType not in IDENT_TYPES:
                raise OpsiValueError(f"Invalid ident type {returnType!r}")
            out = []
            for o in self.tables[prefix].select(filter or {}):
                names = objects.CLASSES[o["type"]].ident
                if returnType in ("str", "unicode"):
                    out.append(objects.ident_of(o))
                elif returnType in ("dict", "hash"):
                    out.append({n: o.get(n) for n in names})
                else:
                    out.append([o.get(n) for n in names])
            return out

        def insert_object(obj):
            self.insert(prefix, obj)

        def update_object(obj):
            self.update(prefix, obj)

        def create_objects(objs):
            for obj in v.force_list(objs):
                self.insert(prefix, obj)

        def update_objects(objs):
            for obj in v.force_list(objs):
                if self.exists(prefix, obj):
                    self.update(prefix, obj)
                else:
                    self.insert(prefix, obj)

        def delete_objects(objs):
            for obj in v.force_list(objs):
                self.delete_object(prefix, objects.from_hash(obj, base))

        @by_name
        def delete(**idents):
            filt = {k: val for k, val in idents.items() if val is not None}
            if not filt or any(val in ([], "") for val in filt.values()):
                return
            for obj in self.tables[prefix].select(filt):
                self.delete_object(prefix, obj)

        fam = {
            "getObjects": get_objects,
            "getHashes": get_hashes,
            "getIdents": get_idents,
            "insertObject": insert_object,
            "updateObject": update_object,
            "createObjects": create_objects,
            "updateObjects": update_objects,
            "deleteObjects": delete_objects,
            "delete": delete,
        }
        return {f"{prefix}_{op}": fn for op, fn in fam.items()}

    # registry ------------------------------------------------------------------------------
    def _register(self) -> None:
        m = self.methods
        for prefix in objects.PREFIXES:
            m.update(self._family(prefix))

        def creator(prefix: str, type_name: str | None = None):
            @by_name
            def create(**attrs):
                data = {k: val for k, val in attrs.items() if val is not None}
                if type_name:
                    data["type"] = type_name
                self.insert(prefix, data)

            return create

        m["productOnDepot_create"] = creator("productOnDepot")
        m["productDependency_create"] = creator("productDependency")
        m["productOnClient_create"] = creator("productOnClient")
        m["productPropertyState_create"] = creator("productPropertyState")
        m["objectToGroup_create"] = creator("objectToGroup")
        m["group_createHostGroup"] = creator("group", "HostGroup")
        m["host_createOpsiClient"] = creator("host", "OpsiClient")
        m["host_createOpsiDepotserver"] = creator("host", "OpsiDepotserver")
        m["host_createOpsiConfigserver"] = creator("host", "OpsiConfigserver")
        m["productProperty_createBool"] = creator("productProperty", "BoolProductProperty")
        m["productProperty_createUnicode"] = creator("productProperty", "UnicodeProductProperty")

        @by_name
        def product_property_create(type=None, **attrs):  # noqa: A002 - opsi's parameter name
            kind = (
                "BoolProductProperty"
                if str(type or "").lower().startswith("bool")
                else "UnicodeProductProperty"
            )
            creator("productProperty", kind)(**attrs)

        m["productProperty_create"] = product_property_create
        m["host_renameOpsiClient"] = self.rename_client
        m["host_renameOpsiDepotserver"] = self.rename_depot
        m["host_getMessagebusConnectedIds"] = lambda hostIds=None: []
        m["host_getTLSCertificate"] = self.tls_certificate
        m["backend_info"] = self.backend_info
        m["backend_getInterface"] = None  # filled by the device (needs the interface)
        m["accessControl_authenticated"] = None  # session-dependent, answered by the device
        m["accessControl_userIsAdmin"] = None
        m["accessControl_userIsReadOnlyUser"] = None
        m["accessControl_getUserGroups"] = None
        m.update(clients.methods(self))
        m.update(depot.methods(self))
        # Serve exactly the documented interface (a missing implementation fails here, loudly).
        self.methods = {name: m[name] for name in interface.load()}

    # specials ------------------------------------------------------------------------------
    def backend_info(self) -> dict[str, Any]:
        return {
            "opsiVersion": OPSI_VERSION,
            "modules": {"valid": True, "customer": "fleet lab", "expires": "never"},
            "realmodules": {},
        }

    def rename_client(self, id, newId):  # noqa: A002 - opsi's parameter name
        old_id, new_id = v.force_fqdn(id), v.force_fqdn(newId)
        host = self.host(old_id)
        if host is None or host["type"] != "OpsiClient":
            raise BackendMissingDataError(f"Host '{old_id}' not found")
        if self.host(new_id) is not None:
            raise BackendBadValueError(f"Host '{new_id}' already exists")
        self._rename_refs(
            old_id,
            new_id,
            (
                ("productOnClient", "clientId"),
                ("productPropertyState", "objectId"),
                ("configState", "objectId"),
                ("objectToGroup", "objectId"),
            ),
        )
        self.tables["host"].delete(old_id)
        self.tables["host"].put({**host, "id": new_id})

    def rename_depot(self, oldId, newId):
        old_id, new_id = v.force_fqdn(oldId), v.force_fqdn(newId)
        host = self.host(old_id)
        if host is None or not objects.is_a(host["type"], "OpsiDepotserver"):
            raise BackendMissingDataError(f"Host '{old_id}' not found")
        if host["type"] == "OpsiConfigserver":
            raise BackendBadValueError(f"Cannot rename config server '{old_id}'")
        if self.host(new_id) is not None:
            raise BackendBadValueError(f"Host '{new_id}' already exists")
        self._rename_refs(
            old_id,
            new_id,
            (
                ("productOnDepot", "depotId"),
                ("productPropertyState", "objectId"),
                ("configState", "objectId"),
                ("objectToGroup", "objectId"),
            ),
        )
        for state in self.select("configState", configId="clientconfig.depot.id"):
            if old_id in state["values"]:
                self.tables["configState"].put(
                    {**state, "values": [new_id if x == old_id else x for x in state["values"]]}
                )
        for other in self.select("host", masterDepotId=old_id):
            self.tables["host"].put({**other, "masterDepotId": new_id})
        self.tables["host"].delete(old_id)
        self.tables["host"].put({**host, "id": new_id})

    def _rename_refs(self, old_id: str, new_id: str, refs) -> None:
        for table, attr in refs:
            for obj in self.select(table, **{attr: old_id}):
                self.tables[table].delete(objects.ident_of(obj))
                self.tables[table].put({**obj, attr: new_id})

    def tls_certificate(self, hostId):
        host_id = v.force_fqdn(hostId)
        if self.host(host_id) is None:
            raise BackendMissingDataError(f"Host '{host_id}' not found")
        from . import certs

        return certs.host_certificate(self.depot_id, host_id)


def _subst(value: Any, depot_id: str) -> Any:
    if isinstance(value, str):
        return value.replace(DEPOT, depot_id)
    if isinstance(value, list):
        return [_subst(x, depot_id) for x in value]
    return value
