"""Controller-side modules run inside Ansible's worker process (plugins/action/fleet_in_worker.py,
warmed by plugins/callback/fleet_warm_modules.py): ansible-playbook itself, once in-worker and
once with FLEET_IN_WORKER=0 (a module process per task, as Ansible does) — the same results,
check mode, diff, no_log masking and failures either way; a task with an environment of its own
runs as a process; the warm-up imports the module before the workers fork."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from fleet.runner.prepare import payload_cache_settings

PROJECT = Path(__file__).resolve().parents[3]
PLAYBOOK = Path(sys.executable).with_name("ansible-playbook")
SECRET = "s3cr3t-value-7f"

MODULE = """#!/usr/bin/python
import os
import sys

WARM = "ansible.module_utils.fleet_probe_words" in sys.modules  # imported before this run?

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.fleet_probe_words import WORD


def main():
    module = AnsibleModule(
        argument_spec={"secret": {"type": "str", "no_log": True}, "fail": {"type": "str"},
                       "env": {"type": "str"}},
        supports_check_mode=True)
    p = module.params
    if p["fail"] == "fail_json":
        module.fail_json(msg="told to fail")
    if p["fail"] == "raise":
        raise RuntimeError("the probe broke")
    module.exit_json(
        changed=not module.check_mode, word=WORD, said="the secret is %s" % (p["secret"] or "-"),
        env=os.environ.get(p["env"]) if p["env"] else None,
        in_worker="ansible.executor.task_executor" in sys.modules,
        warm=WARM,
        diff={"before": "old\\n", "after": "new\\n"})


if __name__ == "__main__":
    main()
"""

TASKS = [
    {"name": "plain", "fleet_probe": {"secret": SECRET}, "register": "plain"},
    {"name": "check", "fleet_probe": {}, "check_mode": True, "register": "check"},
    {"name": "env", "fleet_probe": {"env": "FLEET_PROBE"}, "environment": {"FLEET_PROBE": "set"},
     "register": "env"},
    {"name": "fail", "fleet_probe": {"fail": "fail_json"}, "ignore_errors": True, "register": "fail"},
    {"name": "raise", "fleet_probe": {"fail": "raise"}, "ignore_errors": True, "register": "raised"},
    {"name": "save", "ansible.builtin.copy": {
        "content": "{{ {'plain': plain, 'check': check, 'env': env, 'fail': fail,"
                   " 'raised': raised} | to_json }}",
        "dest": "{{ out }}"}},
]  # fmt: skip


def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    for folder in ("modules", "module_utils", "action", "callback"):
        (root / "plugins" / folder).mkdir(parents=True)
    (root / "plugins/modules/fleet_probe.py").write_text(MODULE)
    (root / "plugins/module_utils/fleet_probe_words.py").write_text('WORD = "from module_utils"\n')
    for folder, name in (("action", "fleet_in_worker.py"), ("callback", "fleet_warm_modules.py"),
                         ("callback", "fleet_ansiballz_cache.py")):  # fmt: skip
        source = PROJECT / "plugins" / folder / name
        (root / "plugins" / folder / name).write_text(source.read_text())
    # as in plugins/action: the module's action plugin is a symlink to the shared file
    (root / "plugins/action/fleet_probe.py").symlink_to("fleet_in_worker.py")
    play = [{"hosts": "localhost", "gather_facts": False, "tasks": TASKS}]
    (root / "play.yml").write_text(yaml.safe_dump(play, sort_keys=False))
    return root


def run(root: Path, tmp_path: Path, name: str, **env: str) -> tuple[dict, str]:
    out = tmp_path / f"{name}.json"
    settings = payload_cache_settings(root)
    full = dict(os.environ, ANSIBLE_LIBRARY="plugins/modules", ANSIBLE_MODULE_UTILS="plugins/module_utils",
                ANSIBLE_ACTION_PLUGINS="plugins/action", ANSIBLE_HOME=str(tmp_path / "home"),
                ANSIBLE_LOCAL_TEMP=str(tmp_path / "local-tmp"), ANSIBLE_NOCOLOR="1",
                **settings, **env)  # fmt: skip
    done = subprocess.run([str(PLAYBOOK), "-i", "localhost,", "-c", "local", "--diff", "-e",
                           f"ansible_python_interpreter={sys.executable}", "-e", f"out={out}",
                           "play.yml"],
                          cwd=root, env=full, capture_output=True, text=True, timeout=180,
                          check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(out.read_text()), done.stdout + done.stderr


def comparable(result: dict) -> dict:
    drop = {"in_worker", "warm", "exception", "module_stderr", "module_stdout", "msg", "rc"}
    return {k: v for k, v in result.items() if k not in drop}


def test_in_worker_results_equal_a_module_process_and_fall_back_where_they_must(tmp_path):
    root = project(tmp_path)
    here, here_out = run(root, tmp_path, "in-worker")
    apart, apart_out = run(root, tmp_path, "process", FLEET_IN_WORKER="0")

    assert here["plain"]["in_worker"] and here["plain"]["warm"]  # warmed before the fork
    assert here["check"]["in_worker"]
    # a task with an environment of its own runs as a module process
    assert not here["env"]["in_worker"] and here["env"]["env"] == "set"
    assert not any(apart[t].get("in_worker") for t in ("plain", "check", "env"))

    for task in ("plain", "check", "env", "fail"):
        assert comparable(here[task]) == comparable(apart[task]), task
    assert here["plain"]["word"] == "from module_utils"
    assert here["plain"]["changed"] and not here["check"]["changed"]
    assert "-old" in here_out and "+new" in here_out  # the diff reached the terminal
    assert here["plain"]["said"] == "the secret is ********"
    assert SECRET not in here_out and SECRET not in apart_out
    assert SECRET not in json.dumps(here) + json.dumps(apart)

    assert here["fail"]["failed"] and here["fail"]["msg"] == apart["fail"]["msg"] == "told to fail"
    for raised in (here["raised"], apart["raised"]):
        assert raised["failed"]
        assert "the probe broke" in json.dumps(raised)


def test_without_the_switch_nothing_is_warmed(tmp_path):
    root = project(tmp_path)
    apart, _ = run(root, tmp_path, "process", FLEET_IN_WORKER="0")
    assert not apart["plain"]["warm"]
