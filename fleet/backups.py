"""Device configuration backups in a local git repository: one file per device, a commit per
change, so `git log -p` shows every change of a firewall or a switch — made by fleet or by hand
(the Oxidized habit, inside fleet).

Layout: `<repo>/<UAI>/<device>` (e.g. `0450050K/fw1.xml`, `0450050K/sw-core.cfg`); the
repository is `.fleet/backups` unless FLEET_BACKUP_DIR says otherwise. The module that reads a
device's configuration stores it (`fleet_opnsense_config`, `fleet_switch_config` in
plugins/modules/), calling `store` here through module_utils; several site runs commit at once,
so a file lock serialises them.
Callers mask secrets before storing: this module writes what it is given.

Standard library and dulwich only (the module runs under Ansible).
"""

from __future__ import annotations

import difflib
import fcntl
import os
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

AUTHOR = b"fleet <fleet@localhost>"
LOCK = "lock"


@contextmanager
def _locked(repo_dir: Path):
    """One writer at a time (parallel site runs); the lock file sits beside the repository."""
    repo_dir.mkdir(parents=True, exist_ok=True)
    with open(repo_dir.parent / f".{repo_dir.name}.{LOCK}", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _repo(repo_dir: Path):
    from dulwich.repo import Repo

    if (repo_dir / ".git").is_dir():
        return Repo(str(repo_dir))
    return Repo.init(str(repo_dir), mkdir=not repo_dir.exists())


def _relative(site: str, device: str) -> str:
    for part in (site, device):
        if not part or "/" in part or part.startswith("."):
            raise ValueError(f"not a plain file name: {part!r}")
    return f"{site}/{device}"


def store(repo_dir: Path, site: str, device: str, content: str, message: str) -> str | None:
    """Write `<site>/<device>` and commit it when it changed; the new commit's id, or None
    when the stored configuration is already this one."""
    from dulwich import porcelain

    repo_dir = Path(repo_dir)
    relative = _relative(site, device)
    with _locked(repo_dir):
        repo = _repo(repo_dir)
        path = repo_dir / relative
        if path.is_file() and path.read_text(encoding="utf-8") == content:
            return None
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(content)
        os.replace(tmp, path)
        porcelain.add(repo, [str(path)])
        commit = porcelain.commit(repo, message=message.encode(), author=AUTHOR, committer=AUTHOR)
        return commit.decode()


@dataclass
class Change:
    commit: str
    when: str  # ISO 8601, UTC
    message: str
    paths: list[str] = field(default_factory=list)
    diff: str = ""


def _blob(repo, tree_id: bytes, relative: str) -> str:
    from dulwich.object_store import tree_lookup_path

    try:
        _, sha = tree_lookup_path(repo.__getitem__, tree_id, relative.encode())
    except KeyError:
        return ""
    return repo[sha].data.decode("utf-8", "replace")


def history(repo_dir: Path, site: str | None = None, device: str | None = None) -> list[Change]:
    """Changes of one device, one site's devices, or everything, newest first, each with its
    unified diff."""
    repo_dir = Path(repo_dir)
    if not (repo_dir / ".git").is_dir():
        return []
    repo = _repo(repo_dir)
    try:
        head = repo.head()
    except KeyError:
        return []
    prefix = _relative(site, device) if site and device else (f"{site}/" if site else "")
    changes = []
    for entry in repo.get_walker(include=[head]):
        commit = entry.commit
        parent_tree = repo[commit.parents[0]].tree if commit.parents else None
        touched = sorted(
            {
                (c.new.path or c.old.path).decode()
                for c in entry.changes()
                if not isinstance(c, list) and (c.new.path or c.old.path)
            }
        )
        touched = [p for p in touched if p == prefix or p.startswith(prefix)] if prefix else touched
        if not touched:
            continue
        diff_lines = []
        for relative in touched:
            before = _blob(repo, parent_tree, relative) if parent_tree else ""
            after = _blob(repo, commit.tree, relative)
            diff_lines += difflib.unified_diff(
                before.splitlines(),
                after.splitlines(),
                f"a/{relative}",
                f"b/{relative}",
                lineterm="",
            )
        when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(commit.commit_time))
        changes.append(
            Change(
                commit=commit.id.decode(),
                when=when,
                message=commit.message.decode("utf-8", "replace").strip(),
                paths=touched,
                diff="\n".join(diff_lines),
            )
        )
    return changes
