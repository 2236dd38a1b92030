"""Object tables: a shared read-only base (the shipped catalogue) under a small per-device
overlay of changes, plus opsi's filter semantics.

180 devices share one copy of the ~800-product catalogue. Base rows that name the device's own
depot hold the placeholder DEPOT instead, and are materialised on read, so a device costs only
its own changes (which are also all its snapshot holds).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from . import objects
from .errors import OpsiValueError

DEPOT = "@depot@"


class Table:
    def __init__(self, prefix: str, base: Mapping[str, dict] | None, depot_id: str):
        self.prefix = prefix
        self.base: Mapping[str, dict] = base or {}
        self.overlay: dict[str, dict | None] = {}  # ident -> object, or None when deleted
        self.depot_id = depot_id
        self.templated = any(DEPOT in k for k in self.base)

    # keys ------------------------------------------------------------------------------
    def _base_key(self, key: str) -> str:
        if not self.templated:
            return key
        return ";".join(DEPOT if part == self.depot_id else part for part in key.split(";"))

    def _real_key(self, base_key: str) -> str:
        return base_key.replace(DEPOT, self.depot_id) if self.templated else base_key

    def _materialise(self, obj: dict) -> dict:
        if not self.templated:
            return obj
        return {k: _subst(val, self.depot_id) for k, val in obj.items()}

    # access ----------------------------------------------------------------------------
    def get(self, key: str) -> dict | None:
        if key in self.overlay:
            return self.overlay[key]
        obj = self.base.get(self._base_key(key))
        return None if obj is None else self._materialise(obj)

    def put(self, obj: dict) -> None:
        self.overlay[objects.ident_of(obj)] = obj

    def delete(self, key: str) -> None:
        if self._base_key(key) in self.base:
            self.overlay[key] = None
        else:
            self.overlay.pop(key, None)

    def __contains__(self, key: str) -> bool:
        return self.get(key) is not None

    def items(self) -> Iterator[tuple[str, dict]]:
        overlay = self.overlay
        for bkey, obj in self.base.items():
            key = self._real_key(bkey)
            if key not in overlay:
                yield key, self._materialise(obj)
        for key, obj in overlay.items():
            if obj is not None:
                yield key, obj

    def select(self, filt: dict[str, Any] | None) -> list[dict]:
        """Objects matching an opsi filter, sorted by ident (the primary-key order)."""
        filt = filt or {}
        pred = compile_filter(self.prefix, filt)
        overlay = self.overlay
        found = [(key, obj) for key, obj in overlay.items() if obj is not None and pred(obj)]
        raw_pred = self._raw_predicate(filt, pred)
        for bkey in self._candidates(filt):
            obj = self.base[bkey]
            key = self._real_key(bkey)
            if key in overlay:
                continue
            if raw_pred is not None:
                if raw_pred(obj):
                    found.append((key, self._materialise(obj)))
            else:
                real = self._materialise(obj)
                if pred(real):
                    found.append((key, real))
        found.sort(key=lambda kv: kv[0].lower().split(";"))  # primary-key order, column by column
        return [obj for _key, obj in found]

    def _raw_predicate(self, filt: dict[str, Any], pred):
        """A predicate that works on base rows as stored (placeholder and all), or None when
        the rows must be materialised first (a pattern that could match the depot id)."""
        if not self.templated:
            return pred
        depot = self.depot_id.lower()
        swapped: dict[str, Any] = {}
        for key, want in filt.items():
            options = want if isinstance(want, (list, tuple)) else [want]
            new = []
            for opt in options:
                if isinstance(opt, str):
                    if "*" in opt or opt.lstrip()[:1] in ("<", ">"):
                        return None
                    opt = DEPOT if opt.lower() == depot else opt
                new.append(opt)
            swapped[key] = new if isinstance(want, (list, tuple)) else new[0]
        return compile_filter(self.prefix, swapped)

    def _candidates(self, filt: dict[str, Any]):
        """Base keys worth testing: an index lookup when the filter pins an indexed attribute."""
        index = _index(self.base)
        for attr in INDEXED:
            want = filt.get(attr)
            if want is None:
                continue
            options = want if isinstance(want, (list, tuple)) else [want]
            if options and all(
                isinstance(o, str) and "*" not in o and o[:1] not in ("<", ">") for o in options
            ):
                keys: list[str] = []
                for opt in options:
                    keys.extend(index.get(attr, {}).get(opt.lower(), ()))
                return keys
        return self.base.keys()

    # persistence -----------------------------------------------------------------------
    def dump(self) -> dict[str, dict | None]:
        return dict(self.overlay)

    def load(self, overlay: dict[str, dict | None]) -> None:
        self.overlay = dict(overlay)


def _subst(value: Any, depot_id: str) -> Any:
    if isinstance(value, str):
        return value.replace(DEPOT, depot_id) if DEPOT in value else value
    if isinstance(value, list):
        return [_subst(x, depot_id) for x in value]
    return value


INDEXED = ("productId", "id", "objectId", "clientId")
_INDEXES: dict[int, tuple[Mapping, dict[str, dict[str, list[str]]]]] = {}


def _index(base: Mapping[str, dict]) -> dict[str, dict[str, list[str]]]:
    """attribute -> lower-cased value -> base keys; built once per shared base table."""
    cached = _INDEXES.get(id(base))
    if cached is not None and cached[0] is base:
        return cached[1]
    index: dict[str, dict[str, list[str]]] = {}
    for key, obj in base.items():
        for attr in INDEXED:
            val = obj.get(attr)
            if isinstance(val, str):
                index.setdefault(attr, {}).setdefault(val.lower(), []).append(key)
    _INDEXES[id(base)] = (base, index)
    return index


# filters -------------------------------------------------------------------------------


def compile_filter(prefix: str, filt: dict[str, Any]):
    """opsi filter semantics (mysql backend): keys ANDed, a list means OR, `*` is a wildcard,
    a leading `<`/`>` compares, null is ignored (null inside a list matches NULL), booleans
    compare as 0/1, `type` selects a class and its subclasses, unknown keys are an error.
    String comparison is case-insensitive like MySQL's default collation."""
    allowed = objects.attributes_of_prefix(prefix)
    tests = []
    for key, want in filt.items():
        if key != "type" and key not in allowed:
            raise OpsiValueError(
                f"Invalid filter {key!r}={want!r} used, possible attributes are: {', '.join(allowed)}"
            )
        if want is None:
            continue
        options = want if isinstance(want, (list, tuple)) else [want]
        if not options:
            continue
        if key == "type":
            names = [str(o) for o in options]
            tests.append(lambda obj, names=names: any(objects.is_a(obj["type"], n) for n in names))
            continue
        matchers = [_matcher(o) for o in options]
        tests.append(lambda obj, key=key, matchers=matchers: _any_match(obj.get(key), matchers))
    return lambda obj: all(t(obj) for t in tests)


