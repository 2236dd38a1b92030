"""RunSpec arguments and the private_data_dir layout."""

from __future__ import annotations

import shlex
import stat
import sys
from pathlib import Path

import pytest
import yaml

from fleet.errors import BadInput
from fleet.inventory import SiteInventory
from fleet.runner.prepare import prepare_site_dir, read_vault_password
from fleet.runner.spec import RunSpec

SITE = SiteInventory(
    uai="X",
    files={
        "region.yml": '{"all": {"vars": {"dns_suffix": "ex"}}}\n',
        "site_x.yml": '{"all": {"children": {"samba_dc": {"hosts": {"dc1.x": {"a": 1}}}}}}\n',
    },
    hosts=["dc1.x", "pve1.x"],
    groups={"samba_dc": ["dc1.x"], "proxmox_nodes": ["pve1.x"]},
)


def test_check_mode_adds_check_and_diff_and_options_are_separate_arguments():
    spec = RunSpec(mode="check", limit="dc1.x", tags=("a", "b"), skip_tags=("c; rm -rf /",))
    args = spec.cmdline_args("../env/vault_password")
    assert args == [
        "--check",
        "--diff",
        "--limit",
        "dc1.x",
        "--tags",
        "a,b",
        "--skip-tags",
        "c; rm -rf /",
        "--vault-password-file",
        "../env/vault_password",
    ]
    # what ansible-runner reads back (shlex.split of env/cmdline) is the same list
    assert shlex.split(spec.cmdline("../env/vault_password")) == args


def test_apply_mode_has_no_check_flag():
    assert RunSpec().cmdline_args() == []
    assert RunSpec(diff=True).cmdline_args() == ["--diff"]


def test_bad_mode_is_refused():
    with pytest.raises(ValueError, match="mode"):
        RunSpec(mode="yolo")


@pytest.mark.parametrize("playbook", ["/etc/passwd.yml", "../elsewhere/site.yml"])
def test_a_playbook_outside_the_project_is_refused(playbook):
    with pytest.raises(BadInput, match="inside the project"):
        RunSpec(playbook=playbook)


def test_component_playbooks_come_from_the_table_and_unknown_ones_are_refused():
    assert RunSpec.build("deploy", component="samba_ad").playbook == "playbooks/samba_ad.yml"
    assert RunSpec.build("drift").playbook == "playbooks/site.yml"
    with pytest.raises(BadInput, match="unknown component 'guests'"):
        RunSpec.build("deploy", component="guests")


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "proj"
    (root / "playbooks").mkdir(parents=True)
    (root / "playbooks" / "site.yml").write_text("---\n- hosts: all\n  tasks: []\n")
    (root / "roles").mkdir()
    (root / "ansible.cfg").write_text("[defaults]\nroles_path = roles:vendor_roles\n")
    (root / "vendor_roles").mkdir()
    return root


def test_private_data_dir_layout(tmp_path, project):
    password = tmp_path / "pw"
    password.write_text("s3cret-pass\n")
    vault = tmp_path / "vault.yml"
    vault.write_text("$ANSIBLE_VAULT;1.1;AES256\n3132\n")
    spec = RunSpec(mode="check", extra_vars={"k": "v"})
    site_dir = prepare_site_dir(
        spec,
        SITE,
        tmp_path / "run" / "X",
        project,
        "r1",
        facts_dir=tmp_path / "facts",
        vault_file=vault,
        vault_password=read_vault_password(password),
    )
    path = site_dir.path
    assert site_dir.hosts == ["dc1.x", "pve1.x"]
    for name, text in SITE.files.items():  # the generated files, byte for byte
        assert (path / "inventory" / name).read_text() == text
    assert (path / "inventory/group_vars/all/vault.yml").read_text() == vault.read_text()
    env = yaml.safe_load((path / "env" / "envvars").read_text())
    assert env["ANSIBLE_FORKS"] == "2"  # sized to the site's hosts
    assert env["ANSIBLE_PIPELINING"] == "True"
    assert "ControlPersist" in env["ANSIBLE_SSH_ARGS"]
    assert env["ANSIBLE_CACHE_PLUGIN"] == "jsonfile"
    assert env["ANSIBLE_CACHE_PLUGIN_CONNECTION"] == str((tmp_path / "facts").resolve())
    assert env["ANSIBLE_ROLES_PATH"] == "roles:vendor_roles"  # from the project's ansible.cfg
    assert env["ANSIBLE_LIBRARY"] == "plugins/modules"
    assert env["ANSIBLE_HOST_KEY_CHECKING"] == "True"
    extra = yaml.safe_load((path / "env" / "extravars").read_text())
    vault = str((tmp_path / "vault.yml").resolve())  # named for roles that keep a secret
    assert extra == {"k": "v", "fleet_site": "X", "fleet_run_id": "r1", "fleet_mode": "check",
                     "fleet_vault_file": vault}  # fmt: skip
    assert shlex.split((path / "env" / "cmdline").read_text()) == [
        "--check",
        "--diff",
        "--vault-password-file",
        "../env/vault_password",
    ]
    secret = path / "env" / "vault_password"
    assert secret.read_text() == "s3cret-pass\n"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    # a site.yml of the project's own (not the table's): used as it is
    assert (path / "project" / "playbooks").resolve() == (project / "playbooks").resolve()
    assert (path / "project" / "vendor_roles").is_symlink()
    site_dir.remove_secrets()
    assert not secret.exists()
    # the run's SSH control sockets: a directory of its own, short enough for a socket path
    control = Path(env["ANSIBLE_SSH_CONTROL_PATH_DIR"])
    assert control == site_dir.ssh_control_dir and control.is_dir()
    assert stat.S_IMODE(control.stat().st_mode) == 0o700
    assert len(str(control)) + 1 + 40 < 100  # + "/" + ssh's %C hash, under sun_path's 108
    (control / "stale-socket").touch()  # `ssh -O exit` on a non-socket fails: still removed
    site_dir.end_ssh_masters()
    assert not control.exists()


