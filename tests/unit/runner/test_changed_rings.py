"""--changed-since mapping (pure and with a real git repository) and rollout rings."""

from __future__ import annotations

import subprocess

import pytest

from fleet.errors import BadInput
from fleet.runner.changed import affected_sites, sites_changed_since
from fleet.runner.rings import plan_rings

KNOWN = ["0180050A", "0280050B", "0450050K"]
REG = "inventories/registry"


@pytest.mark.parametrize(
    ("paths", "expected", "everything"),
    [
        ([f"{REG}/sites/0450050K.yml"], ["0450050K"], False),
        ([f"{REG}/vault/0180050A.yml"], ["0180050A"], False),
        (
            [f"{REG}/sites/0450050K.yml", f"{REG}/vault/0280050B.yml"],
            ["0280050B", "0450050K"],
            False,
        ),
        ([f"{REG}/region.yml"], KNOWN, True),
        (["roles/samba_ad_dc/tasks/main.yml"], KNOWN, True),
        (["playbooks/site.yml"], KNOWN, True),
        (["plugins/modules/fleet_opnsense_rule.py"], KNOWN, True),
        (["templates/sites/lycee.yml.j2"], KNOWN, True),
        (["README.md", "docs/runner.md", "fleet/cli/main.py", f"{REG}/allocations.yml"], [], False),
        ([f"{REG}/sites/0999999Z.yml"], [], False),  # a removed site: nothing to deploy
        (["inventories/lab/sites/0450050K.yml"], [], False),  # another registry
        (["other/roles/x.yml"], [], False),
    ],
)
def test_changed_paths_map_to_sites(paths, expected, everything):
    affected = affected_sites(paths, REG, KNOWN)
    assert affected.sites == expected
    assert affected.all_sites is everything


def _git(cwd, *args):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def test_changed_since_reads_git(tmp_path):
    repo = tmp_path / "repo"
    (repo / REG / "sites").mkdir(parents=True)
    for uai in KNOWN:
        (repo / REG / "sites" / f"{uai}.yml").write_text(f"uai: {uai}\n")
    (repo / "README.md").write_text("x\n")
    _git(repo, "init", "-q")
    _git(
        repo,
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@example.invalid",
        "commit",
        "-qam",
        "init",
        "--allow-empty",
    )
    _git(repo, "add", ".")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "base")
    (repo / REG / "sites" / "0280050B.yml").write_text("uai: 0280050B\nname: changed\n")
    (repo / "README.md").write_text("y\n")
    affected = sites_changed_since("HEAD", repo, repo / REG, KNOWN)
    assert affected.sites == ["0280050B"]
    assert affected.reasons == {"0280050B": [f"{REG}/sites/0280050B.yml"]}
    with pytest.raises(BadInput, match="no-such-ref"):
        sites_changed_since("no-such-ref", repo, repo / REG, KNOWN)
    with pytest.raises(BadInput, match="not a git revision"):
        sites_changed_since("--output=/tmp/x", repo, repo / REG, KNOWN)


SITES = [f"S{i:02d}" for i in range(10)]


def test_rings_pilot_then_percentages():
    rings = plan_rings("pilot,20%,100%", SITES, {"S03", "S07"})
    assert [(r.name, r.sites) for r in rings] == [
        ("pilot", ["S03", "S07"]),
        ("20%", ["S00", "S01"]),
        ("100%", ["S02", "S04", "S05", "S06", "S08", "S09"]),
    ]


def test_rings_without_pilots_skip_the_empty_ring_and_counts_work():
    rings = plan_rings("pilot,3,50%", SITES, set())
    assert [(r.name, r.sites) for r in rings] == [
        ("3", ["S00", "S01", "S02"]),
        ("50%", ["S03", "S04"]),
    ]
    # sites no ring covers are not deployed
    assert sum(len(r.sites) for r in rings) == 5


@pytest.mark.parametrize("bad", ["", "pilot,abc", "0%", "150%", "-3"])
def test_bad_rings_are_bad_input(bad):
    with pytest.raises(BadInput, match="--rings"):
        plan_rings(bad, SITES, set())
