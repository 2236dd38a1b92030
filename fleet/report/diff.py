"""Ansible diffs (before/after or prepared text) → unified diff text for people."""

from __future__ import annotations

import difflib

import yaml


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return yaml.safe_dump(value, sort_keys=True, default_flow_style=False)


def diff_text(diff: dict) -> str:
    """One diff entry as text: `prepared` as is, else a unified diff of before → after."""
    if diff.get("prepared"):
        return str(diff["prepared"]).rstrip("\n")
    before, after = _text(diff.get("before")), _text(diff.get("after"))
    lines = difflib.unified_diff(
        before.splitlines(),
        after.splitlines(),
        fromfile=str(diff.get("before_header") or "before"),
        tofile=str(diff.get("after_header") or "after"),
        lineterm="",
    )
    return "\n".join(lines)


def diffs_text(diffs: list[dict]) -> str:
    return "\n".join(t for t in (diff_text(d) for d in diffs) if t)
