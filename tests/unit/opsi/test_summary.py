"""The catalogue-wide view of a run, from the fleet_opsi_depot results in each site's run
artifacts: each product's from → to, how many depots, which sites."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from fleet.opsi.summary import catalogue

UUID = "0242ac11-0002-443b-cdb1-000000000001"


@dataclass
class SiteRun:
    site: str
    run_dir: str


@dataclass
class Run:
    sites: list[SiteRun]


def site_run(tmp: Path, uai: str, results: list[dict]) -> SiteRun:
    events = tmp / uai / "artifacts" / "ident" / "job_events"
    events.mkdir(parents=True)
    for i, res in enumerate(results, 1):
        event = {"event": "runner_on_ok", "counter": i,
                 "event_data": {"task_action": "fleet_opsi_depot", "res": res}}  # fmt: skip
        (events / f"{i}-{UUID}.json").write_text(json.dumps(event))  # as ansible-runner names it
    (events / f"0-{UUID}.json").write_text(json.dumps({"event": "runner_on_ok", "counter": 0,
        "event_data": {"task_action": "ansible.builtin.apt", "res": {"changed": False}}}))  # fmt: skip
    return SiteRun(uai, str(tmp / uai))


def change(depot: str, product: str, old: str | None, new: str) -> dict:
    return {"depot": depot, "product": product, "from": old, "to": new, "action": "upgrade"}


def test_each_product_change_is_counted_across_depots(tmp_path):
    run = Run([
        site_run(tmp_path, "0450050K", [{"depot": "d1", "products": [
            change("d1", "firefox", "2024.8-3", "2024.9-1"), change("d1", "vlc", None, "122.0-10")],
            "properties": [], "unmanaged": ["thunderbird 1.0-1"]}]),
        site_run(tmp_path, "0180120H", [{"depot": "d2", "products": [
            change("d2", "firefox", "2024.7-1", "2024.9-1")], "properties": [{"product": "x"}],
            "unmanaged": []}]),
        SiteRun("0180051H", ""),  # a site where no depot task ran
    ])  # fmt: skip
    view = catalogue(run)
    assert view["columns"] == ["product", "from", "to", "depots", "sites"]
    assert view["rows"] == [
        ["firefox", "2024.7-1 (1), 2024.8-3 (1)", "2024.9-1", "2", "0180120H, 0450050K"],
        ["vlc", "absent", "122.0-10", "1", "0450050K"],
    ]
    assert view["sites"]["0450050K"]["unmanaged"] == ["thunderbird 1.0-1"]
    assert "0180120H: 0 unmanaged, 1 property value(s)" in view["note"]


def test_no_depot_task_no_view(tmp_path):
    assert catalogue(Run([SiteRun("0450050K", str(tmp_path))])) is None


def test_the_json_and_html_reports_carry_the_view(tmp_path):
    from fleet.report import html, json_report
    from fleet.runner.result import FleetRun, RunResult

    lycee = site_run(tmp_path, "0450050K", [{"depot": "d1", "products": [
        change("d1", "firefox", "2024.8-3", "2024.9-1")], "properties": [], "unmanaged": []}])  # fmt: skip
    run = FleetRun(run_id="r1", command="plan", mode="check", component="opsi")
    run.sites = [RunResult(site="0450050K", mode="check", status="drift", run_dir=lycee.run_dir)]
    doc = json_report.build(run)
    assert doc["component_summaries"]["opsi"]["rows"] == [
        ["firefox", "2024.8-3", "2024.9-1", "1", "0450050K"]
    ]
    page = html.render(run)
    assert "OPSI catalogue across depots" in page and "2024.9-1" in page
