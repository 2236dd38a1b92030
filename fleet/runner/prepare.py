"""The private_data_dir of one site run: a plain ansible-runner directory.

Layout under `.fleet/runs/<run-id>/<UAI>/`:

    inventory/region.yml, inventory/site_<uai>.yml
                                      the site's inventory: the same files `fleet inventory
                                      build` writes (fleet.inventory.site_files), freshly made
    inventory/group_vars/all/vault.yml  the site's vault file, still encrypted
    env/envvars  env/extravars  env/cmdline  env/settings
    env/vault_password                mode 0600, deleted after the run
    project/                          playbooks, roles, plugins… (symlinks, or copies to ship)
    artifacts/<ident>/                ansible-runner's output (events, stdout, status)

Being a plain ansible-runner directory is what lets `ansible-runner transmit` ship it to a
remote worker (docs/scale-out.md); `bundle=True` copies the project instead of linking it.
"""

from __future__ import annotations

import configparser
import functools
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from fleet import components
from fleet.components import SITE_PLAYBOOK
from fleet.errors import BadInput
from fleet.inventory import SiteInventory
from fleet.paths import Paths
from fleet.runner.spec import RunSpec

# Top-level project entries a run may need besides what ansible.cfg points at.
PROJECT_ENTRIES = ("playbooks", "roles", "plugins", "templates", "collections")
CFG_DEFAULTS = {
    "roles_path": "roles",
    "library": "plugins/modules",
    "module_utils": "plugins/module_utils",
}
CFG_ENV = {
    "roles_path": "ANSIBLE_ROLES_PATH",
    "library": "ANSIBLE_LIBRARY",
    "module_utils": "ANSIBLE_MODULE_UTILS",
    "collections_path": "ANSIBLE_COLLECTIONS_PATH",
    "filter_plugins": "ANSIBLE_FILTER_PLUGINS",
    "lookup_plugins": "ANSIBLE_LOOKUP_PLUGINS",
    "action_plugins": "ANSIBLE_ACTION_PLUGINS",
}
VAULT_PASSWORD = "env/vault_password"  # relative to the private data dir
MAX_FORKS = 50


@dataclass
class SiteDir:
    """A prepared private_data_dir."""

    path: Path
    playbook: str  # relative to path/project
    hosts: list[str]
    # Ansible's SSH ControlPersist sockets of this run: a short path of its own (a socket path
    # has ~100 bytes), so that the masters can be ended when the run ends
    ssh_control_dir: Path | None = None

    @property
    def vault_password(self) -> Path:
        return self.path / VAULT_PASSWORD

    def remove_secrets(self) -> None:
        """Delete the vault password copy (called after every run, whatever happened)."""
        self.vault_password.unlink(missing_ok=True)

    def end_ssh_masters(self) -> None:
        """End the run's SSH master connections (ControlPersist would keep each for a minute
        after ansible-playbook exits: a process outliving its run, which holds up whatever
        waits for the run's processes, e.g. a systemd unit) and remove their directory."""
        if self.ssh_control_dir is None or not self.ssh_control_dir.is_dir():
            return
        for socket_path in self.ssh_control_dir.iterdir():
            subprocess.run(
                ["ssh", "-o", f"ControlPath={socket_path}", "-O", "exit", "fleet-run-end"],
                capture_output=True,
                timeout=10,
                check=False,
            )
        shutil.rmtree(self.ssh_control_dir, ignore_errors=True)


def project_paths(project_root: Path) -> dict[str, str]:
    """roles_path/library/module_utils… from the project's ansible.cfg (relative paths)."""
    paths = dict(CFG_DEFAULTS)
    cfg = project_root / "ansible.cfg"
    if cfg.is_file():
        parser = configparser.ConfigParser(interpolation=None)
        parser.read(cfg)
        if parser.has_section("defaults"):
            for key in CFG_ENV:
                value = parser.get("defaults", key, fallback=None)
                if value:
                    paths[key] = value.strip()
    return paths


def _write(path: Path, text: str, mode: int = 0o600) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


def _dump(data: object) -> str:
    return yaml.safe_dump(data, sort_keys=True, default_flow_style=False)


