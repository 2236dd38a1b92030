"""`--changed-since REF`: which sites a git change affects.

Registry paths are relative to the registry directory: a site file or its vault file → that
site; region.yml or the OPSI catalogue (opsi/) → every site; allocations.yml → the sites whose
allocation (hence address block) changed. Project paths are relative to the fleet project
(the directory of ansible.cfg, which may sit anywhere in the repository): roles/, playbooks/,
plugins/, templates/ (except templates/sites/, the skeletons of sites not yet created) and
ansible.cfg → every site. Anything else (docs, tests, fleet's own code) → no site.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import yaml

from fleet.errors import BadInput

PROJECT_ALL_SITES_DIRS = ("roles", "playbooks", "plugins", "templates")
PROJECT_NO_SITE_DIRS = ("templates/sites",)
PROJECT_ALL_SITES_FILES = ("ansible.cfg",)
REGISTRY_ALL_SITES = ("region.yml", "opsi")
ALLOCATIONS = "allocations.yml"


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


def reallocated(before: dict, after: dict) -> list[str]:
    """UAIs whose site index differs between two allocations.yml contents."""
    old, new = (before or {}).get("sites") or {}, (after or {}).get("sites") or {}
    return sorted(uai for uai in set(old) | set(new) if old.get(uai) != new.get(uai))


def affected_sites(
    paths: list[str],
    registry_dir: str,
    known: list[str],
    project_dir: str | None = ".",
    allocation_changes: list[str] | None = None,
) -> Affected:
    """Pure mapping of changed paths to sites. `registry_dir` and `project_dir` are relative to
    the repository top (`project_dir` None: the fleet project is not in this repository);
    `allocation_changes`: the UAIs whose allocation changed, if allocations.yml is among the
    paths."""
    registry = PurePosixPath(registry_dir)
    project = PurePosixPath(project_dir) if project_dir is not None else None
    known_set = set(known)
    reasons: dict[str, list[str]] = {}
    everything = False
    for raw in paths:
        path = PurePosixPath(raw)
        hits: list[str] = []
        if path.is_relative_to(registry):
            inner = path.relative_to(registry).parts
            if inner and inner[0] in REGISTRY_ALL_SITES:
                hits = ["*"]
            elif inner == (ALLOCATIONS,):
                hits = [s for s in allocation_changes or [] if s in known_set]
            elif len(inner) == 2 and inner[0] in ("sites", "vault") and path.suffix == ".yml":
                uai = path.stem.upper()
                if uai in known_set:
                    hits = [uai]
        elif project is not None and path.is_relative_to(project):
            inner_path = path.relative_to(project)
            inner = inner_path.as_posix()
            in_dir = inner_path.parts and inner_path.parts[0] in PROJECT_ALL_SITES_DIRS
            skipped = any(inner_path.is_relative_to(d) for d in PROJECT_NO_SITE_DIRS)
            if (in_dir and not skipped) or inner in PROJECT_ALL_SITES_FILES:
                hits = ["*"]
        for hit in hits:
            everything = everything or hit == "*"
            reasons.setdefault(hit, []).append(raw)
    sites = sorted(known) if everything else sorted(s for s in reasons if s != "*")
    return Affected(sites=sites, reasons=reasons, all_sites=everything)


def _relative(path: Path, top: Path, what: str) -> str:
    try:
        return path.resolve().relative_to(top.resolve()).as_posix()
    except ValueError as exc:
        raise BadInput(f"{what} {path} is outside the git repository {top}") from exc


def sites_changed_since(
    ref: str, registry_root: Path, known: list[str], project_root: Path | None = None
) -> Affected:
    """The registry's own repository decides (it may not be the fleet project's: an operator's
    registry repository, checked out by its CI pipeline); `project_root` counts too when it
    is inside that repository."""
    paths, top = changed_files(ref, Path(registry_root))
    registry_dir = _relative(registry_root, top, "registry")
    project = Path(project_root).resolve() if project_root is not None else None
    inside = project is not None and project.is_relative_to(top.resolve())
    project_dir = _relative(project, top, "project") if inside else None
    allocation_changes = None
    allocations = f"{registry_dir}/{ALLOCATIONS}" if registry_dir != "." else ALLOCATIONS
    if allocations in paths:
        before = (
            git(["show", f"{ref}:{allocations}"], top) if _exists(ref, allocations, top) else ""
        )
        now = (top / allocations).read_text() if (top / allocations).is_file() else ""
        allocation_changes = reallocated(yaml.safe_load(before), yaml.safe_load(now))
    return affected_sites(paths, registry_dir, known, project_dir, allocation_changes)


def _exists(ref: str, path: str, top: Path) -> bool:
    done = subprocess.run(
        ["git", "cat-file", "-e", f"{ref}:{path}"], cwd=top, capture_output=True, check=False
    )
    return done.returncode == 0
