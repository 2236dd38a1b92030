"""The methods every object type has: `<prefix>_getObjects` … `<prefix>_delete`, and the
`_create…` shortcuts that build one object from keyword arguments.

Each method takes the backend first, then the documented parameters (see rpc.invoke).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import objects
from . import values as v
from .backend import Backend
from .errors import OpsiValueError
from .rpc import by_name

IDENT_TYPES = ("str", "unicode", "dict", "hash", "list", "tuple")

Method = Callable[..., Any]


def _attrs_list(attributes: Any) -> list[str] | None:
    if attributes in (None, [], ""):
        return None
    return [v.force_str(a) for a in v.force_list(attributes)]


def family(prefix: str) -> dict[str, Method]:
    """The nine generic methods of one object type, by JSON-RPC name."""
    base = objects.BASE_OF_PREFIX[prefix]

    def get_objects(b: Backend, attributes=None, filter=None):
        attrs = _attrs_list(attributes)
        return [objects.to_wire(o, attrs) for o in b.tables[prefix].select(filter or {})]

    def get_hashes(b: Backend, attributes=None, filter=None):
        attrs = _attrs_list(attributes)
        return [objects.to_hash(o, attrs) for o in b.tables[prefix].select(filter or {})]

    def get_idents(b: Backend, returnType="str", filter=None):
        if returnType not in IDENT_TYPES:
            raise OpsiValueError(f"Invalid ident type {returnType!r}")
        out = []
        for o in b.tables[prefix].select(filter or {}):
            names = objects.CLASSES[o["type"]].ident
            if returnType in ("str", "unicode"):
                out.append(objects.ident_of(o))
            elif returnType in ("dict", "hash"):
                out.append({n: o.get(n) for n in names})
            else:
                out.append([o.get(n) for n in names])
        return out

    def insert_object(b: Backend, obj):
        b.insert(prefix, obj)

    def update_object(b: Backend, obj):
        b.update(prefix, obj)

    def create_objects(b: Backend, objs):
        for obj in v.force_list(objs):
            b.insert(prefix, obj)

    def update_objects(b: Backend, objs):
        for obj in v.force_list(objs):
            if b.exists(prefix, obj):
                b.update(prefix, obj)
            else:
                b.insert(prefix, obj)

    def delete_objects(b: Backend, objs):
        for obj in v.force_list(objs):
            b.delete_object(prefix, objects.from_hash(obj, base))

    @by_name
    def delete(b: Backend, **idents):
        filt = {k: val for k, val in idents.items() if val is not None}
        if not filt or any(val in ([], "") for val in filt.values()):
            return
        for obj in b.tables[prefix].select(filt):
            b.delete_object(prefix, obj)

    ops = {
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
    return {f"{prefix}_{op}": fn for op, fn in ops.items()}


def creator(prefix: str, type_name: str | None = None) -> Method:
    """`<prefix>_create…`: one object from the documented keyword arguments."""

    @by_name
    def create(b: Backend, **attrs):
        data = {k: val for k, val in attrs.items() if val is not None}
        if type_name:
            data["type"] = type_name
        b.insert(prefix, data)

    return create


_CREATE_BOOL = creator("productProperty", "BoolProductProperty")
_CREATE_UNICODE = creator("productProperty", "UnicodeProductProperty")


@by_name
def create_product_property(b: Backend, type=None, **attrs):  # noqa: A002 - opsi's parameter name
    """productProperty_create: the property's class follows `type`."""
    if str(type or "").lower().startswith("bool"):
        _CREATE_BOOL(b, **attrs)
    else:
        _CREATE_UNICODE(b, **attrs)
