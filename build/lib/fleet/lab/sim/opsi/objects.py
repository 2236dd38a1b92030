"""The opsi object classes: attributes in wire order, ident, defaults and value rules.

Objects live as plain dicts (attribute -> value, plus "type") so thousands of them stay cheap;
this module turns a client's JSON into such a dict (`from_hash`), fills defaults
(`set_defaults`) and renders the wire form (`to_wire`: "ident" + attributes + "type").
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import values as v
from .errors import BackendBadValueError, OpsiError, OpsiValueError

_NOW = object()  # default marker: current timestamp
_HOSTKEY = object()  # default marker: a fresh random opsiHostKey


@dataclass(frozen=True)
class ObjClass:
    name: str
    parent: str | None
    prefix: str
    attrs: tuple[str, ...]
    required: tuple[str, ...]
    ident: tuple[str, ...]
    defaults: dict[str, Any] = field(default_factory=dict)
    fixed: dict[str, Any] = field(
        default_factory=dict
    )  # values a subclass pins (BoolProductProperty)


FORCE: dict[str, Callable[[Any], Any]] = {
    "id:product": v.force_product_id,
    "productId": v.force_product_id,
    "requiredProductId": v.force_product_id,
    "productVersion": v.force_product_version,
    "requiredProductVersion": v.force_product_version,
    "packageVersion": v.force_package_version,
    "requiredPackageVersion": v.force_package_version,
    "productType": v.force_product_type,
    "depotId": v.force_fqdn,
    "clientId": v.force_fqdn,
    "id:host": v.force_fqdn,
    "masterDepotId": v.force_fqdn,
    "id:group": v.force_group_id,
    "parentGroupId": v.force_group_id,
    "groupId": v.force_group_id,
    "groupType": v.force_group_type,
    "objectId": v.force_object_id,
    "id:config": v.force_config_id,
    "configId": v.force_config_id,
    "propertyId": v.force_property_id,
    "productAction": v.force_action_request,
    "requiredAction": v.force_action_request,
    "actionRequest": v.force_action_request,
    "lastAction": v.force_action_request,
    "requiredInstallationStatus": v.force_installation_status,
    "installationStatus": v.force_installation_status,
    "actionResult": v.force_action_result,
    "targetConfiguration": v.force_target_configuration,
    "requirementType": v.force_requirement_type,
    "licenseRequired": v.force_bool,
    "locked": v.force_bool,
    "editable": v.force_bool,
    "multiValue": v.force_bool,
    "isMasterDepot": v.force_bool,
    "priority": v.force_priority,
    "actionSequence": v.force_int,
    "maxBandwidth": v.force_int,
    "productClassIds": v.force_str_list,
    "windowsSoftwareIds": v.force_str_list,
    "opsiHostKey": v.force_host_key,
    "hardwareAddress": v.force_hardware_address,
    "ipAddress": v.force_ip_address,
    "networkAddress": v.force_network_address,
    "systemUUID": v.force_uuid,
    "created": v.force_timestamp,
    "lastSeen": v.force_timestamp,
    "modificationTime": v.force_timestamp,
    "depotLocalUrl": v.force_url,
    "depotRemoteUrl": v.force_url,
    "depotWebdavUrl": v.force_url,
    "repositoryLocalUrl": v.force_url,
    "repositoryRemoteUrl": v.force_url,
    "workbenchLocalUrl": v.force_url,
    "workbenchRemoteUrl": v.force_url,
}


def _unique_sorted(values: list) -> list:
    """opsi stores possible/default values as a set; render them in a stable order."""
    out: list = []
    for item in values:
        if item not in out:
            out.append(item)
    try:
        return sorted(out, key=lambda x: (x is None, x))
    except TypeError:
        return out


PRODUCT_SCRIPTS = (
    "setupScript",
    "uninstallScript",
    "updateScript",
    "alwaysScript",
    "onceScript",
    "customScript",
)
_PRODUCT_HEAD = (
    "id",
    "productVersion",
    "packageVersion",
    "name",
    "licenseRequired",
    *PRODUCT_SCRIPTS,
)
_PRODUCT_TAIL = (
    "priority",
    "description",
    "advice",
    "changelog",
    "productClassIds",
    "windowsSoftwareIds",
)
_PRODUCT_DEFAULTS = {
    "name": "",
    "licenseRequired": False,
    **dict.fromkeys(PRODUCT_SCRIPTS, ""),
    "userLoginScript": "",
    "pxeConfigTemplate": "",
    "priority": 0,
    "description": "",
    "advice": "",
    "changelog": "",
    "productClassIds": [],
    "windowsSoftwareIds": [],
}
_PRODUCT_IDENT = ("id", "productVersion", "packageVersion")
_PROP_ATTRS = (
    "productId",
    "productVersion",
    "packageVersion",
    "propertyId",
    "description",
    "possibleValues",
    "defaultValues",
    "editable",
    "multiValue",
)
_PROP_IDENT = ("productId", "productVersion", "packageVersion", "propertyId")
_PROP_DEFAULTS = {
    "description": "",
    "possibleValues": [],
    "defaultValues": [],
    "editable": True,
    "multiValue": False,
}
_HOST_ATTRS = (
    "id",
    "description",
    "notes",
    "hardwareAddress",
    "ipAddress",
    "inventoryNumber",
    "systemUUID",
)
_CLIENT_ATTRS = (
    "id",
    "opsiHostKey",
    "description",
    "notes",
    "hardwareAddress",
    "ipAddress",
    "inventoryNumber",
    "oneTimePassword",
    "created",
    "lastSeen",
    "systemUUID",
)
_DEPOT_ATTRS = (
    "id",
    "opsiHostKey",
    "depotLocalUrl",
    "depotRemoteUrl",
    "depotWebdavUrl",
    "repositoryLocalUrl",
    "repositoryRemoteUrl",
    "description",
    "notes",
    "hardwareAddress",
    "ipAddress",
    "inventoryNumber",
    "networkAddress",
    "maxBandwidth",
    "isMasterDepot",
    "masterDepotId",
    "workbenchLocalUrl",
    "workbenchRemoteUrl",
    "systemUUID",
)
_HOST_DEFAULTS = {"description": "", "notes": "", "inventoryNumber": ""}
_GROUP_ATTRS = ("id", "description", "notes", "parentGroupId")
_CONFIG_ATTRS = ("id", "description", "possibleValues", "defaultValues", "editable", "multiValue")


def _classes() -> dict[str, ObjClass]:
    c = [
        ObjClass(
            "Product",
            None,
            "product",
            (*_PRODUCT_HEAD, "userLoginScript", *_PRODUCT_TAIL),
            _PRODUCT_IDENT,
            _PRODUCT_IDENT,
            _PRODUCT_DEFAULTS,
        ),
        ObjClass(
            "LocalbootProduct",
            "Product",
            "product",
            (*_PRODUCT_HEAD, "userLoginScript", *_PRODUCT_TAIL),
            _PRODUCT_IDENT,
            _PRODUCT_IDENT,
            _PRODUCT_DEFAULTS,
        ),
        ObjClass(
            "NetbootProduct",
            "Product",
            "product",
            (*_PRODUCT_HEAD, *_PRODUCT_TAIL, "pxeConfigTemplate"),
            _PRODUCT_IDENT,
            _PRODUCT_IDENT,
            _PRODUCT_DEFAULTS,
        ),
        ObjClass(
            "ProductOnDepot",
            None,
            "productOnDepot",
            ("productId", "productType", "productVersion", "packageVersion", "depotId", "locked"),
            ("productId", "productType", "productVersion", "packageVersion", "depotId"),
            ("productId", "productType", "productVersion", "packageVersion", "depotId"),
            {"locked": False},
        ),
        ObjClass(
            "ProductDependency",
            None,
            "productDependency",
            (
                "productId",
                "productVersion",
                "packageVersion",
                "productAction",
                "requiredProductId",
                "requiredProductVersion",
                "requiredPackageVersion",
                "requiredAction",
                "requiredInstallationStatus",
                "requirementType",
            ),
            ("productId", "productVersion", "packageVersion", "productAction", "requiredProductId"),
            ("productId", "productVersion", "packageVersion", "productAction", "requiredProductId"),
        ),
        ObjClass(
            "ProductOnClient",
            None,
            "productOnClient",
            (
                "productId",
                "productType",
                "clientId",
                "targetConfiguration",
                "installationStatus",
                "actionRequest",
                "lastAction",
                "actionProgress",
                "actionResult",
                "productVersion",
                "packageVersion",
                "modificationTime",
                "actionSequence",
            ),
            ("productId", "productType", "clientId"),
            ("productId", "productType", "clientId"),
            {
                "installationStatus": "not_installed",
                "actionRequest": "none",
                "modificationTime": _NOW,
            },
        ),
        ObjClass(
            "ProductProperty",
            None,
            "productProperty",
            _PROP_ATTRS,
            _PROP_IDENT,
            _PROP_IDENT,
            _PROP_DEFAULTS,
        ),
        ObjClass(
            "UnicodeProductProperty",
            "ProductProperty",
            "productProperty",
            _PROP_ATTRS,
            _PROP_IDENT,
            _PROP_IDENT,
            _PROP_DEFAULTS,
        ),
        ObjClass(
            "BoolProductProperty",
            "ProductProperty",
            "productProperty",
            _PROP_ATTRS,
            _PROP_IDENT,
            _PROP_IDENT,
            _PROP_DEFAULTS,
            {"possibleValues": [False, True], "editable": False, "multiValue": False},
        ),
        ObjClass(
            "ProductPropertyState",
            None,
            "productPropertyState",
            ("productId", "propertyId", "objectId", "values"),
            ("productId", "propertyId", "objectId"),
            ("productId", "propertyId", "objectId"),
            {"values": []},
        ),
        ObjClass("Host", None, "host", _HOST_ATTRS, ("id",), ("id",), _HOST_DEFAULTS),
        ObjClass(
            "OpsiClient",
            "Host",
            "host",
            _CLIENT_ATTRS,
            ("id",),
            ("id",),
            {**_HOST_DEFAULTS, "opsiHostKey": _HOSTKEY, "created": _NOW, "lastSeen": _NOW},
        ),
        ObjClass(
            "OpsiDepotserver",
            "Host",
            "host",
            _DEPOT_ATTRS,
            ("id",),
            ("id",),
            {**_HOST_DEFAULTS, "opsiHostKey": _HOSTKEY, "isMasterDepot": True},
        ),
        ObjClass(
            "OpsiConfigserver",
            "OpsiDepotserver",
            "host",
            _DEPOT_ATTRS,
            ("id",),
            ("id",),
            {**_HOST_DEFAULTS, "opsiHostKey": _HOSTKEY, "isMasterDepot": True},
        ),
        ObjClass(
            "Group", None, "group", _GROUP_ATTRS, ("id",), ("id",), {"description": "", "notes": ""}
        ),
        ObjClass(
            "HostGroup",
            "Group",
            "group",
            _GROUP_ATTRS,
            ("id",),
            ("id",),
            {"description": "", "notes": ""},
        ),
        ObjClass(
            "ProductGroup",
            "Group",
            "group",
            _GROUP_ATTRS,
            ("id",),
            ("id",),
            {"description": "", "notes": ""},
        ),
        ObjClass(
            "ObjectToGroup",
            None,
            "objectToGroup",
            ("groupType", "groupId", "objectId"),
            ("groupType", "groupId", "objectId"),
            ("groupType", "groupId", "objectId"),
        ),
        ObjClass(
            "Config",
            None,
            "config",
            _CONFIG_ATTRS,
            ("id",),
            ("id",),
            _PROP_DEFAULTS,  # configs default like product properties (set_defaults copies lists)
        ),
        ObjClass(
            "UnicodeConfig",
            "Config",
            "config",
            _CONFIG_ATTRS,
            ("id",),
            ("id",),
            _PROP_DEFAULTS,  # configs default like product properties (set_defaults copies lists)
        ),
        ObjClass(
            "BoolConfig",
            "Config",
            "config",
            _CONFIG_ATTRS,
            ("id",),
            ("id",),
            {"description": "", "defaultValues": []},
            {"possibleValues": [False, True], "editable": False, "multiValue": False},
        ),
        ObjClass(
            "ConfigState",
            None,
            "configState",
            ("configId", "objectId", "values"),
            ("configId", "objectId"),
            ("configId", "objectId"),
            {"values": []},
        ),
    ]
    return {cls.name: cls for cls in c}


CLASSES = _classes()
BASE_OF_PREFIX = {cls.prefix: cls.name for cls in CLASSES.values() if cls.parent is None}
PREFIXES = tuple(BASE_OF_PREFIX)


def ancestors(name: str) -> list[str]:
    out = []
    cur: str | None = name
    while cur:
        out.append(cur)
        cur = CLASSES[cur].parent
    return out


def is_a(name: str, base: str) -> bool:
    return name in CLASSES and base in ancestors(name)


def classes_of_prefix(prefix: str) -> list[ObjClass]:
    return [cls for cls in CLASSES.values() if cls.prefix == prefix]


def attributes_of_prefix(prefix: str) -> list[str]:
    """All attribute names any class of this family has (what filters may use)."""
    out: list[str] = []
    for cls in classes_of_prefix(prefix):
        out.extend(a for a in cls.attrs if a not in out)
    return out


def _forcer(cls: ObjClass, attr: str) -> Callable[[Any], Any] | None:
    if attr == "id":
        return FORCE[f"id:{cls.prefix}"]
    if attr in ("possibleValues", "defaultValues", "values"):
        if cls.name in ("BoolProductProperty", "BoolConfig"):
            return lambda x: [v.force_bool(i) for i in v.force_list(x)]
        return v.force_list
    return FORCE.get(attr, v.force_str)


def force_attr(cls: ObjClass, attr: str, value: Any) -> Any:
    if value is None:
        return None
    forcer = _forcer(cls, attr)
    value = forcer(value) if forcer else value
    if attr in ("possibleValues", "defaultValues", "values"):
        value = _unique_sorted(value)
    return value


def class_repr(name: str) -> str:
    return f"<class 'opsicommon.objects.{name}'>"


def from_hash(data: Any, expected: str) -> dict[str, Any]:
    """A client's JSON object → a normalised object dict of class `expected` or a subclass.

    Raises OpsiValueError worded like opsicommon's forceObjectClass."""
    try:
        if not isinstance(data, dict):
            raise OpsiValueError("not an object")
        type_name = data.get("type") or expected
        if not isinstance(type_name, str) or type_name not in CLASSES:
            raise OpsiValueError(f"Invalid type {type_name!r}")
        if not is_a(type_name, expected):
            raise OpsiValueError(f"{type_name} is not a {expected}")
        cls = CLASSES[type_name]
        src = dict(data)
        ident = src.get("ident")
        if isinstance(ident, str) and any(src.get(a) is None for a in cls.ident):
            parts = ident.split(";")
            if len(parts) == len(cls.ident):
                for attr, part in zip(cls.ident, parts, strict=True):
                    src.setdefault(attr, part)
                    if src[attr] is None:
                        src[attr] = part
        missing = [a for a in cls.required if src.get(a) is None]
        if missing:
            names = " and ".join(repr(m) for m in missing)
            plural = "argument" if len(missing) == 1 else "arguments"
            raise OpsiValueError(
                f"__init__() missing {len(missing)} required positional {plural}: {names}"
            )
        obj = {attr: force_attr(cls, attr, src.get(attr)) for attr in cls.attrs}
        obj.update(cls.fixed)
        check(obj, cls)
        obj["type"] = type_name
        return obj
    except OpsiError as err:
        raise OpsiValueError(f"{data} is not a {class_repr(expected)}: {err.message}") from None


