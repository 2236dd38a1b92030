# ruff: noqa: E402  (Ansible plugins: documentation strings come before the imports)
"""Share Ansible's module payload cache between fleet's site runs (see DOCUMENTATION)."""

from __future__ import annotations

DOCUMENTATION = r"""
name: fleet_ansiballz_cache
type: aggregate
short_description: One module payload cache for every site run of a fleet command
description:
  - Before each task, Ansible builds the module's payload (AnsiballZ). It parses the module and
    every module_utils it imports to find what to ship, then caches the result in its own
    per-process temporary directory, which is deleted when the run ends. A fleet-wide drift
    starts one ansible-playbook per site, so every site paid that parse again for every module
    (measured as a quarter of a site run's CPU).
  - This callback, loaded in the controller before any worker starts, links that cache
    directory to C(FLEET_ANSIBALLZ_CACHE), a directory fleet names after a hash of the
    project's modules, module_utils and the Ansible version (a changed module gets a new
    directory, never a stale payload). Without that variable it does nothing.
  - Ansible's own lock and write-then-rename keep concurrent site runs safe.
requirements:
  - the FLEET_ANSIBALLZ_CACHE environment variable (set by fleet's runner)
"""

import os

from ansible import constants as C
from ansible.plugins.callback import CallbackBase


def share(shared: str, local_tmp: str) -> bool:
    """Link `<local_tmp>/ansiballz_cache` to `shared`; False when it already exists."""
    os.makedirs(shared, mode=0o700, exist_ok=True)
    link = os.path.join(local_tmp, "ansiballz_cache")
    if os.path.lexists(link):
        return False
    os.symlink(shared, link)
    return True


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "fleet_ansiballz_cache"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        shared = os.environ.get("FLEET_ANSIBALLZ_CACHE")
        if shared:
            try:
                share(shared, C.DEFAULT_LOCAL_TMP)
            except OSError as exc:  # the run goes on, building payloads as Ansible does
                self._display.warning(f"fleet_ansiballz_cache: {shared}: {exc}")
