"""The component table: the one place a component is named, checked against the project, and
a dummy component added to it flows through inventory, runner and reports with no other edit."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from fleet import components
from fleet.cli.main import cli
from fleet.components import Component
from fleet.deploy import Request, converge
from fleet.inventory import site_files
from fleet.paths import Paths
from fleet.registry import load_registry
from fleet.report import ReportTargets
from fleet.runner.outcomes import component_outcomes
from fleet.runner.result import HostCounts
from fleet.runner.spec import RunSpec

REPO = Path(__file__).resolve().parents[2]
LAB = REPO / "inventories" / "lab"


def test_the_table_holds_the_six_components_in_deploy_order():
    assert components.names() == ["opnsense", "proxmox", "base", "samba_ad", "opsi", "switches"]
    groups = [c.group for c in components.table()]
    assert len(set(groups)) == len(groups)  # one group per component
    roles = [r for c in components.table() for r in c.roles]
    assert len(set(roles)) == len(roles)


@pytest.mark.parametrize("component", components.implemented(), ids=lambda c: c.name)
def test_an_implemented_component_ships_everything(component):
    assert components.missing_parts(component, REPO) == []


def test_a_component_marked_implemented_without_its_parts_is_caught(tmp_path):
    ghost = Component("ghost", "Ghost", "ghosts", ("guest:ghost",), ("ghost_role",), (), True)
    assert components.missing_parts(ghost, tmp_path) == [
        "playbooks/ghost.yml",
        "docs/ghost.md",
        "roles/ghost_role/tasks/main.yml",
        "roles/ghost_role/meta/argument_specs.yml",
        "molecule/<scenario>/molecule.yml (no scenario named)",
    ]


def test_site_yml_is_generated_from_the_table():
    assert components.site_yml_current(REPO), "run `fleet components site-yml --write`"
    imported = [
        p["ansible.builtin.import_playbook"]
        for p in yaml.safe_load((REPO / "playbooks" / "site.yml").read_text())
    ]
    assert imported == [Path(c.playbook).name for c in components.implemented()]


@pytest.mark.parametrize("component", components.implemented(), ids=lambda c: c.name)
def test_each_play_of_a_component_playbook_targets_its_group(component):
    plays = yaml.safe_load((REPO / component.playbook).read_text())
    assert plays and all(play["hosts"] == component.group for play in plays)


def test_outcomes_list_every_component_with_what_happened(monkeypatch):
    table = [replace(c, implemented=False) if c.name == "opsi" else c for c in components.COMPONENTS]
    monkeypatch.setattr(components, "COMPONENTS", table)
    groups = {"linux": ["pve1", "dc1", "depot1"], "samba_dc": ["dc1"], "proxmox_nodes": ["pve1"],
              "opsi_depot": ["depot1"]}  # fmt: skip
    counts = {"base": HostCounts(ok=5, changed=1)}
    found = {o.component: o for o in component_outcomes(groups, ["base", "samba_ad"], counts)}
    assert list(found) == components.names()
    assert found["base"].outcome == "ran" and found["base"].label == "ran (ok=5 changed=1)"
    assert found["samba_ad"].outcome == "not_reached"  # chosen, has a host, no task ran
    assert found["proxmox"].outcome == "not_selected"  # the site has a node
    assert found["opsi"].label == "not implemented"  # the site has a depot
    assert found["switches"].label == "no hosts on this site"
    selected_other = component_outcomes(groups, ["base"], counts)
    assert {o.component: o.outcome for o in selected_other}["samba_ad"] == "not_selected"


# ------------------------------------------------------------ a dummy component, end to end

PRINTING = Component(
    name="printing",
    title="Print servers",
    group="print_servers",
    hosts=("guest:print",),
    roles=("print_server",),
    registry=("guests",),
    implemented=True,
    molecule=("print_server",),
    summary="tests.unit.test_components:printer_summary",
)


def printer_summary(run):
    """A run-wide view, as a component may add one to the reports."""
    ran = [
        r.site
        for r in run.sites
        for o in r.outcomes
        if (o.component, o.outcome) == ("printing", "ran")
    ]
    return {"title": "Print queues", "columns": ["site", "queues"], "rows": [[s, "1"] for s in ran]}


PLAYBOOK = """\
---
- name: Print servers
  hosts: print_servers
  gather_facts: false
  connection: local
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  roles:
    - role: print_server