def _any_match(value: Any, matchers) -> bool:
    if isinstance(value, list):
        return any(m(item) for item in value for m in matchers) or any(
            m(None) for m in matchers if not value
        )
    return any(m(value) for m in matchers)


_CMP = re.compile(r"^\s*(<=|>=|<|>)\s*(.*)$", re.S)


def _matcher(want: Any):
    if want is None:
        return lambda value: value is None
    if isinstance(want, bool):
        return lambda value: (
            value is not None and bool(value) == want and isinstance(value, (bool, int))
        )
    if isinstance(want, (int, float)):
        return lambda value: value is not None and _num_eq(value, want)
    text = str(want)
    cmp = _CMP.match(text)
    if cmp:
        op, operand = cmp.groups()
        return lambda value: value is not None and _compare(value, op, operand)
    if "*" in text:
        pattern = ".*".join(re.escape(part) for part in text.lower().split("*"))
        rx = re.compile(f"^{pattern}$", re.S)
        return lambda value: value is not None and bool(rx.match(_text(value).lower()))
    low = text.lower()
    return lambda value: value is not None and _text(value).lower() == low


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _num_eq(value: Any, want: float) -> bool:
    try:
        return float(value) == float(want)
    except (TypeError, ValueError):
        return False


def _compare(value: Any, op: str, operand: str) -> bool:
    try:
        left: Any = float(value)
        right: Any = float(operand)
    except (TypeError, ValueError):
        left, right = _text(value).lower(), operand.lower()
    if op == "<":
        return left < right
    if op == "<=":
        return left <= right
    if op == ">":
        return left > right
    return left >= right
