"""fleet installed from a wheel (not editable, not this checkout) still renders its reports:
the HTML template is package data, read with importlib.resources."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

RENDER = """
import json, sys
from pathlib import Path
import fleet
from fleet.report import html
from fleet.runner.result import FleetRun, RunResult
assert "site-packages" in fleet.__file__, fleet.__file__
run = FleetRun(run_id="r1", command="drift", mode="check", started="2026-12-02T02:00:00+00:00")
run.sites = [RunResult(site="0450050K", mode="check", status="ok")]
page = html.render(run, {"0450050K": html.SiteInfo("Lycée Jean Zay", 45, "Orléans")})
print(json.dumps({"file": fleet.__file__, "page": page}))
"""


def test_an_installed_wheel_renders_the_html_report(tmp_path):
    # build from a copy: setuptools writes build/ and *.egg-info next to the sources
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    shutil.copytree(REPO / "fleet", source / "fleet", ignore=shutil.ignore_patterns("__pycache__"))
    dist = tmp_path / "dist"
    pip_wheel = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    subprocess.run([*pip_wheel, "-w", dist, source], check=True, capture_output=True, cwd=tmp_path)
    [wheel] = dist.glob("fleet-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    python = venv / "bin" / "python"
    # the dependencies come from the test venv (jinja2, …) — but not fleet itself: its
    # editable install is a .pth entry there, and a path added by .pth is not a site dir
    purelib = Path(sysconfig.get_paths()["purelib"])
    site = next((venv / "lib").glob("python3*/site-packages"))
    (site / "fleet-test-deps.pth").write_text(f"{purelib}\n")
    subprocess.run(
        [python, "-m", "pip", "install", "--no-deps", "--no-index", "-q", wheel],
        check=True,
        capture_output=True,
    )
    done = subprocess.run(
        [python, "-c", RENDER], capture_output=True, text=True, cwd=tmp_path, check=False
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert Path(out["file"]).is_relative_to(site)  # the wheel's copy, not this checkout
    assert "Lycée Jean Zay" in out["page"] and "<!DOCTYPE html>" in out["page"]
