"""RunSpec arguments and the private_data_dir layout."""

from __future__ import annotations

import shlex
import stat
import sys

import pytest
import yaml

from fleet.errors import BadInput
from fleet.runner.prepare import prepare_site_dir, to_yaml_inventory
from fleet.runner.spec import RunSpec

LISTED = {
    "_meta": {"hostvars": {"dc1.x": {"ansible_connection": "local"}, "pve1.x": {"a": 1}}},
    "all": {"children": ["site_x", "ungrouped"], "vars": {"dns_suffix": "ex"}},
    "site_x": {"children": ["samba_dc", "proxmox_nodes"], "vars": {"realm": "X"}},
    "samba_dc": {"hosts": ["dc1.x"]},
    "proxmox_nodes": {"hosts": ["pve1.x"]},
    "ungrouped": {"hosts": []},
}


def test_check_mode_adds_check_and_diff_and_options_are_separate_arguments():
    spec = RunSpec(
        sites=("X",), mode="check", limit="dc1.x", tags=("a", "b"), skip_tags=("c; rm -rf /",)
    )
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
    assert RunSpec(sites=("X",)).cmdline_args() == []
    assert RunSpec(sites=("X",), diff=True).cmdline_args() == ["--diff"]


def test_bad_mode_is_refused():
    with pytest.raises(ValueError, match="mode"):
        RunSpec(sites=("X",), mode="yolo")


def test_list_inventory_becomes_equivalent_yaml_inventory():
    data = to_yaml_inventory(LISTED)["all"]
    assert data["hosts"]["dc1.x"] == {"ansible_connection": "local"}
    assert data["vars"] == {"dns_suffix": "ex"}
    assert data["children"]["site_x"]["vars"] == {"realm": "X"}
    assert set(data["children"]["site_x"]["children"]) == {"samba_dc", "proxmox_nodes"}
    assert list(data["children"]["samba_dc"]["hosts"]) == ["dc1.x"]


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
    spec = RunSpec(sites=("X",), mode="check", extra_vars={"k": "v"})
    site_dir = prepare_site_dir(
        spec,
        "X",
        LISTED,
        tmp_path / "run" / "X",
        project,
        "r1",
        facts_dir=tmp_path / "facts",
        vault_file=vault,
        vault_password_file=password,
    )
    path = site_dir.path
    assert site_dir.hosts == ["dc1.x", "pve1.x"]
    inventory = yaml.safe_load((path / "inventory" / "hosts.yml").read_text())
    assert "dc1.x" in inventory["all"]["hosts"]
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
    assert extra == {"k": "v", "fleet_site": "X", "fleet_run_id": "r1", "fleet_mode": "check"}
    assert shlex.split((path / "env" / "cmdline").read_text()) == [
        "--check",
        "--diff",
        "--vault-password-file",
        "../env/vault_password",
    ]
    secret = path / "env" / "vault_password"
    assert secret.read_text() == "s3cret-pass\n"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert (path / "project" / "playbooks").resolve() == (project / "playbooks").resolve()
    assert (path / "project" / "vendor_roles").is_symlink()
    site_dir.remove_secrets()
    assert not secret.exists()


def test_bundle_copies_the_project(tmp_path, project):
    site_dir = prepare_site_dir(
        RunSpec(sites=("X",)), "X", LISTED, tmp_path / "X", project, "r1", bundle=True
    )
    playbooks = site_dir.path / "project" / "playbooks"
    assert playbooks.is_dir() and not playbooks.is_symlink()
    assert (playbooks / "site.yml").is_file()


def test_missing_playbook_is_bad_input(tmp_path, project):
    spec = RunSpec(sites=("X",), playbook="playbooks/opsi.yml")
    with pytest.raises(BadInput, match="playbooks/opsi.yml not found"):
        prepare_site_dir(spec, "X", LISTED, tmp_path / "X", project, "r1")


def test_vault_file_without_password_is_bad_input(tmp_path, project):
    vault = tmp_path / "v.yml"
    vault.write_text("$ANSIBLE_VAULT;1.1;AES256\n")
    with pytest.raises(BadInput, match="FLEET_VAULT_PASSWORD_FILE"):
        prepare_site_dir(
            RunSpec(sites=("X",)), "X", LISTED, tmp_path / "X", project, "r1", vault_file=vault
        )


def test_executable_vault_password_file_is_run(tmp_path, project):
    script = tmp_path / "pw.sh"
    script.write_text(f"#!{sys.executable}\nprint('from-a-script')\n")
    script.chmod(0o700)
    site_dir = prepare_site_dir(
        RunSpec(sites=("X",)),
        "X",
        LISTED,
        tmp_path / "X",
        project,
        "r1",
        vault_password_file=script,
    )
    assert site_dir.vault_password.read_text() == "from-a-script\n"


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
    from fleet.runner.orchestrate import Request

    request = Request(command=command, check=check, allow_destroy=flag, extra_vars={"a": "1"})
    assert request.spec(["X"]).extra_vars == {"a": "1", "fleet_allow_destroy": expected}


def test_fleet_allow_destroy_cannot_come_in_through_extra_vars():
    from fleet.runner.orchestrate import Request

    with pytest.raises(BadInput, match="--allow-destroy"):
        Request(command="deploy", extra_vars={"fleet_allow_destroy": "true"}).spec(["X"])
