"""The controller-level `get` and `set` every model controller inherits (reference:
conventions.model_get_set): the whole model in one answer, and a recursive merge of a partial
tree that adds items under unknown keys and never deletes.

A `Tree` says where a controller's array sections sit in its model (`aliases.alias` → the
alias collection) and which containers it shows besides them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fleet.lab.sim.opnsense import crud
from fleet.lab.sim.opnsense.fields import list_map
from fleet.lab.sim.opnsense.http import Call, unexpected
from fleet.lab.sim.opnsense.models import defaults

if TYPE_CHECKING:
    from fleet.lab.sim.opnsense.device import OPNsenseDevice

Extra = Callable[["OPNsenseDevice"], dict[str, Any]]


@dataclass(frozen=True)
class Tree:
    root: str  # the controller's internalModelName: the answer's and the body's root key
    sections: dict[str, str]  # dotted path of an array section → model key
    extra: Extra | None = None  # containers shown besides the sections (settings, built-ins)
    # built-in items of the (single) section, rendered and keyed by name
    builtins: Callable[[OPNsenseDevice], dict[str, Any]] | None = None
    # model checks that real OPNsense makes in the controller's item actions, which set skips
    controller_checks: bool = False
    shown: dict[str, str] = field(default_factory=dict)  # empty sections with no model: path


def _put(tree: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    for p in parts[:-1]:
        tree = tree.setdefault(p, {})
    tree[parts[-1]] = value


def item(dev: OPNsenseDevice, key: str, uuid: str, item: dict[str, str]) -> dict[str, Any]:
    """An item as `get` shows it: the getItem rendering without per-item post-processing
    (alias content lists only the alias's own entries)."""
    m = dev.model(key)
    out = crud.render_get(dev, m, uuid, item, item_hooks=False)
    if key == "alias":
        out["content"] = list_map(item.get("content", ""), "\n")
    return out


def get(dev: OPNsenseDevice, call: Call, tree: Tree) -> Any:
    if call.method != "GET":
        return []  # the root key is filled only for GET
    out: dict[str, Any] = tree.extra(dev) if tree.extra else {}
    for path, key in tree.sections.items():
        items = {u: item(dev, key, u, i) for u, i in dev.store.items(key).items()}
        if tree.builtins is not None:  # built-in entries follow, keyed by name
            builtin = tree.builtins(dev)
            items = {u: i for u, i in items.items() if i.get("name") not in builtin}
            items.update(builtin)
        _put(out, path, items)  # an empty section is encoded as [] (json_response)
    for path in tree.shown:
        _put(out, path, {})
    return {tree.root: out}


def _section(data: Any, path: str) -> Any:
    node = data
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node or node[part] is None:
            return None
        node = node[part]
    if not isinstance(node, dict):
        raise unexpected()  # a container given a scalar
    return node


def set_(dev: OPNsenseDevice, call: Call, tree: Tree) -> Any:
    """Merge `{root: partial tree}`; unknown item keys add items; validation of what changed."""
    if not call.is_post:
        return {"result": "failed"}
    data = call.post.get(tree.root)
    if data is None:
        return {"result": "saved"}  # nothing to merge: nothing changes
    if not isinstance(data, dict):
        raise unexpected()
    staged: dict[str, dict[str, dict[str, str]]] = {}
    errors: dict[str, Any] = {}
    for path, key in tree.sections.items():
        posted = _section(data, path)
        if not posted:
            continue
        m = dev.model(key)
        items = dev.store.items(key)
        for item_key, values in posted.items():
            if values is None:
                continue
            if not isinstance(values, dict):
                raise unexpected()
            before = items.get(item_key)
            uuid = item_key if before is not None else dev.store.new_uuid()
            base = before if before is not None else defaults(m)
            item = crud.merge_post(m, base, values)
            msgs = crud.check_item(dev, m, uuid, item, model_hooks=not tree.controller_checks)
            changed = {f for f in item if before is None or item.get(f) != before.get(f)}
            msgs = {f: t for f, t in msgs.items() if f in changed}
            errors |= crud.validations(f"{tree.root}.{path}.{uuid}", msgs)
            staged.setdefault(key, {})[uuid] = item
    if errors:
        return {"result": "failed", "validations": errors}
    changed_any = False
    for key, updates in staged.items():
        items = dev.store.items(key)
        for uuid, item in updates.items():
            if items.get(uuid) != item:
                items[uuid] = item
                changed_any = True
    if changed_any:
        dev.save(call, f"{tree.root} model changed")
    return {"result": "saved"}


@dataclass(frozen=True)
class ModelController:
    """The controller-level `get`/`set` actions of one controller, as route handlers."""

    tree: Tree

    def get(self, dev: OPNsenseDevice, call: Call) -> Any:
        return get(dev, call, self.tree)

    def set(self, dev: OPNsenseDevice, call: Call) -> Any:
        return set_(dev, call, self.tree)
