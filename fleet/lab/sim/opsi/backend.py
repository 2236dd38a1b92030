"""The opsi backend of one simulated server: its object tables and the operations on them
that the JSON-RPC methods share (insert, update, delete with opsi's cascades and referential
checks). The methods themselves are listed in routes.py; each takes the backend first.

The device checkpoints the overlays before a call that may write and rolls back when the
method fails, so an error never leaves a half-changed state behind (except where opsi itself
leaves one: a failed package installation keeps its product locked, see depot.py).
"""

from __future__ import annotations

import copy
from typing import Any

from . import catalogue as cat
from . import objects
from .errors import BackendReferentialIntegrityError
from .store import DEPOT, Table


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
    def __init__(
        self,
        depot_id: str,
        host_key: str,
        state: dict[str, Any] | None = None,
        fresh_depot: bool = False,
    ):
        """`fresh_depot`: the catalogue's products are known, none is installed on the depot
        (a site's new depot, see master.py); otherwise all of them are (a master)."""
        self.depot_id = depot_id
        catalog = cat.load()
        bases = {
            "product": catalog.products,
            "productDependency": catalog.dependencies,
            "productProperty": catalog.properties,
        }
        if not fresh_depot:
            bases["productOnDepot"] = catalog.product_on_depots
            bases["productPropertyState"] = catalog.property_states
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


def _subst(value: Any, depot_id: str) -> Any:
    if isinstance(value, str):
        return value.replace(DEPOT, depot_id)
    if isinstance(value, list):
        return [_subst(x, depot_id) for x in value]
    return value
