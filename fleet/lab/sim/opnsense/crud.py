"""The generic CRUD contract of OPNsense's ApiMutableModelControllerBase.

search/get/add/set/del/toggle for any model: request shapes, `validations` bodies, the `get`
option-list format, upserts on set, "not found" on delete. Model specific behaviour (auto
values, extra checks, references) plugs in through `Hooks`. `Collection` turns the generic
actions of one model into route handlers.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fleet.lab.sim.opnsense.fields import (
    Field,
    check_value,
    describe,
    list_map,
    normalise,
    option_map,
)
from fleet.lab.sim.opnsense.http import Call, to_php_string, unexpected
from fleet.lab.sim.opnsense.models import COLLECTIONS, Model, defaults

if TYPE_CHECKING:
    from fleet.lab.sim.opnsense.device import OPNsenseDevice

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)

Item = dict[str, str]
Messages = dict[str, list[str]]


@dataclass
class Hooks:
    """Model specific behaviour around the generic contract."""

    prepare: Callable[[OPNsenseDevice, str, Item], Item] | None = None  # auto values
    validate: Callable[[OPNsenseDevice, str, Item], Messages] | None = None  # model checks
    volatile: Callable[[OPNsenseDevice, str, Item], dict[str, str]] | None = None
    row: Callable[[OPNsenseDevice, str, Item, dict[str, Any]], None] | None = None
    get: Callable[[OPNsenseDevice, str, Item, dict[str, Any]], None] | None = None
    before_delete: Callable[[OPNsenseDevice, str, Item], None] | None = None  # may raise
    after_delete: Callable[[OPNsenseDevice, str, Item], None] | None = None
    after_set: Callable[[OPNsenseDevice, str, Item, Item], None] | None = None  # (old, new)


NO_HOOKS = Hooks()


def hooks(dev: OPNsenseDevice, key: str) -> Hooks:
    """The hooks of a model; the table is routes.HOOKS, handed to the device."""
    return dev.hooks.get(key) or NO_HOOKS


# --- posted values ---------------------------------------------------------------------------


def merge_post(m: Model, item: Item, data: Any) -> Item:
    """setNodes(): known fields take the posted scalar; unknown keys are ignored."""
    out = dict(item)
    if not isinstance(data, dict):
        return out
    for f in m.stored:
        node: Any = data
        parts = f.name.split(".")
        for i, part in enumerate(parts):
            if not isinstance(node, dict) or part not in node:
                node = _MISSING
                break
            node = node[part]
            if i < len(parts) - 1 and not isinstance(node, dict):
                raise unexpected()  # a scalar where a container is expected
        if node is _MISSING:
            continue
        out[f.name] = normalise(f, to_php_string(node))
    return out


_MISSING = object()


# --- validation ------------------------------------------------------------------------------


def _sibling(f: Field, name: str) -> str:
    return f.name.rsplit(".", 1)[0] + "." + name if "." in f.name else name


def check_item(
    dev: OPNsenseDevice, m: Model, uuid: str, item: Item, model_hooks: bool = True
) -> Messages:
    """Field rules, model constraints, then the model's own checks (`model_hooks`; the
    controller-level `set` skips those the item actions make): field → messages."""
    msgs: Messages = {}

    def add(name: str, text: str) -> None:
        lst = msgs.setdefault(name, [])
        if text not in lst:
            lst.append(text)

    others: dict[str, Item] = {}
    if m.key in COLLECTIONS:  # settings sections have no siblings
        others = {u: i for u, i in dev.store.items(m.key).items() if u != uuid}
    for f in m.stored:
        value = item.get(f.name, "")
        for text in check_value(f, value, lambda fld: dev.options(m, fld)):
            add(f.name, text)
        for c in f.constraints:
            ctype = c.get("type")
            text = c.get("ValidationMessage", "Validation failed.")
            if ctype == "UniqueConstraint" and value != "":
                keys = [f.name] + [_sibling(f, a) for a in c.get("addFields", [])]
                fold = c.get("caseInsensitive") == "Y"

                def norm(v: str, fold: bool = fold) -> str:
                    return v.lower() if fold else v

                mine = tuple(norm(item.get(k, "")) for k in keys)
                if any(tuple(norm(o.get(k, "")) for k in keys) == mine for o in others.values()):
                    add(f.name, text)
            elif ctype == "SetIfConstraint":
                other = item.get(_sibling(f, c["field"]), "")
                if other == c.get("check", "") and value == "":
                    add(f.name, text)
            elif (
                ctype in ("DependConstraint", "SetConstraint")
                and value != ""
                and any(item.get(_sibling(f, a), "") == "" for a in c.get("addFields", []))
            ):
                add(f.name, text)
    h = hooks(dev, m.key)
    if h.validate and model_hooks:
        for name, texts in h.validate(dev, uuid, item).items():
            for text in texts:
                add(name, text)
    return msgs


def validations(prefix: str, msgs: Messages) -> dict[str, Any]:
    """A single message is a string, several are a list."""
    return {f"{prefix}.{k}": v[0] if len(v) == 1 else v for k, v in msgs.items() if v}


# --- rendering -------------------------------------------------------------------------------


def _put(tree: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    for p in parts[:-1]:
        tree = tree.setdefault(p, {})
    tree[parts[-1]] = value


def with_volatile(dev: OPNsenseDevice, m: Model, uuid: str, item: Item) -> Item:
    h = hooks(dev, m.key)
    extra = h.volatile(dev, uuid, item) if h.volatile else {}
    return item | {f.name: extra.get(f.name, "") for f in m.fields if f.volatile}


def render_get(
    dev: OPNsenseDevice, m: Model, uuid: str, item: Item, item_hooks: bool = True
) -> dict[str, Any]:
    """getBase(): scalars as strings, option fields as option maps, lists as item maps
    (`item_hooks`: the per-item post-processing of get*, which the controller `get` lacks)."""
    full = with_volatile(dev, m, uuid, item)
    out: dict[str, Any] = {}
    for f in m.fields:
        value = full.get(f.name, "")
        if f.is_list:
            rendered: Any = option_map(f, value, dev.options(m, f))
        elif f.as_list:
            rendered = list_map(value)
        else:
            rendered = value
            if dev.release.percent_in_get and value and f.kind == "NetworkAliasField":
                text = dev.network_label(value)
                if text != value:  # 26.7: the display text of a string leaf beside it
                    _put(out, _percent(f.name), text)
        _put(out, f.name, rendered)
    h = hooks(dev, m.key)
    if h.get and item_hooks:
        h.get(dev, uuid, full, out)
    return out


def _percent(name: str) -> str:
    head, _, leaf = name.rpartition(".")
    return f"{head}.%{leaf}" if head else f"%{leaf}"


def render_row(
    dev: OPNsenseDevice, m: Model, uuid: str, item: Item, options: dict[str, Any] | None = None
) -> dict[str, Any]:
    """searchBase() rows. 25.7+: uuid, raw values, '%field' where the display text differs.
    Up to 25.1: uuid and the display text of each field (option labels instead of keys)."""
    full = with_volatile(dev, m, uuid, item)
    raw = dev.release.raw_search_rows
    row: dict[str, Any] = {"uuid": uuid}
    for f in m.fields:
        value = full.get(f.name, "")
        row[f.name] = value
        if value and f.is_list:
            opts = options[f.name] if options is not None else dev.options(m, f)
            text = describe(f, value, opts)
            if not raw:
                row[f.name] = text
            elif text != value:
                row["%" + f.name] = text
    h = hooks(dev, m.key)
    if h.row:
        h.row(dev, uuid, full, row)
    return row


def list_options(dev: OPNsenseDevice, m: Model) -> dict[str, Any]:
    """Option lists of a model's list fields, computed once for a whole result page."""
    return {f.name: dev.options(m, f) for f in m.fields if f.is_list}


