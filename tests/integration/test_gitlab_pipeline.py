"""The GitLab pipeline of the registry repository, run job by job against the lab: each job's
`before_script` and `script` lines, in order, in one shell, with the variables GitLab would
set — so the example in contrib/ cannot rot. The registry repository is a git repository
holding a copy of the lab registry; a merge request changes one site."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

# slow: every job of the example pipeline against the lab (about 3 minutes); run deliberately
pytestmark = [pytest.mark.lab, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
PIPELINE = REPO / "contrib" / "gitlab" / "registry-pipeline.yml"
VENV_BIN = Path(sys.executable).parent
SITE = "0180120H"


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=ci", "-c", "user.email=ci@example.invalid", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def job_script(pipeline: dict, job: str) -> str:
    """The shell a runner would run: the job's own and inherited before_script, then script."""
    spec = pipeline[job]
    before = pipeline[spec["extends"]]["before_script"] if "extends" in spec else []
    return "\n".join(["set -eo pipefail", *before, *spec["script"]])


def run_job(pipeline: dict, job: str, variables: dict) -> subprocess.CompletedProcess:
    """Run one job as a shell runner would: the pipeline's variables (with `$VAR` expanded),
    overridden by the job's (GitLab's predefined and project variables)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLEET_")}
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env['PATH']}"  # fleet is set up on this runner
    env.update(variables)
    for key, value in pipeline["variables"].items():
        if key not in variables:
            env[key] = re.sub(r"\$(\w+)", lambda m: env.get(m.group(1), ""), str(value))
    return subprocess.run(
        ["bash", "-c", job_script(pipeline, job)],
        cwd=variables["CI_PROJECT_DIR"],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


@pytest.fixture
def registry_repo(tmp_path):
    """The operator's registry repository: registry/ and generated/, two commits (base and a
    merge request changing one site)."""
    repo = tmp_path / "registry-repo"
    shutil.copytree(
        REPO / "inventories" / "lab", repo / "registry", ignore=shutil.ignore_patterns("generated")
    )
    shutil.copytree(REPO / "inventories" / "lab" / "generated", repo / "generated")
    shutil.copy2(PIPELINE, repo / ".gitlab-ci.yml")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "registry")
    base = git(repo, "rev-parse", "HEAD")
    site = repo / "registry" / "sites" / f"{SITE}.yml"
    site.write_text(site.read_text() + "# MR: new head of the establishment\n")
    git(repo, "commit", "-qam", "0180120H: a reviewed change")
    return repo, base


def test_every_job_runs_its_script_against_the_lab(lab_up, registry_repo):
    repo, base = registry_repo
    pipeline = yaml.safe_load((repo / ".gitlab-ci.yml").read_text())
    common = {
        "CI_PROJECT_DIR": str(repo),
        "FLEET_PROJECT": str(lab_up.root),  # where this runner has fleet checked out
        "CI_DEFAULT_BRANCH": "main",
        "FLEET_DEPLOY_ARGS": "--component base",
        "FLEET_DRIFT_ARGS": "--component base",
    }
    merge_request = {**common, "CI_PIPELINE_SOURCE": "merge_request_event"}
    merge_request["CI_MERGE_REQUEST_DIFF_BASE_SHA"] = base
    push = {**common, "CI_PIPELINE_SOURCE": "push", "CI_COMMIT_BRANCH": "main"}
    push["CI_COMMIT_BEFORE_SHA"] = base
    schedule = {**common, "CI_PIPELINE_SOURCE": "schedule"}

    validated = run_job(pipeline, "validate", merge_request)
    assert validated.returncode == 0, validated.stderr
    assert "valid (2 sites)" in validated.stdout and "up to date" in validated.stdout

    planned = run_job(pipeline, "plan", merge_request)
    assert planned.returncode == 0, planned.stderr
    assert "changes since" in planned.stderr and "1 site(s)" in planned.stderr
    junit = (repo / "plan.xml").read_text()
    assert f'classname="{SITE}"' in junit and 'classname="0450050K"' not in junit

    deployed = run_job(pipeline, "deploy", push)
    assert deployed.returncode == 0, deployed.stderr
    assert f"{SITE}: " in deployed.stderr and (repo / "deploy.xml").is_file()

    nightly = run_job(pipeline, "nightly-drift", schedule)
    assert nightly.returncode == 0, nightly.stderr
    for report in ("drift.html", "drift.xml", "drift.json", "fleet.prom"):
        assert (repo / report).stat().st_size > 0, report
