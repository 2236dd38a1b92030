"""One switch brought to its intended configuration: render, read, remediate; in check mode
report the lines; else send exactly them, read again and fail if anything is left, then save.

The result carries what Ansible reports (changed, the lines as the diff, the unmanaged lines)
and the running configuration for the backup — every secret masked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

try:  # under Ansible (plugins/module_utils symlinks)
    from ansible.module_utils.fleet_switch_remediation import mask, remediate
    from ansible.module_utils.fleet_switch_render import render
    from ansible.module_utils.fleet_switch_session import Session, SwitchError, Target
except ImportError:
    from fleet.switches.remediation import mask, remediate
    from fleet.switches.render import render
    from fleet.switches.session import Session, SwitchError, Target


@dataclass
class Outcome:
    changed: bool
    lines: list[str]  # sent (apply) or to send (check mode); secrets masked
    unmanaged: list[str]
    config: str  # the running configuration after the run, secrets masked (for the backup)
    secrets: list[str] = field(default_factory=list, repr=False)

    @property
    def diff(self) -> dict[str, str]:
        return {"prepared": "\n".join(self.lines) + "\n"} if self.lines else {}

    def to_result(self) -> dict[str, Any]:
        return {"changed": self.changed, "lines": self.lines, "unmanaged": self.unmanaged,
                "config": self.config, "diff": self.diff}  # fmt: skip


def converge(target: Target, intent: dict[str, Any], template_dir: str,
             secrets: dict[str, str], check_mode: bool, save: bool = True) -> Outcome:  # fmt: skip
    """Raises SwitchError naming the switch (and the refused line)."""
    hidden = [v for v in [*secrets.values(), target.password, target.secret] if v]
    intended = render(intent, template_dir, secrets)
    platform = intent["platform"]
    with Session(target) as session:
        running = session.running()
        plan = remediate(platform, running, intended)
        lines = [mask(line, hidden) for line in plan.lines]
        unmanaged = [mask(line, hidden) for line in plan.unmanaged]
        if check_mode or not plan.lines:
            return Outcome(bool(plan.lines), lines, unmanaged, mask(running, hidden), hidden)
        session.configure(plan.lines)
        after = session.running()
        left = remediate(platform, after, intended)
        if left.lines:
            shown = "; ".join(mask(line.strip(), hidden) for line in left.lines[:10])
            raise SwitchError(
                f"switch {target.name}: {len(left.lines)} line(s) still differ after applying "
                f"the remediation (not saved): {shown}"
            )
        if save:
            session.save()
    return Outcome(True, lines, unmanaged, mask(after, hidden), hidden)


__all__ = ["Outcome", "SwitchError", "Target", "converge"]
