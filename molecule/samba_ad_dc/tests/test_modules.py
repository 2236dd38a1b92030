"""fleet's samba modules on the converged DC: check mode changes nothing, diffs show before and
after, a second run reports changed: false, bad input is refused with nothing applied.

These tests write to the DC (and undo what they did): they run after the read-only checks.
"""

from __future__ import annotations

import base64

import pytest

pytestmark = pytest.mark.molecule_only  # they write: never run by `fleet verify`


def b64(text: str, encoding: str = "utf-8") -> str:
    return base64.b64encode(text.encode(encoding)).decode()


@pytest.fixture(scope="module")
def tree_args(hostvars) -> dict:
    return {
        "tree": [*hostvars["samba_ad_ous"], "Services"],
        "classes": hostvars["samba_ad_classes"],
        "rooms": hostvars["samba_ad_rooms"],
        "per": {"Eleves": "classes", "Ordinateurs": "rooms"},
    }


@pytest.fixture(scope="module")
def sync_args(hostvars) -> dict:
    return {
        "classes": hostvars["samba_ad_classes"],
        "profiles": {
            "eleve": {"ou": "Eleves/{class}", "groups": ["Eleves"]},
            "enseignant": {"ou": "Enseignants", "groups": ["Enseignants"]},
            "personnel": {"ou": "Personnels", "groups": ["Personnels"]},
        },
        "must_change_password": False,
    }


def test_ou_module(run_module, directory, tree_args):
    args = dict(tree_args, tree=[*tree_args["tree"], {"name": "Fleettest", "children": ["Sub"]}])
    before = directory()
    checked = run_module("fleet_samba_ou", args, check=True)
    assert checked["changed"] is True
    assert checked["created"] == ["Fleettest", "Fleettest/Sub"]
    assert checked["diff"]["before"]["Fleettest/Sub"] == {"state": "absent"}
    assert checked["diff"]["after"]["Fleettest/Sub"]["state"] == "present"
    assert directory() == before, "check mode changed the directory"

    applied = run_module("fleet_samba_ou", args)
    assert applied["changed"] is True and applied["created"] == ["Fleettest", "Fleettest/Sub"]
    assert "OU=Sub,OU=Fleettest," in directory()
    again = run_module("fleet_samba_ou", args)
    assert again["changed"] is False, again

    # Gone from the tree: only reported as stale until allow_destroy, then deleted (children first).
    stale = run_module("fleet_samba_ou", tree_args)
    assert stale["changed"] is False and stale["stale"] == ["Fleettest", "Fleettest/Sub"]
    removed = run_module("fleet_samba_ou", dict(tree_args, allow_destroy=True))
    assert not removed.get("failed"), removed["msg"]
    assert removed["deleted"] == ["Fleettest/Sub", "Fleettest"]
    assert directory() == before


def test_ou_module_refuses_forbidden_characters(run_module, directory, tree_args):
    before = directory()
    result = run_module("fleet_samba_ou", dict(tree_args, tree=[*tree_args["tree"], "Bad,Name"]))
    assert result.get("failed") is True
    assert "Bad,Name" in result["msg"] and "forbidden" in result["msg"]
    assert directory() == before


def test_group_module(run_module, directory):
    args = {
        "name": "fleet-test-grp",
        "ou": "Groupes",
        "description": "[fleet] test",
        "members": ["jdupont"],
    }
    before = directory()
    checked = run_module("fleet_samba_group", args, check=True)
    assert checked["changed"] is True
    assert checked["diff"]["after"] != checked["diff"]["before"]
    assert directory() == before
    assert run_module("fleet_samba_group", args)["changed"] is True
    assert "CN=fleet-test-grp,OU=Groupes," in directory()
    assert run_module("fleet_samba_group", args)["changed"] is False
    changed = run_module("fleet_samba_group", dict(args, members=[]), check=True)
    assert changed["changed"] is True
    assert "jdupont" in str(changed["diff"]["before"]) and "jdupont" not in str(
        changed["diff"]["after"]
    )
    assert (
        run_module("fleet_samba_group", {"name": "fleet-test-grp", "state": "absent"})["changed"]
        is True
    )
    assert directory() == before


