"""`RunSpec`: what to run on which sites, and the ansible-playbook arguments it implies."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field

MODES = ("apply", "check")
COMMANDS = ("deploy", "plan", "drift")
DEFAULT_PLAYBOOK = "playbooks/site.yml"
# `--component C` → its playbook; site.yml imports them in this order (DESIGN.md).
COMPONENT_PLAYBOOKS = {
    "base": "playbooks/base.yml",
    "proxmox": "playbooks/proxmox.yml",
    "guests": "playbooks/guests.yml",
    "opnsense": "playbooks/opnsense.yml",
    "samba_ad": "playbooks/samba_ad.yml",
    "opsi": "playbooks/opsi.yml",
    "switches": "playbooks/switches.yml",
}


@dataclass(frozen=True)
class RunSpec:
    sites: tuple[str, ...]
    playbook: str = DEFAULT_PLAYBOOK  # relative to the project root
    mode: str = "apply"  # apply | check
    diff: bool = False
    limit: str | None = None
    tags: tuple[str, ...] = ()
    skip_tags: tuple[str, ...] = ()
    extra_vars: dict = field(default_factory=dict)
    component: str | None = None
    command: str = "deploy"  # deploy | plan | drift (recorded in history)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {self.mode!r}")
        if self.command not in COMMANDS:
            raise ValueError(f"command must be one of {COMMANDS}, got {self.command!r}")

    @classmethod
    def for_component(cls, component: str | None) -> str:
        """The playbook of a component (None: every component, playbooks/site.yml)."""
        if not component:
            return DEFAULT_PLAYBOOK
        if component not in COMPONENT_PLAYBOOKS:
            raise ValueError(f"unknown component {component!r}")
        return COMPONENT_PLAYBOOKS[component]

    def cmdline_args(self, vault_password_file: str | None = None) -> list[str]:
        """ansible-playbook options as an argument list (never a shell string)."""
        args: list[str] = []
        if self.mode == "check":
            args.append("--check")
        if self.diff or self.mode == "check":
            args.append("--diff")
        if self.limit:
            args += ["--limit", self.limit]
        if self.tags:
            args += ["--tags", ",".join(self.tags)]
        if self.skip_tags:
            args += ["--skip-tags", ",".join(self.skip_tags)]
        if vault_password_file:
            args += ["--vault-password-file", vault_password_file]
        return args

    def cmdline(self, vault_password_file: str | None = None) -> str:
        # ansible-runner reads env/cmdline with shlex.split: shlex.join round-trips the list.
        return shlex.join(self.cmdline_args(vault_password_file))

    def to_dict(self) -> dict:
        return {
            "sites": list(self.sites),
            "playbook": self.playbook,
            "mode": self.mode,
            "diff": self.diff,
            "limit": self.limit,
            "tags": list(self.tags),
            "skip_tags": list(self.skip_tags),
            "extra_vars": dict(self.extra_vars),
            "component": self.component,
            "command": self.command,
        }
