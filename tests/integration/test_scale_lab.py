"""The lab at fleet scale, small: `fleet lab up --sites 12 --ssh-sites 0` with four sites
faulted (one of each fault: down, HTTP 500, hang, flapping) → `fleet drift --all` ends with
exactly those four sites failed, every other site's result what its devices say (drift: nothing
was ever deployed), the exit code of a failed run, the SSH components `excluded` with the reason
in every site of the JSON report, and the hung site costing no other site more than its timeout.
The 180-site run is bench/bench_drift_fleet.py (bench/results/drift_fleet.json).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_lab_sims import sim_processes

pytestmark = [pytest.mark.lab]

SITES = 12


@pytest.fixture(scope="module")
def scale_lab(lab_project, tmp_path_factory):
    project = lab_project(tmp_path_factory.mktemp("scale-lab") / "project")
    # the sample's order: four sites spread over it, one fault each
    from fleet.registry.sample import plan

    uais = sorted(row[0] for row in plan(SITES))
    faulted = {uais[1]: "down", uais[4]: "error", uais[7]: "hang", uais[10]: "flap"}
    spec = ",".join(f"{uai}={fault}" for uai, fault in faulted.items())
    args = ("lab", "up", "--sites", str(SITES), "--ssh-sites", "0", "--faults", spec)
    rc, up = project.fleet_json(*args)
    assert rc == 0 or up.get("scale"), up
    project.scale = up["scale"]
    project.faulted = faulted
    yield project
    down = project.fleet("--output", "json", "lab", "down", timeout=300)
    assert down.returncode == 0, down.stderr[-3000:]
    assert sim_processes(project.root) == []


def test_lab_up_sites_writes_the_plan_and_a_valid_registry(scale_lab):
    plan = scale_lab.scale
    assert plan["sites"] == SITES
    assert plan["ssh_sites"] == []
    assert set(plan["faults"]) == set(scale_lab.faulted)
    assert json.loads((scale_lab.root / ".fleet/lab/scale.json").read_text()) == plan
    registry = Path(plan["registry"])
    assert len(list((registry / "sites").glob("*.yml"))) == SITES
    check = scale_lab.fleet("--registry", str(registry), "validate")
    assert check.returncode == 0, check.stderr


def test_drift_all_fails_exactly_the_faulted_sites(scale_lab):
    registry = scale_lab.scale["registry"]
    rc, data = scale_lab.fleet_json("--registry", registry, "drift", "--all", timeout=1200)
    sites = {s["site"]: s for s in data["sites"]}
    assert len(sites) == SITES
    failed = {uai for uai, s in sites.items() if s["status"] in ("failed", "unreachable")}
    assert failed == set(scale_lab.faulted)
    assert rc == 1 and data["exit_code"] == 1  # a failed site fails the run, drift or not
    # the others: what their devices say (a fresh firewall differs from the registry)
    assert {s["status"] for uai, s in sites.items() if uai not in failed} == {"drift"}

    words = {
        "down": "refused",
        "error": "HTTP 500",
        "hang": "no answer within",
    }
    for uai, fault in scale_lab.faulted.items():
        messages = " ".join(f["message"] for f in sites[uai]["failures"])
        assert sites[uai]["failures"], (uai, sites[uai])
        if fault in words:
            assert words[fault] in messages, (uai, fault, messages)

    # the SSH components are excluded, with why, on every site — never a quiet pass
    for site in sites.values():
        outcomes = {o["component"]: o for o in site["outcomes"]}
        for name in ("base", "samba_ad"):
            assert outcomes[name]["outcome"] == "excluded", (site["site"], outcomes[name])
            assert "sampled site" in outcomes[name]["note"]
        assert outcomes["opnsense"]["outcome"] == "ran"

    # the hung site ended on its client's timeout, and the others went on meanwhile: sites
    # started after it and finished before it (second resolution is plenty against 30 s)
    hung = sites[next(u for u, f in scale_lab.faulted.items() if f == "hang")]
    assert "no answer within 30 s" in " ".join(f["message"] for f in hung["failures"])
    overlapped = [
        uai
        for uai, s in sites.items()
        if uai != hung["site"]
        and hung["started"] < s["started"]
        and s["finished"] < hung["finished"]
    ]
    assert overlapped, "every other site waited for the hung one"