"""


@pytest.fixture
def with_printing(monkeypatch):
    monkeypatch.setattr(components, "COMPONENTS", [*components.COMPONENTS, PRINTING])


@pytest.fixture
def project(tmp_path):
    """A fleet project: the lab registry (as a plain registry) with a print server guest, and
    the dummy component's playbook and role."""
    root = tmp_path / "project"
    shutil.copytree(LAB, root / "registry", ignore=shutil.ignore_patterns("generated"))
    region = root / "registry" / "region.yml"
    region.write_text(region.read_text().replace("\nlab: true\n", "\nlab: false\n"))
    site = root / "registry" / "sites" / "0450050K.yml"
    site.write_text(
        site.read_text().replace(
            "  - {name: depot1,",
            "  - {name: print1, template: print, node: pve1, host: 30}\n  - {name: depot1,",
        )
    )
    (root / "playbooks").mkdir()
    (root / "playbooks" / "printing.yml").write_text(PLAYBOOK)
    tasks = root / "roles" / "print_server" / "tasks"
    tasks.mkdir(parents=True)
    (tasks / "main.yml").write_text(
        "---\n- name: Spool directory\n  ansible.builtin.command: /bin/true\n  changed_when: true\n"
    )
    (root / "ansible.cfg").write_text("[defaults]\nroles_path = roles\n")
    return root


def test_a_dummy_component_flows_through_inventory_runner_and_reports(
    with_printing, project, tmp_path
):
    registry = load_registry(project / "registry")
    printer = "print1.0450050k.lab.fleet.test"

    # inventory: the component's group, from its selector, in the generated files
    inventory = site_files(registry, "0450050K")
    assert inventory.groups["print_servers"] == [printer]
    assert "guest_print" not in inventory.groups  # the table claims the template now
    site_file = json.loads(inventory.files["site_0450050k.yml"].split("\n", 2)[2])
    assert printer in site_file["all"]["children"]["print_servers"]["hosts"]
    assert "printing" in registry.site("0450050K").components()

    # runner: --component printing runs its playbook for real (ansible-runner, local connection)
    paths = Paths(root=project, state=tmp_path / "state")
    reports = ReportTargets(
        html=tmp_path / "r.html",
        junit=tmp_path / "r.xml",
        metrics=tmp_path / "r.prom",
        json=tmp_path / "r.json",
    )
    request = Request(spec=RunSpec.build("deploy", component="printing"), reports=reports)
    done = converge(paths, registry, request, ["0450050K", "0180120H"])
    assert done.run.exit_code == 0, done.run.to_dict()
    lycee, college = done.run.sites
    outcomes = {o.component: o for o in lycee.outcomes}
    assert list(outcomes) == [*components.names()[:-1], "printing"]
    assert outcomes["printing"].outcome == "ran"
    assert (outcomes["printing"].counts.ok, outcomes["printing"].counts.changed) == (1, 1)
    assert outcomes["base"].outcome == "not_selected"
    assert outcomes["opnsense"].outcome == "not_selected"
    assert outcomes["proxmox"].outcome == "not_selected"
    assert outcomes["opsi"].outcome == "not_selected"
    assert {o.component: o.outcome for o in college.outcomes}["printing"] == "no_hosts"

    # reports: JSON, JUnit, Prometheus and HTML all name it
    document = json.loads(reports.json.read_text())
    site = document["sites"][0]
    assert {"component": "printing", "outcome": "ran", "label": "ran (ok=1 changed=1)"}.items() <= (
        next(o for o in site["outcomes"] if o["component"] == "printing").items()
    )
    cases = {
        (c.get("classname"), c.get("name")): c
        for c in ET.fromstring(reports.junit.read_text()).iter("testcase")
    }
    assert cases[("0450050K", "printing")].find("failure") is not None  # a changed task
    assert cases[("0180120H", "printing")].find("skipped").get("message") == (
        "no hosts on this site"
    )
    prom = reports.metrics.read_text()
    assert 'fleet_component_outcome{site="0450050K",component="printing",outcome="ran"} 1' in prom
    assert "<b>printing</b> ran (ok=1 changed=1)" in reports.html.read_text()
    assert document["component_summaries"]["printing"]["rows"] == [["0450050K", "1"]]
    assert "Print queues" in reports.html.read_text()

    # the history keeps it
    from fleet.history import History

    stored = History(paths.state_db).get_run(done.run.run_id)
    assert [o.component for o in stored.sites[0].outcomes][-1] == "printing"


def test_the_cli_offers_a_new_component_without_another_edit(with_printing):
    runner = CliRunner()
    listed = runner.invoke(cli, ["-o", "json", "components"])
    assert listed.exit_code == 0
    assert [c["name"] for c in json.loads(listed.output)][-1] == "printing"
    helped = runner.invoke(cli, ["deploy", "--help"])
    assert "printing" in helped.output
    refused = runner.invoke(cli, ["deploy", "X", "--component", "nope"])
    assert refused.exit_code != 0 and "printing" in refused.output


def test_the_terminal_summary_shows_outcomes_and_component_summaries(
    with_printing, project, tmp_path, capsys
):
    from fleet.cli.deploy import render_text

    registry = load_registry(project / "registry")
    paths = Paths(root=project, state=tmp_path / "state")
    request = Request(spec=RunSpec.build("plan", component="printing"))
    done = converge(paths, registry, request, ["0450050K"])
    assert done.run.exit_code == 0  # `command` does not run in check mode: nothing pending
    render_text(done.run, done.history.streaks)
    out = capsys.readouterr().out
    assert "printing" in out.splitlines()[out.splitlines().index("components") + 1]
    assert "Print queues" in out and "0450050K  1" in out