def mitogen_settings() -> dict[str, str]:
    """The strategy plugin of mitogen (installed with `pip install 'fleet[accelerate]'`):
    tasks run through one persistent Python interpreter per host instead of a module upload
    and a new interpreter per task."""
    import importlib.util

    found = importlib.util.find_spec("ansible_mitogen")
    if found is None or not found.submodule_search_locations:
        raise BadInput("--accelerate needs mitogen: pip install 'fleet[accelerate]'")
    plugins = Path(next(iter(found.submodule_search_locations))) / "plugins" / "strategy"
    return {"ANSIBLE_STRATEGY_PLUGINS": str(plugins), "ANSIBLE_STRATEGY": "mitogen_linear"}


CALLBACK_DIR = "plugins/callback"
PAYLOAD_CACHE_CALLBACK = "fleet_ansiballz_cache"
WARM_CALLBACK = "fleet_warm_modules"  # with plugins/action/fleet_in_worker.py


@functools.lru_cache(maxsize=8)
def payload_cache_key(project_root: Path) -> str:
    """What Ansible's module payloads are made of: the project's modules and module_utils
    (names and bytes) and the Ansible and Python versions."""
    import ansible.release

    digest = hashlib.sha256(f"{ansible.release.__version__} {sys.version}".encode())
    for folder in ("plugins/modules", "plugins/module_utils"):
        for path in sorted((project_root / folder).rglob("*.py")):
            digest.update(str(path.relative_to(project_root)).encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def payload_cache_settings(project_root: Path) -> dict[str, str]:
    """Environment for plugins/callback/fleet_ansiballz_cache.py: every site run of every
    command shares one module payload cache per project state (docs/runner.md)."""
    if not (project_root / CALLBACK_DIR / f"{PAYLOAD_CACHE_CALLBACK}.py").is_file():
        return {}
    cache = Paths.at(project_root).state / "cache" / "ansiballz" / payload_cache_key(project_root)
    enabled = [PAYLOAD_CACHE_CALLBACK]
    if (project_root / CALLBACK_DIR / f"{WARM_CALLBACK}.py").is_file():
        enabled.append(WARM_CALLBACK)
    return {
        "ANSIBLE_CALLBACK_PLUGINS": CALLBACK_DIR,  # relative to project/, the run's cwd
        "ANSIBLE_CALLBACKS_ENABLED": ",".join(enabled),
        "FLEET_ANSIBALLZ_CACHE": str(cache),
    }


def read_vault_password(source: Path) -> bytes:
    """The vault password: the file's content, or an executable's output (as ansible does)."""
    if not source.is_file():
        raise BadInput(f"vault password file {source} does not exist")
    if os.access(source, os.X_OK):
        done = subprocess.run([str(source)], capture_output=True, check=False)
        if done.returncode != 0:
            raise BadInput(f"vault password script {source} exited with {done.returncode}")
        return done.stdout
    return source.read_bytes()


def _place(source: Path, target: Path, bundle: bool) -> None:
    if not bundle:
        target.symlink_to(source)
    elif source.is_dir():
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
    else:
        shutil.copy2(source, target)


def _site_yml_for(spec: RunSpec, inventory: SiteInventory, project_root: Path) -> str | None:
    """The site's own site.yml when the run is the table's site.yml and some implemented
    component has no host on this site (else None: the project's file as it is)."""
    if spec.playbook != SITE_PLAYBOOK or not components.site_yml_current(project_root):
        return None
    live = [c for c in components.table() if c.implemented]
    present = [c.name for c in live if inventory.groups.get(c.group)]
    if not present or len(present) == len(live):
        return None  # nothing to spare, or no play at all (an empty playbook is an error)
    return components.render_site_yml(only=present)


def prepare_site_dir(
    spec: RunSpec,
    inventory: SiteInventory,
    path: Path,
    project_root: Path,
    run_id: str,
    facts_dir: Path | None = None,
    vault_file: Path | None = None,
    vault_password: bytes | None = None,
    bundle: bool = False,
    backup_dir: Path | None = None,
) -> SiteDir:
    """Write the private_data_dir for one site; returns where everything is. The caller has
    checked the playbook and the vault password once for the whole run (fleet.deploy)."""
    project_root = project_root.resolve()
    site = inventory.uai
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    hosts = inventory.hosts
    for name, text in inventory.files.items():
        _write(path / "inventory" / name, text)
    if vault_file is not None and vault_file.is_file():
        target = path / "inventory" / "group_vars" / "all" / "vault.yml"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(vault_file, target)  # still encrypted

    project = path / "project"
    project.mkdir(exist_ok=True)
    paths = project_paths(project_root)
    entries = set(PROJECT_ENTRIES) | {Path(spec.playbook).parts[0]}
    for value in paths.values():
        for part in value.split(os.pathsep):
            if part and not os.path.isabs(part):
                entries.add(Path(part).parts[0])
    site_yml = _site_yml_for(spec, inventory, project_root)
    for entry in sorted(entries):
        source = project_root / entry
        target = project / entry
        if not source.exists() or target.exists() or target.is_symlink():
            continue
        if site_yml is not None and entry == Path(SITE_PLAYBOOK).parts[0]:
            # the playbooks directory entry by entry, with this site's own site.yml
            target.mkdir()
            for child in sorted(source.iterdir()):
                if child.name != Path(SITE_PLAYBOOK).name:
                    _place(child, target / child.name, bundle)
            _write(project / SITE_PLAYBOOK, site_yml)
            continue
        _place(source, target, bundle)

    envvars = {
        # Speed defaults (bench/bench_runner.py measures them).
        "ANSIBLE_PIPELINING": "True",
        "ANSIBLE_SSH_ARGS": "-C -o ControlMaster=auto -o ControlPersist=60s",
        "ANSIBLE_FORKS": str(max(1, min(len(hosts), MAX_FORKS))),
        "ANSIBLE_GATHERING": "smart",
        # DESIGN: SSH host keys are checked (ansible-runner would turn that off).
        "ANSIBLE_HOST_KEY_CHECKING": "True",
        "ANSIBLE_RETRY_FILES_ENABLED": "False",
        "ANSIBLE_NOCOLOR": "True",
        # Lets fleet find (and on Ctrl-C, kill) every process of this run.
        "FLEET_RUN_DIR": str(path.resolve()),
    }
    control_dir = Path(tempfile.mkdtemp(prefix="fleet-ssh-"))
    envvars["ANSIBLE_SSH_CONTROL_PATH_DIR"] = str(control_dir)
    if not bundle:  # a payload cache on this machine (a remote worker builds its own)
        envvars.update(payload_cache_settings(project_root))
    if spec.accelerate:
        envvars.update(mitogen_settings())
    if facts_dir is not None:
        envvars["ANSIBLE_CACHE_PLUGIN"] = "jsonfile"
        envvars["ANSIBLE_CACHE_PLUGIN_CONNECTION"] = str(facts_dir.resolve())
        envvars["ANSIBLE_CACHE_PLUGIN_TIMEOUT"] = "7200"
    for key, value in paths.items():
        # Relative to project/, which is the run's working directory.
        envvars[CFG_ENV[key]] = value
    _write(path / "env" / "envvars", _dump(envvars))

    extravars = dict(spec.extra_vars)
    extravars.update({"fleet_site": site, "fleet_run_id": run_id, "fleet_mode": spec.mode})
    if backup_dir is not None:  # where roles commit device configurations (fleet.backups)
        extravars["fleet_backup_dir"] = str(backup_dir.resolve())
    if vault_file is not None and vault_password is not None:
        # the site's vault in the registry, for a role that must keep a secret it was handed
        # (the Proxmox automation token: docs/proxmox.md); the password is env/vault_password
        extravars["fleet_vault_file"] = str(vault_file.resolve())
    _write(path / "env" / "extravars", _dump(extravars))

    password_arg = None
    if vault_password is not None:
        fd = os.open(path / VAULT_PASSWORD, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(vault_password)
        password_arg = os.path.join("..", VAULT_PASSWORD)  # from project/, the cwd
    _write(path / "env" / "cmdline", spec.cmdline(password_arg))
    # pexpect_timeout bounds how quickly a cancel request is noticed.
    _write(path / "env" / "settings", _dump({"pexpect_timeout": 1}))
    playbook = os.path.relpath(project_root / spec.playbook, project_root)
    return SiteDir(path=path, playbook=playbook, hosts=hosts, ssh_control_dir=control_dir)
