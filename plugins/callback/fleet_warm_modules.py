# ruff: noqa: E402  (Ansible plugins: documentation strings come before the imports)
"""Import the in-worker modules' dependencies once per site run (see DOCUMENTATION)."""

from __future__ import annotations

DOCUMENTATION = r"""
name: fleet_warm_modules
type: aggregate
short_description: Import a controller-side fleet module's libraries before its workers fork
description:
  - fleet's API and switch modules run inside the worker process Ansible forks for each task
    (plugins/action/fleet_in_worker.py). When a task of such a module starts, this callback
    imports the module file (not running it) in the controller, so that every worker forked for
    the task, and for later tasks of the same module, starts with requests, netmiko and fleet's
    engines already imported instead of importing them again.
  - Other tasks are left alone; FLEET_IN_WORKER=0 turns it off with the in-worker runs.
"""

import os
import sys

from ansible.plugins.callback import CallbackBase
from ansible.plugins.loader import action_loader, module_loader

IN_WORKER = "fleet_in_worker.py"


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "fleet_warm_modules"
    CALLBACK_NEEDS_ENABLED = True

    def v2_playbook_on_task_start(self, task, is_conditional):
        found = action_loader.find_plugin_with_context(task.action)
        if not found.resolved:
            return
        if os.path.basename(os.path.realpath(found.plugin_resolved_path)) != IN_WORKER:
            return
        # the action plugin (a symlink to the shared file) is loaded as its own module
        action = action_loader.get(task.action, class_only=True)
        sys.modules[action.__module__].warm(module_loader, task.action)
