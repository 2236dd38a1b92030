"""opsi's version ordering and version conditions.

A product version is `productVersion-packageVersion` (neither part may hold `-`). Versions are
compared as opsi compares them (its legacy ordering): each part is split into runs of digits
and of letters, digits compare as numbers and sort before letters, a shorter version is padded
with zeros; anything after `~` (a custom package variant) is ignored.
"""

from __future__ import annotations

import re

CONDITIONS = ("=", "==", "<", "<=", ">", ">=")
_RUN = re.compile(r"\d+|[A-Za-z]+")
_CONDITION = re.compile(r"^\s*(==|=|<=|>=|<|>)?\s*([A-Za-z0-9.~-]+)\s*$")


def _key(part: str) -> list[tuple[int, int | str]]:
    return [(0, int(r)) if r.isdigit() else (1, r) for r in _RUN.findall(part)]


def _pad(left: list, right: list) -> tuple[list, list]:
    size = max(len(left), len(right))
    return left + [(0, 0)] * (size - len(left)), right + [(0, 0)] * (size - len(right))


def compare(a: str, b: str) -> int:
    """-1, 0 or 1 as version `a` is below, equal to or above `b` (`~custom` ignored)."""
    a, b = a.split("~")[0], b.split("~")[0]
    a_product, _, a_package = a.partition("-")
    b_product, _, b_package = b.partition("-")
    for left, right in ((a_product, b_product), (a_package, b_package)):
        if not left or not right:  # a condition on the product version alone
            continue
        x, y = _pad(_key(left), _key(right))
        if x != y:
            return -1 if x < y else 1
    return 0


def parse_condition(text: str) -> tuple[str, str]:
    """`">= 1.2-3"` → (">=", "1.2-3"); a bare version means `=`. ValueError if malformed."""
    match = _CONDITION.match(str(text))
    if not match:
        raise ValueError(f"malformed version condition {text!r} (e.g. '>= 1.2-3')")
    op, version = match.groups()
    return ("=" if op in (None, "==") else op), version


def satisfies(version: str, condition: str) -> bool:
    """Does `version` meet `condition` (e.g. `">= 17.1"`, `"= 2024.8-3"`)?"""
    op, wanted = parse_condition(condition)
    order = compare(version, wanted)
    return {
        "=": order == 0,
        "<": order < 0,
        "<=": order <= 0,
        ">": order > 0,
        ">=": order >= 0,
    }[op]
