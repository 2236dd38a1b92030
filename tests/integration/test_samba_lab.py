"""The Samba AD DC of the lab lycée end to end: fleet deploy, a second deploy that changes
nothing, drift none, four hand-made changes that `fleet drift` reports exactly (with diffs)
without repairing them, `fleet deploy` repairs, drift none again.

Runs against the session's shared test lab (conftest `lab_up`: a throw-away project with its
own lab, never the developer's; real podman containers, real Samba). The
lab registry is copied to a temporary directory to give the site an ansible-vault file with
its Administrator and service-account passwords (random for this run) and the vault password
file: the secrets never travel on a command line, and the test greps every run artifact for
them.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fleet.lab.hosts import container_name

pytestmark = [pytest.mark.lab]

PROJECT = Path(__file__).resolve().parents[2]
ROOT = PROJECT  # the shared test lab's project, set by the `lab` fixture
FLEET = Path(sys.executable).with_name("fleet")
UAI = "0450050K"
DC = "dc1.0450050k.lab.fleet.test"
BASE_DN = "DC=0450050k,DC=lab,DC=fleet,DC=test"
SAM = "/var/lib/samba/private/sam.ldb"
USERS_CSV = (
    "login;prenom;nom;profil;classe\n"
    "jdupont;Jean;Dupont;eleve;2NDE1\n"
    "lmartin;Léa;Martin;eleve;TG1\n"
    "mlefevre;Marie;Lefèvre;enseignant;\n"
)
# The four objects changed by hand and the role task that owns each of them.
DRIFT_TASKS = {
    "OU tree",
    "Sync users from the export",
    "Nightly backup timer enabled and running",
    "Managed smb.conf",
}


def _env() -> dict:
    return dict(os.environ, CONTAINERS_CONF=str(PROJECT / "fleet/lab/containers.conf"))


@pytest.fixture(scope="module")
def lab(lab_up):
    global ROOT
    ROOT = lab_up.root
    return container_name(ROOT, DC)


@pytest.fixture(scope="module")
def site(tmp_path_factory, lab):
    """A copy of the lab registry whose lycée has a vault file, plus the vault password file."""
    root = tmp_path_factory.mktemp("samba-lab")
    registry = root / "registry"
    shutil.copytree(PROJECT / "inventories/lab", registry)
    password_file = root / "vault-password"
    password_file.write_text(secrets.token_urlsafe(24) + "\n")
    password_file.chmod(0o600)
    secrets_ = {
        "admin": "Adm-" + secrets.token_urlsafe(12) + "9a!",
        "svc-opsi-join": "Ops-" + secrets.token_urlsafe(12) + "9a!",
        "svc-ldap-read": "Ldp-" + secrets.token_urlsafe(12) + "9a!",
    }
    vault = registry / "vault" / f"{UAI}.yml"
    vault.write_text(
        json.dumps(
            {
                "samba_ad_admin_password": secrets_["admin"],
                "samba_ad_service_account_passwords": {
                    k: v for k, v in secrets_.items() if k != "admin"
                },
            }
        )
    )
    vault.chmod(0o600)
    subprocess.run(
        [
            str(FLEET.with_name("ansible-vault")),
            "encrypt",
            "--vault-password-file",
            str(password_file),
            str(vault),
        ],
        check=True,
        capture_output=True,
    )
    assert vault.read_text().startswith("$ANSIBLE_VAULT;")
    users = root / "users.csv"
    users.write_text(USERS_CSV, encoding="utf-8")
    return {
        "registry": registry,
        "password_file": password_file,
        "secrets": list(secrets_.values()),
        "users": users,
    }


def fleet(site, command: str, *extra: str, users: Path | None = None) -> tuple[int, dict]:
    args = [
        str(FLEET),
        "--registry",
        str(site["registry"]),
        "--output",
        "json",
        command,
        UAI,
        "--component",
        "samba_ad",
        "--vault-password-file",
        str(site["password_file"]),
        "-e",
        f"samba_ad_dc_users_csv={users or site['users']}",
        *extra,
    ]
    if command == "deploy":
        args.append("--yes")
    done = subprocess.run(args, cwd=ROOT, env=_env(), capture_output=True, text=True)
    try:
        report = json.loads(done.stdout)
    except ValueError:
        pytest.fail(
            f"fleet {command} printed no JSON (exit {done.returncode}):\n{done.stdout}\n{done.stderr}"
        )
    if users is None:
        assert not report["sites"][0]["failures"], report["sites"][0]["failures"]
    return done.returncode, report


def changed_tasks(report) -> dict[str, dict]:
    return {item["task"]: item for item in report["sites"][0]["changed"]}


def dc(lab, command: str) -> str:
    done = subprocess.run(
        ["podman", "exec", lab, "sh", "-c", command],
        env=_env(),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, f"{command}: {done.stderr}"
    return done.stdout


def hand_state(lab) -> dict:
    """The four objects as they are on the DC."""
    ous = dc(lab, f"ldbsearch -H {SAM} -b OU=Ordinateurs,{BASE_DN} -s one dn | grep '^dn:' || true")
    uac = dc(lab, f"ldbsearch -H {SAM} -b {BASE_DN} '(sAMAccountName=jdupont)' userAccountControl")
    return {
        "cdi_ou": "OU=CDI," in ous,
        "jdupont_disabled": int(uac.split("userAccountControl: ")[1].split()[0]) & 2 == 2,
        "timer": dc(lab, "systemctl is-active fleet-samba-backup.timer || true").strip(),
        "log_level": dc(lab, "grep -E '^\\s*log level' /etc/samba/smb.conf").split("=")[1].strip(),
    }


def assert_no_secret_in_artifacts(site, report):
    run_dir = Path(report["sites"][0]["run_dir"])
    texts = [json.dumps(report)]
    for path in run_dir.rglob("*"):
        if path.is_file():
            texts.append(path.read_bytes().decode("utf-8", "replace"))
    for secret in site["secrets"]:
        assert not any(secret in text for text in texts), f"a vault secret leaked under {run_dir}"


def test_deploy_drift_repair(lab, site):
    rc, first = fleet(site, "deploy")
    assert rc == 0, first
    assert_no_secret_in_artifacts(site, first)

    rc, second = fleet(site, "deploy")
    assert rc == 0
    assert changed_tasks(second) == {}, "a second deploy changed something"

    rc, clean = fleet(site, "drift")
    assert (rc, changed_tasks(clean)) == (0, {})
    converged = hand_state(lab)
    assert converged == {
        "cdi_ou": True,
        "jdupont_disabled": False,
        "timer": "active",
        "log_level": "1",
    }

    # Four changes by hand: an OU deleted, a synced user disabled, the backup timer stopped,
    # a managed smb.conf option changed.
    dc(lab, f"ldbdel -H {SAM} OU=CDI,OU=Ordinateurs,{BASE_DN}")
    dc(lab, "samba-tool user disable jdupont >/dev/null")
    dc(lab, "systemctl stop fleet-samba-backup.timer")
    dc(lab, "sed -i 's/log level = 1/log level = 3/' /etc/samba/smb.conf")
    mutated = hand_state(lab)
    assert mutated == {
        "cdi_ou": False,
        "jdupont_disabled": True,
        "timer": "inactive",
        "log_level": "3",
    }

    rc, drift = fleet(site, "drift")
    assert rc == 2
    items = changed_tasks(drift)
    assert set(items) == DRIFT_TASKS
    assert items["OU tree"]["diff"][0]["before"] == {"Ordinateurs/CDI": {"state": "absent"}}
    assert items["OU tree"]["diff"][0]["after"]["Ordinateurs/CDI"]["state"] == "present"
    user_diff = items["Sync users from the export"]["diff"][0]
    assert (
        user_diff["before"]["jdupont"]["enabled"],
        user_diff["after"]["jdupont"]["enabled"],
    ) == (
        False,
        True,
    )
    timer_diff = items["Nightly backup timer enabled and running"]["diff"][0]
    assert timer_diff["before"]["fleet-samba-backup.timer"]["active"] is False
    assert timer_diff["after"]["fleet-samba-backup.timer"]["active"] is True
    smb_diff = items["Managed smb.conf"]["diff"][0]
    assert "log level = 3" in smb_diff["before"] and "log level = 1" in smb_diff["after"]
    assert hand_state(lab) == mutated, "fleet drift changed the DC"
    assert_no_secret_in_artifacts(site, drift)

    rc, repair = fleet(site, "deploy")
    assert rc == 0
    assert set(changed_tasks(repair)) >= DRIFT_TASKS
    assert hand_state(lab) == converged

    rc, after = fleet(site, "drift")
    assert (rc, changed_tasks(after)) == (0, {})


def test_a_bad_export_is_refused_before_anything_changes(lab, site, tmp_path):
    bad = tmp_path / "bad-export.csv"
    # Latin-1, a valid new user first, then a duplicate login and an unknown class
    bad.write_bytes(
        (
            USERS_CSV + "pnouveau;Paul;Nouveau;eleve;1G1\njdupont;Jean;Dupont;eleve;TG1\n"
            "zlast;Zoé;Last;eleve;9Z9\n"
        ).encode("cp1252")
    )
    before = hand_state(lab)
    rc, report = fleet(site, "deploy", users=bad)
    assert rc != 0
    result = report["sites"][0]
    assert result["changed"] == [], "something was applied"
    messages = " ".join(f["message"] for f in result["failures"])
    assert "bad-export.csv refused, nothing applied" in messages
    assert "bad-export.csv:6: login: login 'jdupont' is already used on line 2" in messages
    assert "bad-export.csv:7: class: unknown class '9Z9'" in messages
    assert hand_state(lab) == before
    users = dc(lab, f"ldbsearch -H {SAM} -b {BASE_DN} '(sAMAccountName=pnouveau)' dn")
    assert "dn:" not in users