# --- search ----------------------------------------------------------------------------------


def _int(value: Any, default: int) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    digits = re.sub(r"[^0-9-]", "", str(value)) if value is not None else ""
    try:
        return int(digits)
    except ValueError:
        return default


def _natural(value: Any) -> list[Any]:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", str(value).lower())]


def grid(call: Call, rows: list[dict[str, Any]], default_sort: str, post_only=False,
         default_count: int = -1) -> dict[str, Any]:  # fmt: skip
    """UIModelGrid paging, phrase filter and sort over prepared rows."""
    source = call.post if post_only else {**call.query, **call.post}
    current = max(_int(source.get("current", 1), 1), 1)
    count = _int(source.get("rowCount", default_count), default_count)
    phrase = source.get("searchPhrase", "")
    tokens = str(phrase).lower().split() if isinstance(phrase, str | int) else []
    if tokens:

        def hit(row: dict[str, Any]) -> bool:
            texts = [str(v).lower() for v in row.values() if isinstance(v, str | int)]
            return all(any(t in text for text in texts) for t in tokens)

        rows = [r for r in rows if hit(r)]
    sort = call.post.get("sort")
    order: list[tuple[str, bool]] = []
    if isinstance(sort, dict):
        order = [(str(k), str(v).lower() == "desc") for k, v in sort.items()]
    if not order and default_sort:
        order = [(default_sort, False)]
    for key, desc in reversed(order):
        rows = sorted(rows, key=lambda r, k=key: _natural(r.get(k, "")), reverse=desc)
    total = len(rows)
    if count > 0:
        rows = rows[(current - 1) * count : current * count]
    return {"rows": rows, "rowCount": len(rows), "total": total, "current": current}