def check(obj: dict[str, Any], cls: ObjClass) -> None:
    if cls.name == "BoolProductProperty" and len(obj.get("defaultValues") or []) > 1:
        raise BackendBadValueError(
            f"Bool config cannot have multiple default values: {obj['defaultValues']}"
        )


def set_defaults(obj: dict[str, Any]) -> dict[str, Any]:
    cls = CLASSES[obj["type"]]
    for attr, default in cls.defaults.items():
        if attr in obj and obj[attr] is None:
            if default is _NOW:
                obj[attr] = v.now()
            elif default is _HOSTKEY:
                obj[attr] = secrets.token_hex(16)
            else:
                obj[attr] = list(default) if isinstance(default, list) else default
    return obj


def ident_of(obj: dict[str, Any]) -> str:
    cls = CLASSES[obj["type"]]
    return ";".join("" if obj.get(a) is None else str(obj[a]) for a in cls.ident)


def to_wire(obj: dict[str, Any], attributes: list[str] | None = None) -> dict[str, Any]:
    """The JSON form: ident, attributes in class order, type. With `attributes`, only those and
    the ident attributes carry values, the rest are null (as opsi's getObjects does)."""
    cls = CLASSES[obj["type"]]
    out: dict[str, Any] = {"ident": ident_of(obj)}
    keep = None if not attributes else set(attributes) | set(cls.ident)
    for attr in cls.attrs:
        value = obj.get(attr)
        if keep is not None and attr not in keep:
            value = None
        out[attr] = list(value) if isinstance(value, list) else value
    out["type"] = obj["type"]
    return out


def to_hash(obj: dict[str, Any], attributes: list[str] | None = None) -> dict[str, Any]:
    """The deprecated *_getHashes form: plain attributes plus type, no ident."""
    out = to_wire(obj, attributes)
    del out["ident"]
    return out