def test_user_module(run_module, directory, host, realm):
    args = {
        "name": "fleet-test-usr",
        "password": "Test-Module-Pw-2024!",
        "ou": "Services",
        "description": "[fleet] test",
        "given_name": "Test",
        "surname": "Module",
    }
    before = directory()
    checked = run_module("fleet_samba_user", args, check=True)
    assert checked["changed"] is True
    assert "Test-Module-Pw-2024!" not in str(checked)
    assert directory() == before
    assert run_module("fleet_samba_user", args)["changed"] is True
    assert "CN=fleet-test-usr,OU=Services," in directory()
    again = run_module("fleet_samba_user", args)
    assert again["changed"] is False, again
    # a new password is a change (compared through the stored hash, never shown)
    rotated = run_module(
        "fleet_samba_user", dict(args, password="Other-Module-Pw-2024!"), check=True
    )
    assert rotated["changed"] is True
    assert "Other-Module-Pw-2024!" not in str(rotated)
    assert (
        run_module("fleet_samba_user", {"name": "fleet-test-usr", "state": "absent"})["changed"]
        is True
    )
    assert directory() == before


def test_policy_module(run_module, directory, hostvars):
    current = {
        "min_length": 10,
        "complexity": True,
        "history_length": 12,
        "min_age_days": 0,
        "max_age_days": 0,
        "lockout_threshold": 10,
        "lockout_duration_minutes": 15,
        "lockout_window_minutes": 15,
    }
    current.update(hostvars.get("samba_ad_password_policy") or {})
    assert run_module("fleet_samba_policy", current)["changed"] is False
    before = directory()
    stricter = dict(current, min_length=current["min_length"] + 2)
    checked = run_module("fleet_samba_policy", stricter, check=True)
    assert checked["changed"] is True
    assert checked["diff"] == {
        "before": {"min_length": current["min_length"]},
        "after": {"min_length": current["min_length"] + 2},
    }
    assert directory() == before
    assert run_module("fleet_samba_policy", stricter)["changed"] is True
    assert run_module("fleet_samba_policy", stricter)["changed"] is False
    assert run_module("fleet_samba_policy", current)["changed"] is True
    assert directory() == before


ORIGINAL = (
    "login;prenom;nom;profil;classe\n"
    "jdupont;Jean;Dupont;eleve;2NDE1\n"
    "lmartin;Léa;Martin;eleve;TG1\n"
    "mlefevre;Marie;Lefèvre;enseignant;\n"
    "agarcia;Ana;García;personnel;\n"
)
# jdupont moves class, lmartin changes name, agarcia leaves, pnouveau arrives
NEXT_YEAR = (
    "login,first_name,last_name,profile,class\n"
    "jdupont,Jean,Dupont,eleve,1G1\n"
    "lmartin,Léa,Martin-Durand,eleve,TG1\n"
    "mlefevre,Marie,Lefèvre,enseignant,\n"
    "pnouveau,Paul,Nouveau,eleve,2NDE1\n"
)