def plays(path: Path) -> list[str]:
    return [p["ansible.builtin.import_playbook"] for p in yaml.safe_load(path.read_text())]


@pytest.mark.parametrize("bundle", [False, True])
def test_a_site_run_imports_only_the_components_the_site_has_hosts_for(tmp_path, project,
                                                                       bundle):  # fmt: skip
    from fleet import components

    (project / "playbooks" / "site.yml").write_text(components.render_site_yml())
    for component in components.table():
        (project / component.playbook).write_text(f"# {component.name}\n")
    site_dir = prepare_site_dir(RunSpec(mode="check"), SITE, tmp_path / "X", project, "r1",
                                bundle=bundle)  # fmt: skip
    run_site = site_dir.path / "project" / "playbooks" / "site.yml"
    assert not run_site.is_symlink()
    assert plays(run_site) == ["proxmox.yml", "samba_ad.yml"]  # deploy order, hosts present
    assert "one site run" in run_site.read_text()
    assert (project / "playbooks" / "site.yml").read_text() == components.render_site_yml()
    for component in components.table():  # every component playbook is there to import
        linked = site_dir.path / "project" / component.playbook
        assert linked.read_text() == f"# {component.name}\n"
        assert linked.is_symlink() is not bundle

    # a component's own playbook, or a site with a host for every component: the project's file
    own = prepare_site_dir(RunSpec.build("drift", component="base"), SITE, tmp_path / "Y",
                           project, "r1")  # fmt: skip
    assert (own.path / "project" / "playbooks").is_symlink()
    full = SiteInventory(uai="X", files=SITE.files, hosts=SITE.hosts,
                         groups={c.group: ["h"] for c in components.table()})  # fmt: skip
    every = prepare_site_dir(RunSpec(), full, tmp_path / "Z", project, "r1")
    assert (every.path / "project" / "playbooks").is_symlink()
    nothing = SiteInventory(uai="X", files=SITE.files, hosts=[], groups={})
    empty = prepare_site_dir(RunSpec(), nothing, tmp_path / "W", project, "r1")
    assert (empty.path / "project" / "playbooks").is_symlink()  # never an empty playbook


def test_bundle_copies_the_project(tmp_path, project):
    site_dir = prepare_site_dir(RunSpec(), SITE, tmp_path / "X", project, "r1", bundle=True)
    playbooks = site_dir.path / "project" / "playbooks"
    assert playbooks.is_dir() and not playbooks.is_symlink()
    assert (playbooks / "site.yml").is_file()


def test_executable_vault_password_file_is_run(tmp_path, project):
    script = tmp_path / "pw.sh"
    script.write_text(f"#!{sys.executable}\nprint('from-a-script')\n")
    script.chmod(0o700)
    assert read_vault_password(script) == b"from-a-script\n"


def test_a_missing_or_failing_vault_password_source_is_bad_input(tmp_path):
    with pytest.raises(BadInput, match="does not exist"):
        read_vault_password(tmp_path / "absent")
    script = tmp_path / "fails.sh"
    script.write_text("#!/bin/sh\nexit 3\n")
    script.chmod(0o700)
    with pytest.raises(BadInput, match="exited with 3"):
        read_vault_password(script)


@pytest.mark.parametrize(
    ("command", "check", "flag", "expected"),
    [
        ("deploy", False, True, True),
        ("deploy", False, False, False),
        ("deploy", True, True, False),  # deploy --check never destroys
        ("drift", False, True, False),
        ("plan", False, True, False),
    ],
)
def test_allow_destroy_reaches_the_playbook_only_on_a_real_deploy(command, check, flag, expected):
    spec = RunSpec.build(command, check=check, allow_destroy=flag, extra_vars={"a": "1"})
    assert spec.extra_vars == {"a": "1", "fleet_allow_destroy": expected}


def test_fleet_allow_destroy_cannot_come_in_through_extra_vars():
    with pytest.raises(BadInput, match="--allow-destroy"):
        RunSpec.build("deploy", extra_vars={"fleet_allow_destroy": "true"})


def test_accelerate_points_ansible_at_the_mitogen_strategy(tmp_path, project):
    site_dir = prepare_site_dir(RunSpec(accelerate=True), SITE, tmp_path / "X", project, "r1")
    env = yaml.safe_load((site_dir.path / "env" / "envvars").read_text())
    assert env["ANSIBLE_STRATEGY"] == "mitogen_linear"
    assert (Path(env["ANSIBLE_STRATEGY_PLUGINS"]) / "mitogen_linear.py").is_file()
    plain = prepare_site_dir(RunSpec(), SITE, tmp_path / "Y", project, "r1")
    assert "ANSIBLE_STRATEGY" not in yaml.safe_load((plain.path / "env" / "envvars").read_text())


def test_accelerate_without_mitogen_is_bad_input(tmp_path, project, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "ansible_mitogen" else real(name, *a),
    )
    with pytest.raises(BadInput, match=r"fleet\[accelerate\]"):
        prepare_site_dir(RunSpec(accelerate=True), SITE, tmp_path / "X", project, "r1")
