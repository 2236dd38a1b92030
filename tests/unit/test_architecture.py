"""Architecture rules that import-linter does not cover: no module reaches into another fleet
module's private names (`from fleet.x import _name`, `x._name` on an imported fleet module)."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _ours(module: str | None, level: int) -> bool:
    return level > 0 or (module or "").split(".")[0] in ("fleet", "ansible")


def private_uses(path: Path) -> list[str]:
    """`line: what` for each use of another module's private name in `path`."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    modules: set[str] = set()  # local names bound to fleet modules
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and _ours(node.module, node.level):
            for alias in node.names:
                if _private(alias.name):
                    found.append(f"{node.lineno}: imports {alias.name}")
                else:
                    modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if _ours(alias.name, 0):
                    modules.add(alias.asname or alias.name.split(".")[0])
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and _private(node.attr)
            and isinstance(node.value, ast.Name)
            and node.value.id in modules
        ):
            found.append(f"{node.lineno}: uses {node.value.id}.{node.attr}")
    return found


# The one sanctioned exception: running a module in Ansible's worker sets the two globals that
# Ansible's own AnsiballZ loader (and its unit-test helper) set to hand a module its arguments.
ALLOWED = {
    "plugins/action/fleet_in_worker.py": {"uses basic._ANSIBLE_ARGS", "uses basic._ANSIBLE_PROFILE"}
}


def test_no_module_uses_another_modules_private_names():
    files = sorted((REPO / "fleet").rglob("*.py")) + sorted((REPO / "plugins").rglob("*.py"))
    files = [p for p in files if not p.is_symlink()]  # plugins/action/*: one file, many names
    found = [
        f"{p.relative_to(REPO)}:{use}"
        for p in files
        for use in private_uses(p)
        if use.split(": ", 1)[1] not in ALLOWED.get(str(p.relative_to(REPO)), ())
    ]
    assert found == []


def test_the_check_catches_both_forms_and_leaves_the_standard_library_alone(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import os\nfrom fleet.lab import procs\nfrom .firewall import _csv\n"
        "procs._loopback_port('x')\nos._exit(0)\n"
    )
    assert private_uses(sample) == ["3: imports _csv", "4: uses procs._loopback_port"]