def search(dev: OPNsenseDevice, m: Model, call: Call, keep: Callable[[str, Item], bool] | None = None,
           post_only=False, default_count: int = -1) -> dict[str, Any]:  # fmt: skip
    items = dev.store.items(m.key)
    opts = list_options(dev, m)
    rows = [render_row(dev, m, u, i, opts) for u, i in items.items() if keep is None or keep(u, i)]
    return grid(call, rows, m.default_sort, post_only=post_only, default_count=default_count)


# --- get / add / set / del / toggle ------------------------------------------------------------


def get(dev: OPNsenseDevice, m: Model, uuid: str | None) -> Any:
    if uuid is None:
        return {m.post_key: render_get(dev, m, "", defaults(m))}
    item = dev.store.items(m.key).get(uuid)
    if item is None:
        return []
    return {m.post_key: render_get(dev, m, uuid, item)}


def _store(dev: OPNsenseDevice, m: Model, call: Call, uuid: str, item: Item, old: Item | None,
           description: str) -> dict[str, Any]:  # fmt: skip
    """Validate, then store under `uuid` ("" = a new item, its uuid assigned on success)."""
    h = hooks(dev, m.key)
    if h.prepare:
        item = h.prepare(dev, uuid, item)
    msgs = check_item(dev, m, uuid, item)
    if msgs:
        return {"result": "failed", "validations": validations(m.post_key, msgs)}
    uuid = uuid or dev.store.new_uuid()
    dev.store.items(m.key)[uuid] = item
    if h.after_set and old is not None:
        h.after_set(dev, uuid, old, item)
    dev.save(call, description)
    return {"result": "saved", "uuid": uuid}


def add(dev: OPNsenseDevice, m: Model, call: Call, overlay: Item | None = None) -> dict[str, Any]:
    if not call.is_post or m.post_key not in call.post:
        return {"result": "failed"}
    item = merge_post(m, defaults(m), call.post[m.post_key])
    if overlay:
        item |= overlay
    return _store(dev, m, call, "", item, None, f"{m.xml} added")


def set_(dev: OPNsenseDevice, m: Model, call: Call, uuid: str | None,
         overlay: Item | None = None) -> dict[str, Any]:  # fmt: skip
    if not call.is_post or m.post_key not in call.post or not uuid or not UUID_RE.match(uuid):
        return {"result": "failed"}
    uuid = uuid.lower()
    old = dev.store.items(m.key).get(uuid)
    item = merge_post(m, old if old is not None else defaults(m), call.post[m.post_key])
    if overlay:
        item |= overlay
    out = _store(dev, m, call, uuid, item, old, f"{m.xml} changed")
    out.pop("uuid", None)
    return out


