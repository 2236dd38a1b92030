"""`fleet onboard` core with stand-in stage runners: checkpoints, resume at the first
unfinished stage (after a failure, a Ctrl-C, a killed fleet), --from/--to-stage, --status,
the state moving to active only when verify passes, decommissioned sites refused."""

from __future__ import annotations

import threading

import pytest

from fleet.errors import BadInput
from fleet.history import History
from fleet.onboard.checkpoints import Checkpoints
from fleet.onboard.run import OnboardRequest, Outcome, onboard, status
from fleet.registry import load_registry

from .conftest import onboarding_site

LIVE = ["preflight", "network", "base", "directory", "verify"]


class Stages:
    """Stage runners that record what ran; `fail`/`interrupt` make a stage end that way."""

    def __init__(self, fail: str | None = None, interrupt: str | None = None):
        self.ran: list[str] = []
        self.fail, self.interrupt = fail, interrupt

    def __call__(self, ctx, stage) -> Outcome:
        self.ran.append(stage.name)
        if stage.name == self.fail:
            return Outcome("failed", "failed: fw1: Filter rules: HTTP 500", "fw1: Filter rules")
        if stage.name == self.interrupt:
            ctx.cancel.set()
            return Outcome("interrupted", "run interrupted")
        return Outcome("done", "ok", run_id=f"run-{stage.name}")

    def runners(self) -> dict:
        return {name: self for name in LIVE}


def go(paths, registry_dir, uai, stages, **kw):
    registry = load_registry(registry_dir)
    return onboard(paths, registry, OnboardRequest(site=uai, **kw), threading.Event(),
                   runners=stages.runners())  # fmt: skip


def by_stage(done) -> dict[str, str]:
    return {s.stage: s.status for s in done.stages}


def test_every_live_stage_runs_pending_ones_are_listed_and_the_site_becomes_active(
    paths, registry_dir
):
    uai = onboarding_site(registry_dir)
    stages = Stages()
    done = go(paths, registry_dir, uai, stages)
    assert stages.ran == LIVE
    assert done.exit_code == 0
    assert by_stage(done) == {"preflight": "done", "network": "done", "hypervisor": "pending",
                              "guests": "pending", "base": "done", "directory": "done",
                              "software": "pending", "switches": "pending", "verify": "done"}  # fmt: skip
    assert done.state == "active"
    assert (done.state_change.before, done.state_change.after) == (
        "state: onboarding", "state: active")  # fmt: skip
    assert "state: active" in (registry_dir / "sites" / f"{uai}.yml").read_text()
    assert load_registry(registry_dir).site(uai).state.value == "active"
    # a second run has nothing left to do
    again = Stages()
    done = go(paths, registry_dir, uai, again)
    assert again.ran == [] and done.exit_code == 0 and done.state_change is None
    assert set(by_stage(done).values()) <= {"done_earlier", "pending"}


def test_a_failing_stage_stops_with_exit_1_names_it_and_the_rerun_resumes_there(
    paths, registry_dir
):
    uai = onboarding_site(registry_dir)
    failing = Stages(fail="network")
    done = go(paths, registry_dir, uai, failing)
    assert failing.ran == ["preflight", "network"]
    assert done.exit_code == 1
    assert by_stage(done)["network"] == "failed" and by_stage(done)["base"] == "not_reached"
    assert "network" in done.next and "fw1: Filter rules" in done.next
    assert f"fleet onboard {uai}" in done.next
    assert done.state == "onboarding" and done.state_change is None
    rows = {r["stage"]: r for r in status(paths, load_registry(registry_dir), uai)}
    assert rows["preflight"]["state"] == "done" and rows["network"]["state"] == "failed"
    assert rows["network"]["checkpoint"]["user"]
    assert rows["base"]["state"] == "todo" and rows["software"]["state"] == "pending"

    resumed = Stages()
    done = go(paths, registry_dir, uai, resumed)
    assert resumed.ran == ["network", "base", "directory", "verify"]
    assert done.exit_code == 0 and done.state == "active"


def test_verify_failing_keeps_the_site_onboarding(paths, registry_dir):
    uai = onboarding_site(registry_dir)
    done = go(paths, registry_dir, uai, Stages(fail="verify"))
    assert done.exit_code == 1 and done.state == "onboarding"
    assert "state: onboarding" in (registry_dir / "sites" / f"{uai}.yml").read_text()


def test_interrupted_exits_130_and_resumes_at_that_stage(paths, registry_dir):
    uai = onboarding_site(registry_dir)
    stopped = Stages(interrupt="base")
    done = go(paths, registry_dir, uai, stopped)
    assert done.exit_code == 130 and stopped.ran == ["preflight", "network", "base"]
    assert "resumes at base" in done.next
    again = Stages()
    go(paths, registry_dir, uai, again)
    assert again.ran == ["base", "directory", "verify"]


def test_a_stage_whose_fleet_was_killed_reads_killed_and_is_rerun(paths, registry_dir):
    uai = onboarding_site(registry_dir)
    go(paths, registry_dir, uai, Stages(), to_stage="base")
    checkpoints = Checkpoints(History(paths.state_db, paths.runs))
    row = checkpoints.begin(uai, "directory", "onb-1", "tech")
    with checkpoints.history.connect() as conn:  # as if that fleet process had died (kill -9)
        conn.execute("UPDATE onboard_stages SET owner_start = -1 WHERE id = ?", (row,))
    rows = {r["stage"]: r for r in status(paths, load_registry(registry_dir), uai)}
    assert rows["directory"]["state"] == "killed"
    assert "died during this stage" in rows["directory"]["checkpoint"]["message"]
    again = Stages()
    go(paths, registry_dir, uai, again)
    assert again.ran == ["directory", "verify"]


def test_from_and_to_stage(paths, registry_dir):
    uai = onboarding_site(registry_dir)
    first = Stages()
    done = go(paths, registry_dir, uai, first, to_stage="network")
    assert first.ran == ["preflight", "network"] and done.exit_code == 0
    assert by_stage(done)["verify"] == "not_reached" and done.state == "onboarding"
    redo = Stages()
    go(paths, registry_dir, uai, redo, from_stage="preflight", to_stage="preflight")
    assert redo.ran == ["preflight"]
    with pytest.raises(BadInput, match="unknown stage"):
        go(paths, registry_dir, uai, Stages(), from_stage="firewall")
    with pytest.raises(BadInput, match="comes after"):
        go(paths, registry_dir, uai, Stages(), from_stage="verify", to_stage="base")


def test_decommissioned_is_refused(paths, registry_dir):
    uai = onboarding_site(registry_dir)
    path = registry_dir / "sites" / f"{uai}.yml"
    path.write_text(path.read_text().replace("state: onboarding", "state: decommissioned"))
    with pytest.raises(BadInput, match="decommissioned"):
        go(paths, registry_dir, uai, Stages())
