"""--changed-since mapping (pure and with a real git repository), rollout rings and the
ring loop (pure: the site runs are a stand-in)."""

from __future__ import annotations

import subprocess

import pytest

from fleet.errors import BadInput
from fleet.runner.changed import affected_sites, reallocated, sites_changed_since
from fleet.runner.result import NOT_RUN, RunResult
from fleet.runner.rings import plan_rings, roll_out

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
        (["templates/switches/hp_procurve.j2"], KNOWN, True),
        (["templates/sites/lycee.yml.j2"], [], False),  # skeletons of sites not created yet
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


def test_project_paths_are_relative_to_the_project_and_allocations_to_the_changed_sites():
    changed = ["ops/fleet/roles/base/tasks/main.yml"]
    assert affected_sites(changed, "ops/registry", KNOWN, "ops/fleet").all_sites
    assert affected_sites(["roles/base/tasks/main.yml"], REG, KNOWN, "ops/fleet").sites == []
    assert affected_sites(changed, "ops/registry", KNOWN, None).sites == []  # not this repo
    moved = affected_sites([f"{REG}/allocations.yml"], REG, KNOWN, ".", ["0280050B", "0999999Z"])
    assert moved.sites == ["0280050B"]
    assert reallocated({"sites": {"A": 1, "B": 2}}, {"sites": {"A": 1, "B": 3, "C": 4}}) == [
        "B",
        "C",
    ]


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
    affected = sites_changed_since("HEAD", repo / REG, KNOWN, repo)
    assert affected.sites == ["0280050B"]
    assert affected.reasons == {"0280050B": [f"{REG}/sites/0280050B.yml"]}
    # an allocation edited by hand re-addresses that site only; a new allocation is a new site
    (repo / REG / "allocations.yml").write_text("sites: {0180050A: 0, 0280050B: 1, 0450050K: 2}\n")
    _git(repo, "add", ".")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "a")
    (repo / REG / "allocations.yml").write_text("sites: {0180050A: 0, 0280050B: 1, 0450050K: 7}\n")
    assert sites_changed_since("HEAD", repo / REG, KNOWN, repo).sites == ["0450050K"]
    with pytest.raises(BadInput, match="no-such-ref"):
        sites_changed_since("no-such-ref", repo / REG, KNOWN, repo)
    with pytest.raises(BadInput, match="not a git revision"):
        sites_changed_since("--output=/tmp/x", repo / REG, KNOWN, repo)


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


class FakeRuns:
    """Stands in for the site runs: every site succeeds except those listed as failing."""

    def __init__(self, failing=(), unreachable=()):
        self.failing, self.unreachable, self.calls = set(failing), set(unreachable), []

    def __call__(self, sites):
        self.calls.append(list(sites))
        results = []
        for site in sites:
            status = "failed" if site in self.failing else "ok"
            status = "unreachable" if site in self.unreachable else status
            results.append(RunResult(site=site, status=status))
        return results


def test_rollout_runs_every_ring_when_nothing_fails():
    runs = FakeRuns()
    rollout = roll_out(plan_rings("2,100%", SITES, set()), runs, 0.0, lambda: False, [])
    assert runs.calls == [SITES[:2], SITES[2:]]
    assert [r.site for r in rollout.results] == SITES and rollout.stopped == ""


def test_rollout_stops_after_a_ring_failing_beyond_max_fail_percent():
    runs = FakeRuns(failing={"S01"})
    rings = plan_rings("2,50%,100%", SITES, set())
    rollout = roll_out(rings, runs, 10.0, lambda: False, [])
    assert runs.calls == [["S00", "S01"]]  # the later rings never start
    assert "ring 1 (2) failed on 1/2 site(s) (50% > --max-fail-percent 10): S01" in rollout.stopped
    assert "8 site(s) not started" in rollout.stopped
    later = [r for r in rollout.results if r.status == NOT_RUN]
    assert [r.site for r in later] == SITES[2:]
    assert all(r.message == "rollout stopped" for r in later)


def test_rollout_tolerates_failures_up_to_the_threshold():
    runs = FakeRuns(unreachable={"S00"})  # 1 of 2 = 50 %
    rollout = roll_out(plan_rings("2,100%", SITES, set()), runs, 50.0, lambda: False, [])
    assert len(runs.calls) == 2 and rollout.stopped == ""
    rollout = roll_out(
        plan_rings("2,100%", SITES, set()), FakeRuns({"S00"}), 49.9, lambda: False, []
    )
    assert rollout.stopped.startswith("ring 1 (2) failed on 1/2")


def test_rollout_stops_when_cancelled_and_lists_uncovered_sites():
    runs = FakeRuns()
    rollout = roll_out(plan_rings("2,50%", SITES, set()), runs, 0.0, lambda: True, ["S09"])
    assert runs.calls == [["S00", "S01"]]
    assert rollout.stopped == ""
    assert [(r.site, r.status, r.message) for r in rollout.results][-1] == (
        "S09",
        NOT_RUN,
        "in no ring of --rings",
    )
