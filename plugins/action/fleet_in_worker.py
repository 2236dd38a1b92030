# ruff: noqa: E402  (Ansible plugins: documentation strings come before the imports)
"""Run a controller-side fleet module inside Ansible's worker process (see the docstring of
ActionModule). plugins/action/<module>.py are symlinks to this file, one per module that runs
on the controller (the API and switch modules)."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import os
import runpy
import sys
import traceback

from ansible import constants as C
from ansible.module_utils.common.json import Direction, get_module_encoder
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display
from ansible.vars.clean import remove_internal_keys

display = Display()

# The profile Ansible gives a module that declares no metadata (all of fleet's modules).
PROFILE = "legacy"
SWITCH = "FLEET_IN_WORKER"  # "0" runs every module as its own Python process, as Ansible does
LOCAL = ("local", "ansible.builtin.local")
# What the engines import lazily (inside the function that needs it, so that fleet's CLI never
# pays for it): imported with the module when warming, by module name prefix.
LIBRARIES = {
    "fleet_opnsense_": ("requests", "dulwich.porcelain"),
    "fleet_opsi_": ("requests",),
    "fleet_proxmox_": ("proxmoxer", "proxmoxer.backends.https", "requests"),
    "fleet_switch_": (
        "netmiko",
        "hier_config",
        "hier_config.models",
        "jinja2",
        "dulwich.porcelain",
    ),
}
_warm: set[str] = set()


def module_utils_importable() -> None:
    """Let `ansible.module_utils.fleet_*` resolve in the controller: the configured
    module_utils directories after Ansible's own package (Ansible's names always win)."""
    import ansible.module_utils as package

    for folder in C.DEFAULT_MODULE_UTILS_PATH or []:
        folder = os.path.realpath(folder)
        if os.path.isdir(folder) and folder not in package.__path__:
            package.__path__.append(folder)


@contextlib.contextmanager
def quiet_stdin():
    """The worker's stdin is Ansible's (non-blocking); a module process's is a pipe at its end.
    Commands the module starts (ansible-vault) inherit /dev/null instead, as they would there."""
    saved, null = os.dup(0), os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    try:
        yield
    finally:
        os.dup2(saved, 0)
        os.close(saved)
        os.close(null)


def module_path(loader, name: str) -> str | None:
    found = loader.find_plugin_with_context(name)
    return found.plugin_resolved_path if found.resolved else None


def warm(loader, name: str) -> bool:
    """Import module `name` (without running it) in this process, so that the workers Ansible
    forks from it find requests, netmiko and fleet's engines already imported. Called by
    plugins/callback/fleet_ansiballz_cache.py before a task's workers start."""
    if name in _warm or os.environ.get(SWITCH) == "0":
        return False
    _warm.add(name)
    path = module_path(loader, name)
    if path is None:
        return False
    module_utils_importable()
    spec = importlib.util.spec_from_file_location(f"_fleet_warm_{name}", path)
    try:
        spec.loader.exec_module(importlib.util.module_from_spec(spec))
        for prefix, libraries in LIBRARIES.items():
            for library in libraries if name.startswith(prefix) else ():
                importlib.import_module(library)
    except Exception as exc:  # the worker will report it when it runs the module
        display.vvv(f"fleet_in_worker: warming {name}: {exc}")
        return False
    return True


class ActionModule(ActionBase):
    """A module of a host reached with the local connection and fleet's own Python runs in
    the worker process Ansible forked for the task, instead of a new Python that unpacks the
    module's payload and imports Ansible's module_utils, requests and netmiko again (0.6–1.5 CPU
    seconds per task, two thirds of an API-only site's drift). Same module file, same
    arguments (Ansible's own `_ansible_*` ones included), same result parsing. Anything else —
    another connection, become, async, a task environment, another interpreter, or
    FLEET_IN_WORKER=0 — runs the module the usual way."""

    _requires_connection = True

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        name = self._task.action
        path = module_path(self._shared_loader_obj.module_loader, name)
        if path is None or not self._in_worker(task_vars):
            result.update(self._execute_module(module_name=name, task_vars=task_vars))
            return result
        args = dict(self._task.args)
        self._update_module_args(name, args, task_vars)
        self._used_interpreter = sys.executable
        result.update(self._run_here(path, args))
        return result

    def _in_worker(self, task_vars) -> bool:
        if os.environ.get(SWITCH) == "0" or self._task.async_val or self._play_context.become:
            return False
        if self._connection.transport not in LOCAL:
            return False
        if any(entry != {} for entry in self._task.environment or []):  # set by a play or task
            return False
        interpreter = task_vars.get("ansible_python_interpreter")
        if interpreter is None:
            return False
        interpreter = self._templar.template(interpreter)
        return os.path.realpath(str(interpreter)) == os.path.realpath(sys.executable)

    def _run_here(self, path: str, args: dict) -> dict:
        from ansible.module_utils import basic

        module_utils_importable()
        encoder = get_module_encoder(PROFILE, Direction.CONTROLLER_TO_MODULE)
        basic._ANSIBLE_ARGS = json.dumps({"ANSIBLE_MODULE_ARGS": args}, cls=encoder).encode()
        basic._ANSIBLE_PROFILE = PROFILE
        out, err = io.StringIO(), io.StringIO()
        # stderr too: a module process's stderr is Ansible's only when the module fails, and
        # a library's chatter (paramiko's "Socket exception") must not reach the terminal
        with quiet_stdin(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                runpy.run_path(path, run_name="__main__")
                print(json.dumps({"failed": True, "msg": f"{path} did not exit"}))
            except SystemExit:
                pass
            except Exception as exc:  # what a module process's crash would report
                failure = {
                    "failed": True,
                    "msg": f"MODULE FAILURE: {type(exc).__name__}: {exc}",
                    "module_stderr": traceback.format_exc(),
                }
                print(json.dumps(failure))
        data = self._parse_returned_data(
            {"stdout": out.getvalue(), "stderr": err.getvalue()}, PROFILE
        )
        if data.get("failed") and err.getvalue() and "module_stderr" not in data:
            data["module_stderr"] = err.getvalue()
        remove_internal_keys(data)
        return data
