"""OPNsense's value forms, turned into one comparable form (no perpetual diffs).

The API shows one value in several shapes: leaves are strings, booleans "0"/"1"; `get`
renders option fields as `{key: {"value": label, "selected": 0|1}}` (non-required single
selects with a "" entry) and list fields / alias content as `{item: {..., "selected": 1}}`
(`{"": …}` when empty); search rows hold raw values from 25.7 (with `%field` display labels
beside them), display labels before; an empty section is `[]`. Multi-selects are comma lists,
alias content and Kea pools newline lists.

A managed field has a *form* that says how to compare it:

| form | compared as | written as |
|---|---|---|
| text | the string | the string |
| bool | "1" or "0" ("" counts as "0") | "1"/"0" |
| int | the decimal string | the string |
| list | comma list, in order (DNS servers: order matters) | comma list |
| set | comma list, sorted (multi-select interfaces: the API sorts them its way) | comma list |
| lines | newline list, sorted, blanks dropped (alias content, pools) | newline list, in the registry's order |
| lower | the string, lower case (MAC addresses, networks) | the string |
"""

from __future__ import annotations

from typing import Any

MARKER = "[fleet]"  # description prefix of the objects fleet manages
FORMS = ("text", "bool", "int", "list", "set", "lines", "lower")


def marked(text: str) -> str:
    return f"{MARKER} {text}".strip()


def is_marked(description: str) -> bool:
    return str(description or "").startswith(MARKER)


def unmarked(description: str) -> str:
    return str(description or "")[len(MARKER) :].strip()


def chosen(value: Any) -> list[str]:
    """The selected keys of an option map or list map; a string's comma items; [] as none."""
    if isinstance(value, dict):
        return [
            k
            for k, v in value.items()
            if k != "" and isinstance(v, dict) and str(v.get("selected", 0)) in ("1", "True")
        ]
    if isinstance(value, list):
        return [str(v) for v in value if str(v) != ""]
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(value)]


def _items(value: Any, sep: str) -> list[str]:
    if isinstance(value, dict | list):
        return chosen(value)
    text = "" if value is None else str(value)
    return [part.strip() for part in text.split(sep) if part.strip() != ""]


def encode(form: str, value: Any) -> str:
    """A desired value (bool, int, str, list) as the API takes it."""
    if form == "bool":
        if isinstance(value, str):
            return "1" if value.strip().lower() in ("1", "true", "yes") else "0"
        return "1" if value else "0"
    if form in ("list", "set"):
        items = value if isinstance(value, list | tuple) else _items(value, ",")
        return ",".join(str(v) for v in items)
    if form == "lines":
        items = value if isinstance(value, list | tuple) else _items(value, "\n")
        return "\n".join(str(v) for v in items)
    if value is None:
        return ""
    return str(value)


def normal(form: str, value: Any) -> str:
    """Any API shape of a value (or an `encode`d desired one) in the comparable form."""
    if form == "bool":
        items = _items(value, ",")
        return "1" if items and items[0] in ("1", "True", "true") else "0"
    if form == "list":
        return ",".join(_items(value, ","))
    if form == "set":
        return ",".join(sorted(set(_items(value, ","))))
    if form == "lines":
        return "\n".join(sorted(set(_items(value, "\n"))))
    items = chosen(value) if isinstance(value, dict | list) else None
    text = ",".join(items) if items is not None else ("" if value is None else str(value))
    if form == "int":
        text = text.strip()
        return str(int(text)) if text.lstrip("-").isdigit() else text
    if form == "lower":
        return text.strip().lower()
    return text


def leaf(item: dict[str, Any], name: str) -> Any:
    """A field of an item, `a.b` looked up nested (get) or dotted (search rows)."""
    if name in item:
        return item[name]
    node: Any = item
    for part in name.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def nest(flat: dict[str, str]) -> dict[str, Any]:
    """`{"a.b": v}` → `{"a": {"b": v}}` (request bodies)."""
    out: dict[str, Any] = {}
    for name, value in flat.items():
        node = out
        parts = name.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out


def section(data: Any, path: str) -> dict[str, Any]:
    """The items under `a.b.c` of a `get` answer; an empty section (`[]`) is {}."""
    node = data
    for part in path.split("."):
        if not isinstance(node, dict):
            return {}
        node = node.get(part)
    return node if isinstance(node, dict) else {}


def is_uuid(key: str) -> bool:
    parts = key.split("-")
    return [len(p) for p in parts] == [8, 4, 4, 4, 12] and all(
        c in "0123456789abcdefABCDEF" for c in key.replace("-", "")
    )
