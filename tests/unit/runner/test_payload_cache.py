"""The module payload cache shared by site runs (plugins/callback/fleet_ansiballz_cache.py):
ansible-playbook itself, twice, with the callback enabled the way a site run enables it — the
payload Ansible built in the first run is in the shared directory after the run's own temporary
directory is gone, and the second run uses it; a changed module gets another directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from fleet.runner.prepare import payload_cache_key, payload_cache_settings

PROJECT = Path(__file__).resolve().parents[3]
PLAYBOOK = Path(sys.executable).with_name("ansible-playbook")


def project(tmp_path: Path, module_text: str) -> Path:
    root = tmp_path / "proj"
    (root / "plugins/modules").mkdir(parents=True, exist_ok=True)
    (root / "plugins/module_utils").mkdir(parents=True, exist_ok=True)
    (root / "plugins/callback").mkdir(parents=True, exist_ok=True)
    (root / "plugins/modules/fleet_probe.py").write_text(module_text)
    callback = PROJECT / "plugins/callback/fleet_ansiballz_cache.py"
    (root / "plugins/callback" / callback.name).write_text(callback.read_text())
    play = [{"hosts": "localhost", "gather_facts": False,
             "tasks": [{"name": "probe", "fleet_probe": {}}]}]  # fmt: skip
    (root / "play.yml").write_text(yaml.safe_dump(play))
    return root


MODULE = """#!/usr/bin/python
from ansible.module_utils.basic import AnsibleModule

def main():
    module = AnsibleModule(argument_spec={}, supports_check_mode=True)
    module.exit_json(changed=False, said=%r)

if __name__ == "__main__":
    main()
"""


def run(root: Path, tmp_path: Path, settings: dict[str, str]) -> subprocess.CompletedProcess:
    env = dict(os.environ, ANSIBLE_LIBRARY="plugins/modules", ANSIBLE_HOME=str(tmp_path / "home"),
               ANSIBLE_LOCAL_TEMP=str(tmp_path / "local-tmp"), ANSIBLE_NOCOLOR="1",
               **settings)  # fmt: skip
    return subprocess.run([str(PLAYBOOK), "-i", "localhost,", "-c", "local", "-e",
                           f"ansible_python_interpreter={sys.executable}", "play.yml", "-v"],
                          cwd=root, env=env, capture_output=True, text=True, timeout=120,
                          check=False)  # fmt: skip


def test_site_runs_share_module_payloads_and_a_changed_module_gets_new_ones(tmp_path):
    root = project(tmp_path, MODULE % "first")
    settings = payload_cache_settings(root)
    shared = Path(settings["FLEET_ANSIBALLZ_CACHE"])
    assert shared.parent == root / ".fleet/cache/ansiballz"
    assert settings["ANSIBLE_CALLBACKS_ENABLED"] == "fleet_ansiballz_cache"

    first = run(root, tmp_path, settings)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "'said': 'first'" in first.stdout or '"said": "first"' in first.stdout
    cached = shared / "ansible.legacy.fleet_probe-ZIP_DEFLATED-none"
    assert cached.is_file()  # kept: the run's own temporary directory is gone
    assert list((tmp_path / "local-tmp").iterdir()) == []
    built = cached.stat().st_mtime_ns

    second = run(root, tmp_path, settings)
    assert second.returncode == 0, second.stdout + second.stderr
    assert cached.stat().st_mtime_ns == built  # used, not built again

    # the module changes: another key, another directory, the new module's payload
    (root / "plugins/modules/fleet_probe.py").write_text(MODULE % "second")
    payload_cache_key.cache_clear()
    changed = payload_cache_settings(root)
    assert changed["FLEET_ANSIBALLZ_CACHE"] != settings["FLEET_ANSIBALLZ_CACHE"]
    third = run(root, tmp_path, changed)
    assert "'said': 'second'" in third.stdout or '"said": "second"' in third.stdout


def test_without_the_variable_the_callback_does_nothing(tmp_path):
    root = project(tmp_path, MODULE % "plain")
    settings = payload_cache_settings(root)
    del settings["FLEET_ANSIBALLZ_CACHE"]
    done = run(root, tmp_path, settings)
    assert done.returncode == 0, done.stdout + done.stderr
    assert not (root / ".fleet").exists()


def test_a_project_without_the_callback_gets_no_settings(tmp_path):
    root = tmp_path / "bare"
    (root / "plugins/modules").mkdir(parents=True)
    assert payload_cache_settings(root) == {}