def test_users_sync_module(run_module, directory, sync_args, host):
    original = dict(sync_args, csv_b64=b64(ORIGINAL, "cp1252"), source="users-latin1.csv")
    unchanged = run_module("fleet_samba_users_sync", original)
    assert unchanged["changed"] is False, unchanged
    assert unchanged["encoding"] == "cp1252"

    args = dict(sync_args, csv_b64=b64(NEXT_YEAR), source="next-year.csv")
    before = directory()
    checked = run_module("fleet_samba_users_sync", args, check=True)
    assert checked["changed"] is True
    assert checked["encoding"] == "utf-8"
    assert (checked["created"], checked["moved"], checked["updated"], checked["disabled"]) == (
        ["pnouveau"],
        ["jdupont"],
        ["lmartin"],
        ["agarcia"],
    )
    diff = checked["diff"]
    assert diff["before"]["jdupont"]["ou"] == "Eleves/2NDE1"
    assert diff["after"]["jdupont"]["ou"] == "Eleves/1G1"
    assert diff["before"]["pnouveau"] == {"state": "absent"}
    assert (
        diff["before"]["agarcia"]["enabled"] is True
        and diff["after"]["agarcia"]["enabled"] is False
    )
    assert diff["after"]["lmartin"]["last_name"] == "Martin-Durand"
    assert directory() == before, "check mode changed the directory"

    applied = run_module("fleet_samba_users_sync", args)
    assert applied["changed"] is True and applied["created"] == ["pnouveau"]
    now = directory()
    assert "CN=jdupont,OU=1G1,OU=Eleves," in now and "CN=pnouveau,OU=2NDE1,OU=Eleves," in now
    again = run_module("fleet_samba_users_sync", args)
    assert again["changed"] is False, again
    # the leaver is disabled, never deleted without allow_destroy
    assert "CN=agarcia,OU=Personnels," in directory()

    # back to the original export: agarcia re-enabled, pnouveau (now a leaver) disabled
    restored = run_module("fleet_samba_users_sync", original)
    assert restored["enabled"] == ["agarcia"] and restored["disabled"] == ["pnouveau"]
    destroyed = run_module("fleet_samba_users_sync", dict(original, allow_destroy=True))
    assert destroyed["deleted"] == ["pnouveau"]
    assert "pnouveau" not in directory()
    assert run_module("fleet_samba_users_sync", original)["changed"] is False


@pytest.mark.parametrize(
    ("text", "encoding", "expected"),
    [
        (
            "login;prenom;nom;profil;classe\npnew;Paul;New;eleve;1G1\njdupont;Jean;Dupont;eleve;2NDE1\n"
            "jdupont;J;D;eleve;1G1\n",
            "utf-8",
            "bad.csv:4: login: login 'jdupont' is already used on line 3",
        ),
        (
            "login;prenom;nom;profil;classe\npnew;Paul;New;eleve;1G1\njdupont;Jean;Dupont;eleve;9Z9\n",
            "utf-8",
            "bad.csv:3: class: unknown class '9Z9'",
        ),
        ("login;prenom;profil\njdupont;Jean;eleve\n", "utf-8", "missing column(s): last_name"),
        ("login;prenom;nom;profil;classe\njdupont;Jean;Dupont;eleve;2NDE1\n", "utf-16", "UTF-16"),
    ],
    ids=["duplicate-login", "unknown-class", "missing-column", "wrong-encoding"],
)
def test_users_sync_refuses_a_bad_file_and_applies_nothing(
    run_module, directory, sync_args, text, encoding, expected
):
    # A valid new user (pnew) comes before the bad row: nothing at all may be applied.
    before = directory()
    result = run_module(
        "fleet_samba_users_sync", dict(sync_args, csv_b64=b64(text, encoding), source="bad.csv")
    )
    assert result.get("failed") is True
    assert "bad.csv refused, nothing applied" in result["msg"]
    assert expected in result["msg"]
    assert directory() == before


def test_service_state_module(run_module, host):
    args = {"name": "fleet-samba-backup.timer"}
    assert run_module("fleet_service_state", args)["changed"] is False
    host.check_output("systemctl stop fleet-samba-backup.timer")
    checked = run_module("fleet_service_state", args, check=True)
    assert checked["changed"] is True
    assert checked["diff"]["before"] == {
        "fleet-samba-backup.timer": {"enabled": True, "active": False}
    }
    assert checked["diff"]["after"] == {
        "fleet-samba-backup.timer": {"enabled": True, "active": True}
    }
    assert not host.service("fleet-samba-backup.timer").is_running
    assert run_module("fleet_service_state", args)["changed"] is True
    assert host.service("fleet-samba-backup.timer").is_running
    assert run_module("fleet_service_state", args)["changed"] is False
