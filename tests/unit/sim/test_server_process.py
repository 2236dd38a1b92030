"""`fleet lab sim` as a real process and fleet.lab.sim.service (what `fleet lab up` uses)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests

from fleet.cli.main import main
from fleet.errors import BadInput, FleetError
from fleet.lab.sim import service

HERE = Path(__file__).parent


def _sim_argv(state: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "fleet.cli.main",
        "lab",
        "sim",
        "pve",
        "--state",
        str(state),
        "--port",
        "0",
        "--factory",
        "conftest:echo_factory",
        *extra,
    ]


def _popen(argv: list[str]) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(HERE), "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True
    )


def test_command_prints_one_json_line_and_stops_on_sigterm_with_state_saved(tmp_path):
    state = tmp_path / "state"
    proc = _popen(_sim_argv(state, "--names", "0450050K,0180001A", "--seed", "3"))
    try:
        line = proc.stdout.readline()
        doc = json.loads(line)
        assert [d["name"] for d in doc["devices"]] == ["0450050K", "0180001A"]
        assert doc["devices"][1]["password"] == "pw-3-1"
        device = doc["devices"][0]
        posted = requests.post(device["url"] + "/items", data="a", verify=device["ca"], timeout=10)
        assert posted.status_code == 201
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert out == ""  # nothing but the one ready line on stdout
    assert "stopped, state saved" in err
    assert json.loads((state / "devices" / "0450050K.json").read_text()) == {"items": ["a"]}
    ca_before = Path(doc["ca"]).read_bytes()

    again = _popen(_sim_argv(state, "--names", "0450050K,0180001A"))
    try:
        doc2 = json.loads(again.stdout.readline())
        device = doc2["devices"][0]
        items = requests.get(device["url"] + "/items", verify=device["ca"], timeout=10).json()
        assert items == {"items": ["a"]}
        assert Path(doc2["ca"]).read_bytes() == ca_before  # clients keep trusting the same CA
    finally:
        again.send_signal(signal.SIGINT)
        again.communicate(timeout=30)
    assert again.returncode == 130


def test_sigterm_during_a_hung_request_still_exits_cleanly(tmp_path):
    proc = _popen(_sim_argv(tmp_path / "s", "--faults", "all:hang"))
    errors: list[Exception] = []
    try:
        doc = json.loads(proc.stdout.readline())
        device = doc["devices"][0]

        def hang() -> None:
            try:
                requests.get(device["url"] + "/", verify=device["ca"], timeout=60)
            except requests.exceptions.RequestException as exc:
                errors.append(exc)

        waiting = threading.Thread(target=hang)
        waiting.start()
        for _ in range(500):  # bounded wait until the simulator holds the request
            if service.control(doc, "GET", "/devices")[0]["requests"]:
                break
            threading.Event().wait(0.01)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
    waiting.join(timeout=60)
    assert proc.returncode == 0
    assert len(errors) == 1 and isinstance(errors[0], requests.exceptions.ConnectionError)


def test_service_starts_reports_controls_and_stops_a_simulator(start_sim_process, tmp_path):
    doc = start_sim_process(devices=2)
    run_dir = tmp_path / "run"
    state = service.status(run_dir, "pve")
    assert state["running"] and state["pid"] == doc["pid"] and state["endpoints"] == doc
    assert (run_dir / "pve.json").stat().st_mode & 0o077 == 0  # holds credentials

    # starting again while it runs returns the same simulator
    assert service.start(run_dir, "pve", tmp_path / "state-echo")["pid"] == doc["pid"]

    first = doc["devices"][0]
    plan = service.set_faults(doc, "dev=pve-001:error=503")
    assert plan["rules"][0]["error"] == 503
    assert requests.get(first["url"] + "/", verify=first["ca"], timeout=10).status_code == 503
    with pytest.raises(BadInput, match="error must be an integer"):
        service.set_faults(doc, "all:error=200")
    assert service.control(doc, "GET", "/faults")["spec"] == "dev=pve-001:error=503"
    devices = service.control(doc, "GET", "/devices")
    assert [d["up"] for d in devices] == [True, True] and devices[0]["requests"] == 1

    forged = {**doc, "control": {**doc["control"], "token": "wrong"}}
    with pytest.raises(FleetError, match="401"):
        service.control(forged, "GET", "/faults")

    assert service.stop(run_dir, "pve") is True
    assert service.status(run_dir, "pve") == {
        "kind": "pve",
        "running": False,
        "pid": None,
        "log": str(run_dir / "pve.log"),
        "endpoints": None,
    }
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(first["url"] + "/", verify=first["ca"], timeout=10)
    assert service.stop(run_dir, "pve") is False


def test_service_reports_a_simulator_that_fails_to_start(tmp_path):
    with pytest.raises(
        BadInput, match=r"exited with code 3 before getting ready[\s\S]*rule 1 'bogus'"
    ):
        service.start(
            tmp_path / "run",
            "pve",
            tmp_path / "s",
            port=0,
            faults="bogus",
            factory="conftest:echo_factory",
            env={"PYTHONPATH": str(HERE)},
        )
    assert not (tmp_path / "run" / "pve.pid").exists()


def test_stale_pid_file_is_never_signalled(tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "pve.pid").write_text(f"{os.getpid()}\n")  # this pytest process, not a simulator
    assert service.status(run_dir, "pve")["running"] is False
    assert service.stop(run_dir, "pve") is False


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--names", "a,a"], "repeated: a"),
        (["--devices", "2", "--names", "a"], "--devices 2 but --names lists 1 names"),
        (["--names", "a,,b"], "has an empty name"),
        (["--listen", "10.0.0.1"], "must stay inside 127.0.0.0/8"),
        (["--faults", "all:error=200"], "error must be an integer from 500 to 599"),
        (["--faults", "dev=nobody:drop"], "dev=nobody matches no device"),
    ],
)
def test_bad_command_input_exits_3_with_a_clear_message(tmp_path, capsys, args, message):
    code = main(
        [
            "lab",
            "sim",
            "pve",
            "--state",
            str(tmp_path / "s"),
            "--port",
            "0",
            "--factory",
            "conftest:echo_factory",
            *args,
        ]
    )
    assert code == 3
    captured = capsys.readouterr()
    assert message in captured.err
    assert captured.out == ""


def test_unknown_kind_is_a_usage_error(tmp_path, capsys):
    assert main(["lab", "sim", "vmware", "--state", str(tmp_path)]) == 3
    assert "'vmware' is not one of" in capsys.readouterr().err


def test_help_has_an_example():
    result = subprocess.run(
        [sys.executable, "-m", "fleet.cli.main", "lab", "sim", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "fleet lab sim pve --state" in result.stdout
