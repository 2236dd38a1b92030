"""`RunSpec`: what one fleet command runs on each site, and the ansible-playbook arguments."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from fleet import components
from fleet.components import SITE_PLAYBOOK
from fleet.errors import BadInput

MODES = ("apply", "check")
COMMANDS = ("deploy", "plan", "drift")


def playbook_for(component: str | None) -> str:
    """The playbook of a component (None: every component, playbooks/site.yml)."""
    if not component:
        return SITE_PLAYBOOK
    try:
        return components.get(component).playbook
    except KeyError:
        raise BadInput(
            f"unknown component {component!r} (valid: {', '.join(components.names())})"
        ) from None


@dataclass(frozen=True)
class RunSpec:
    command: str = "deploy"  # deploy | plan | drift (recorded in history)
    component: str | None = None  # --component; None = every component
    playbook: str = SITE_PLAYBOOK  # relative to the project root
    mode: str = "apply"  # apply | check
    diff: bool = False
    limit: str | None = None
    tags: tuple[str, ...] = ()
    skip_tags: tuple[str, ...] = ()
    extra_vars: dict = field(default_factory=dict)
    accelerate: bool = False  # the mitogen strategy (opt-in, docs/runner.md "Accelerated mode")

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {self.mode!r}")
        if self.command not in COMMANDS:
            raise ValueError(f"command must be one of {COMMANDS}, got {self.command!r}")
        path = PurePosixPath(self.playbook)
        if path.is_absolute() or ".." in path.parts:
            raise BadInput(f"--playbook {self.playbook}: give a path inside the project, relative")

    @classmethod
    def build(
        cls,
        command: str,
        component: str | None = None,
        playbook: str | None = None,
        check: bool = False,
        diff: bool = False,
        limit: str | None = None,
        tags: tuple[str, ...] = (),
        skip_tags: tuple[str, ...] = (),
        extra_vars: dict | None = None,
        allow_destroy: bool = False,
        accelerate: bool = False,
    ) -> RunSpec:
        """The spec of a CLI command: plan and drift run in check mode; roles delete what they
        manage only when `fleet_allow_destroy` is true, which only a real deploy can ask for."""
        mode = "check" if command in ("plan", "drift") or check else "apply"
        found = dict(extra_vars or {})
        if "fleet_allow_destroy" in found:
            raise BadInput("-e fleet_allow_destroy: use --allow-destroy (deploy only)")
        found["fleet_allow_destroy"] = allow_destroy and mode == "apply"
        return cls(
            command=command,
            component=component,
            playbook=playbook or playbook_for(component),
            mode=mode,
            diff=diff or mode == "check",
            limit=limit,
            tags=tags,
            skip_tags=skip_tags,
            extra_vars=found,
            accelerate=accelerate,
        )

    @property
    def selected(self) -> list[str] | None:
        """Components this spec runs; None when a custom --playbook says nothing about it."""
        if self.component:
            return [self.component]
        if self.playbook == SITE_PLAYBOOK:
            return components.names()
        return None

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
