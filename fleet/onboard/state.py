"""A site's lifecycle state in its registry file (`state: onboarding | active | decommissioned`).

fleet changes one line of the site file, atomically (temp file + rename), and returns that line
before and after (the change to put in the merge request). Everything else in the file — comments,
order, quoting — stays as the people who wrote it left it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from fleet.errors import BadInput
from fleet.fsutil import atomic_write
from fleet.registry.enums import State

STATE_LINE = re.compile(r"^state:[ \t]*(?P<value>[A-Za-z_\"']+)[ \t]*(?P<rest>#.*)?$", re.M)


@dataclass(frozen=True)
class StateChange:
    file: Path
    line: int  # 1-based
    before: str
    after: str

    def to_dict(self) -> dict:
        return {"file": str(self.file), "line": self.line, "before": self.before,
                "after": self.after}  # fmt: skip

    def __str__(self) -> str:
        return f"{self.file}:{self.line}\n- {self.before}\n+ {self.after}"


def set_state(site_file: Path, new: State) -> StateChange | None:
    """Set the site file's top-level `state:`; None when it already says `new`. A file without a
    `state:` line (the default, onboarding) gets one after its `owner:` (or `uai:`) line."""
    site_file = Path(site_file)
    try:
        text = site_file.read_text(encoding="utf-8")
    except OSError as exc:
        raise BadInput(f"{site_file}: cannot read the site file: {exc}") from exc
    match = STATE_LINE.search(text)
    after = f"state: {new.value}"
    if match is not None:
        if match.group("value").strip("\"'") == new.value:
            return None
        if match.group("rest"):
            after += " " + match.group("rest")
        line = text.count("\n", 0, match.start()) + 1
        before = match.group(0)
        updated = text[: match.start()] + after + text[match.end() :]
    else:
        if new is State.onboarding:
            return None
        anchor = next(
            (m for key in ("owner", "city", "uai") if (m := re.search(rf"^{key}:.*$", text, re.M))),
            None,
        )
        if anchor is None:
            raise BadInput(f"{site_file}: no top-level uai/city/owner line to put state after")
        line = text.count("\n", 0, anchor.end()) + 2
        before = "(no state line: onboarding)"
        updated = text[: anchor.end()] + "\n" + after + text[anchor.end() :]
    atomic_write(site_file, updated)
    return StateChange(site_file, line, before, after)
