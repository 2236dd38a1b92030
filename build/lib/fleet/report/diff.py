"""Ansible diffs (before/after or prepared text) → unified diff text for people."""

from __future__ import annotations

import difflib
import re

import yaml

# Ansible renders templates/copies into a temporary file on the controller or the host: that
# path says nothing to a reader (and changes every run).
TEMP_PATH = re.compile(r"(/\.ansible/tmp/|/ansible-local-|/ansible-tmp-)")


def _header(value: object, default: str) -> str:
    text = str(value or default)
    if TEMP_PATH.search(text):
        return f"{default} (rendered: {text.rsplit('/', 1)[-1]})"
    return text


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
        fromfile=_header(diff.get("before_header"), "before"),
        tofile=_header(diff.get("after_header"), "after"),
        lineterm="",
    )
    return "\n".join(lines)


def diffs_text(diffs: list[dict]) -> str:
    return "\n".join(t for t in (diff_text(d) for d in diffs) if t)
