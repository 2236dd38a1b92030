"""`--changed-since REF`: which sites a git change affects.

A site file or its vault file → that site; region.yml, the OPSI catalogue (opsi/), roles/,
playbooks/, plugins/, templates/, ansible.cfg → every site; anything else → no site.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from fleet.errors import BadInput

# Paths (relative to the repository top) whose change affects every site.
ALL_SITES_DIRS = ("roles", "playbooks", "plugins", "templates")
ALL_SITES_FILES = ("ansible.cfg",)
# Relative to the registry directory.
REGISTRY_ALL_SITES = ("region.yml", "opsi")


@dataclass
class Affected:
    sites: list[str]
    reasons: dict[str, list[str]] = field(default_factory=dict)  # site or "*" → paths
    all_sites: bool = False


def git(args: list[str], cwd: Path) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    except FileNotFoundError as exc:
        raise BadInput("--changed-since needs git, which is not installed") from exc
    if done.returncode != 0:
        raise BadInput(f"git {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def changed_files(ref: str, cwd: Path) -> tuple[list[str], Path]:
    """Paths changed since `ref` (relative to the repository top), and that top."""
    if not ref or ref.startswith("-"):
        raise BadInput(f"--changed-since: {ref!r} is not a git revision")
    top = Path(git(["rev-parse", "--show-toplevel"], cwd).strip())
    git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], cwd)
    out = git(["diff", "--name-only", ref, "--"], cwd)
    return [line for line in out.splitlines() if line.strip()], top


def affected_sites(paths: list[str], registry_dir: str, known: list[str]) -> Affected:
    """Pure mapping of changed paths to sites; `registry_dir` is relative to the repo top."""
    registry = PurePosixPath(registry_dir)
    known_set = set(known)
    reasons: dict[str, list[str]] = {}
    everything = False
    for raw in paths:
        path = PurePosixPath(raw)
        parts = path.parts
        hit: str | None = None
        if (parts and parts[0] in ALL_SITES_DIRS) or raw in ALL_SITES_FILES:
            hit = "*"
        elif path.is_relative_to(registry):
            inner = path.relative_to(registry).parts
            if inner and inner[0] in REGISTRY_ALL_SITES:
                hit = "*"
            elif len(inner) == 2 and inner[0] in ("sites", "vault") and path.suffix == ".yml":
                uai = path.stem.upper()
                if uai in known_set:
                    hit = uai
        if hit is None:
            continue
        everything = everything or hit == "*"
        reasons.setdefault(hit, []).append(raw)
    sites = sorted(known) if everything else sorted(s for s in reasons if s != "*")
    return Affected(sites=sites, reasons=reasons, all_sites=everything)


def sites_changed_since(ref: str, cwd: Path, registry_root: Path, known: list[str]) -> Affected:
    paths, top = changed_files(ref, cwd)
    try:
        registry_dir = registry_root.resolve().relative_to(top.resolve()).as_posix()
    except ValueError as exc:
        raise BadInput(f"registry {registry_root} is outside the git repository {top}") from exc
    return affected_sites(paths, registry_dir, known)