def delete(
    dev: OPNsenseDevice, m: Model, call: Call, uuids: str | None, multi=False
) -> dict[str, Any]:
    if not call.is_post:
        return {"result": "failed"}
    wanted = (uuids or "").split(",") if multi else [uuids or ""]
    items = dev.store.items(m.key)
    found = [u for u in wanted if u in items]
    if not found:
        return {"result": "not found"}
    h = hooks(dev, m.key)
    if h.before_delete:
        for u in found:
            h.before_delete(dev, u, items[u])
    for u in found:
        old = items.pop(u)
        if h.after_delete:
            h.after_delete(dev, u, old)
    dev.save(call, f"{m.xml} deleted")
    return {"result": "deleted"}


def toggle(dev: OPNsenseDevice, m: Model, call: Call, uuid: str | None, enabled: str | None,
           field: str = "enabled") -> dict[str, Any]:  # fmt: skip
    items = dev.store.items(m.key)
    if not call.is_post or uuid not in items:
        return {"result": "failed"}
    item = items[uuid]
    current = item.get(field, "0")
    flipped = "0" if current == "1" else "1"
    new = enabled if enabled in ("0", "1") else flipped
    changed = new != current
    if changed:
        items[uuid] = item | {field: new}
        dev.save(call, f"{m.xml} toggled")
    return {"result": "Enabled" if new == "1" else "Disabled", "changed": changed}


# --- settings sections -----------------------------------------------------------------------


def get_section(dev: OPNsenseDevice, key: str) -> dict[str, Any]:
    m = dev.model(key)
    return render_get(dev, m, "", dev.store.config[key])


def set_sections(dev: OPNsenseDevice, call: Call, root: str, keys: list[str]) -> dict[str, Any]:
    """setAction of a settings model: `{"<root>": {"<section>": {...}}}`."""
    if not call.is_post or root not in call.post:
        return {"result": "failed"}
    data = call.post[root]
    updates: dict[str, Item] = {}
    errors: dict[str, Any] = {}
    for key in keys:
        m = dev.model(key)
        section = data.get(m.post_key) if isinstance(data, dict) else None
        if section is not None and not isinstance(section, dict):
            raise unexpected()
        item = merge_post(m, dev.store.config[key], section)
        msgs = check_item(dev, m, "", item)
        errors |= validations(f"{root}.{m.post_key}", msgs)
        updates[key] = item
    if errors:
        return {"result": "failed", "validations": errors}
    changed = False
    for key, item in updates.items():
        if item != dev.store.config[key]:
            dev.store.config[key] = item
            changed = True
    if changed:
        dev.save(call, f"{root} settings changed")
    return {"result": "saved"}


# --- route handlers --------------------------------------------------------------------------


@dataclass(frozen=True)
class Collection:
    """The generic search/get/add/set/del/toggle actions of one model, as route handlers."""

    model: Model
    overlay: Item | None = None  # values every add/set stores (two lists sharing one model)
    keep: Callable[[Call], Callable[[str, Item], bool] | None] | None = None  # search filter
    multi_delete: bool = False  # del takes a comma-separated list of uuids

    def search(self, dev: OPNsenseDevice, call: Call) -> Any:
        m = dev.model(self.model.key)
        return search(dev, m, call, self.keep(call) if self.keep else None)

    def get(self, dev: OPNsenseDevice, call: Call) -> Any:
        return get(dev, dev.model(self.model.key), call.param(0))

    def add(self, dev: OPNsenseDevice, call: Call) -> Any:
        return add(dev, dev.model(self.model.key), call, self.overlay)

    def set(self, dev: OPNsenseDevice, call: Call) -> Any:
        return set_(dev, dev.model(self.model.key), call, call.param(0), self.overlay)

    def delete(self, dev: OPNsenseDevice, call: Call) -> Any:
        return delete(dev, dev.model(self.model.key), call, call.param(0), multi=self.multi_delete)

    def toggle(self, dev: OPNsenseDevice, call: Call) -> Any:
        return toggle(dev, dev.model(self.model.key), call, call.param(0), call.param(1))
