"""The simulator server core: many devices per process, request/response translation, errors,
state persisted atomically and reloaded. Devices here are the echo device from conftest."""

from __future__ import annotations

import json
import logging
import os
import ssl
import threading
from pathlib import Path

import httpx
import pytest
import requests

from fleet.errors import BadInput
from fleet.lab.sim.server import BackgroundSim, plan_addresses


def test_ready_document_lists_every_device_with_url_ca_and_credentials(start_sim):
    sim = start_sim(devices=3, seed=7)
    doc = sim.doc
    names = [d["name"] for d in doc["devices"]]
    assert names == ["echo-001", "echo-002", "echo-003"]
    hosts = [d["host"] for d in doc["devices"]]
    assert hosts == ["127.100.0.1", "127.100.0.2", "127.100.0.3"]
    for index, device in enumerate(doc["devices"]):
        assert device["url"] == f"https://{device['host']}:{device['port']}"
        assert device["ca"] == doc["ca"] and Path(device["ca"]).is_file()
        assert device["username"] == f"user-{index}"
        assert device["password"] == f"pw-7-{index}"
    assert doc["control"]["url"].startswith("https://127.0.0.1:")


def test_each_device_answers_on_its_own_address(start_sim):
    sim = start_sim(devices=3)
    for device in sim.doc["devices"]:
        answer = requests.get(device["url"] + "/hello", verify=device["ca"], timeout=10)
        assert answer.status_code == 200
        assert answer.json()["device"] == device["name"]
        assert answer.headers["X-Echo-Device"] == device["name"]


def test_port_layout_puts_every_device_on_one_address(start_sim):
    sim = start_sim(devices=4, layout="port", listen="127.0.0.1")
    ports = {d["port"] for d in sim.doc["devices"]}
    assert {d["host"] for d in sim.doc["devices"]} == {"127.0.0.1"}
    assert len(ports) == 4
    for device in sim.doc["devices"]:
        ctx = ssl.create_default_context(cafile=device["ca"])
        got = httpx.get(device["url"] + "/", verify=ctx, timeout=10).json()
        assert got["device"] == device["name"]


def test_request_reaches_the_device_as_sent(start_sim):
    device = start_sim().doc["devices"][0]
    answer = requests.put(
        device["url"] + "/api2/json/nodes?a=1&a=2&empty=&x=%C3%A9",
        data=b"k=v&k2=v2",
        headers={"X-Mixed-Case": "Value", "Content-Type": "application/x-www-form-urlencoded"},
        verify=device["ca"],
        timeout=10,
    ).json()
    assert answer["method"] == "PUT"
    assert answer["path"] == "/api2/json/nodes"
    assert answer["query"] == {"a": ["1", "2"], "empty": [""], "x": ["é"]}
    assert answer["headers"]["x-mixed-case"] == "Value"  # names lower-cased, values kept
    assert answer["body"] == "k=v&k2=v2"
    assert answer["remote"] == "127.0.0.1"


def test_large_body_is_delivered_whole(start_sim):
    device = start_sim().doc["devices"][0]
    payload = b"x" * (3 * 1024 * 1024)  # beyond aiohttp's 1 MiB default: .opsi uploads are big
    answer = requests.post(device["url"] + "/upload", data=payload, verify=device["ca"], timeout=30)
    assert answer.status_code == 200
    assert answer.json()["body_length"] == len(payload)


def test_reason_phrase_is_kept_on_one_line(start_sim):
    device = start_sim().doc["devices"][0]
    answer = requests.get(device["url"] + "/reason", verify=device["ca"], timeout=10)
    assert answer.status_code == 400
    assert answer.reason.startswith("bad parameter:")
    assert "\n" not in answer.reason


def test_device_that_raises_answers_500_with_its_error_body_and_logs(start_sim, caplog):
    device = start_sim().doc["devices"][0]
    with caplog.at_level(logging.ERROR, logger="fleet.lab.sim"):
        answer = requests.get(device["url"] + "/boom", verify=device["ca"], timeout=10)
    assert answer.status_code == 500
    assert answer.json() == {"error": {"code": 500, "device": "echo-001"}}
    assert "Traceback" not in answer.text and "secret internals" not in answer.text
    assert "device bug: secret internals" in caplog.text  # the operator sees it on stderr
    # the device keeps serving
    assert requests.get(device["url"] + "/", verify=device["ca"], timeout=10).status_code == 200


def test_device_returning_an_unusable_response_answers_500_with_its_error_body(start_sim):
    device = start_sim().doc["devices"][0]
    answer = requests.get(device["url"] + "/bad-response", verify=device["ca"], timeout=10)
    assert answer.status_code == 500
    assert answer.json() == {"error": {"code": 500, "device": "echo-001"}}


def test_mutation_is_on_disk_before_the_answer_and_survives_a_restart(start_sim, tmp_path):
    state_dir = tmp_path / "state"
    sim = start_sim(state_dir=state_dir, devices=2)
    first, second = sim.doc["devices"]
    answer = requests.post(first["url"] + "/items", data="vm-100", verify=first["ca"], timeout=10)
    assert answer.status_code == 201
    saved = json.loads((state_dir / "devices" / "echo-001.json").read_text())
    assert saved == {"items": ["vm-100"]}
    assert json.loads((state_dir / "devices" / "echo-002.json").read_text()) == {"items": []}
    assert not [p for p in (state_dir / "devices").iterdir() if p.name.startswith(".")]
    sim.stop()

    again = start_sim(state_dir=state_dir, devices=2)
    first = again.doc["devices"][0]
    items = requests.get(first["url"] + "/items", verify=first["ca"], timeout=10).json()
    assert items == {"items": ["vm-100"]}


def test_concurrent_writes_are_each_on_disk_before_their_answer(start_sim, tmp_path):
    state_dir = tmp_path / "state"
    device = start_sim(state_dir=state_dir, devices=2).doc["devices"][0]
    path = state_dir / "devices" / "echo-001.json"
    problems: list[str] = []

    def write(n: int) -> None:
        answer = requests.post(
            device["url"] + "/items", data=f"vm-{n}", verify=device["ca"], timeout=30
        )
        on_disk = json.loads(path.read_text())["items"]
        if answer.status_code != 201 or f"vm-{n}" not in on_disk:
            problems.append(f"vm-{n}: {answer.status_code}, on disk {on_disk}")

    threads = [threading.Thread(target=write, args=(n,)) for n in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert problems == []
    assert sorted(json.loads(path.read_text())["items"]) == sorted(f"vm-{n}" for n in range(24))


def test_reads_do_not_rewrite_state(start_sim, tmp_path):
    state_dir = tmp_path / "state"
    device = start_sim(state_dir=state_dir).doc["devices"][0]
    path = state_dir / "devices" / "echo-001.json"
    before = path.stat().st_ino
    for _ in range(3):
        requests.get(device["url"] + "/items", verify=device["ca"], timeout=10)
    # a POST that changes nothing does not rewrite either (the snapshot is compared)
    requests.post(device["url"] + "/echo", data="x", verify=device["ca"], timeout=10)
    assert path.stat().st_ino == before  # an atomic rewrite would give a new inode


def test_corrupt_state_file_is_refused_naming_it_and_left_alone(tmp_path, make_sim_config):
    state_dir = tmp_path / "state"
    (state_dir / "devices").mkdir(parents=True)
    bad = state_dir / "devices" / "echo-001.json"
    bad.write_text("{not json")
    sim = BackgroundSim(make_sim_config("echo", state_dir))
    with pytest.raises(BadInput, match=r"echo-001\.json: saved device state is not valid JSON"):
        sim.start()
    assert bad.read_text() == "{not json"


@pytest.mark.parametrize(
    ("names", "listen", "message"),
    [
        (["a", "a"], None, "must be unique; repeated: a"),
        (["../etc"], None, "device name '../etc'"),
        (["ok"], "10.1.2.3", "must stay inside 127.0.0.0/8"),
        (["ok"], "localhost", "is not an IPv4 address"),
        (["a", "b"], "127.255.255.254", "touches 127.0.0.0 or 127.255.255.255"),
    ],
)
def test_bad_settings_are_refused_before_listening(
    tmp_path, make_sim_config, names, listen, message
):
    sim = BackgroundSim(make_sim_config("echo", tmp_path / "s", names=names, listen=listen))
    with pytest.raises(BadInput, match=message.replace(".", r"\.").replace("(", r"\(")):
        sim.start()


def test_address_already_in_use_names_the_device(start_sim, tmp_path, make_sim_config):
    taken = start_sim().doc["devices"][0]
    clash = BackgroundSim(
        make_sim_config(
            "echo", tmp_path / "other", names=["clash"], listen=taken["host"], port=taken["port"]
        )
    )
    with pytest.raises(
        BadInput, match=rf"device 'clash': cannot listen on {taken['host']}:{taken['port']}"
    ):
        clash.start()


def test_a_state_directory_serves_one_simulator_at_a_time(start_sim, tmp_path, make_sim_config):
    start_sim(state_dir=tmp_path / "shared")
    second = BackgroundSim(make_sim_config("echo", tmp_path / "shared"))
    with pytest.raises(
        BadInput,
        match=rf"shared: state directory in use by a running simulator \(pid {os.getpid()}\)",
    ):
        second.start()


def test_plan_addresses_crosses_octets_and_keeps_the_port():
    planned = plan_addresses([f"d{i}" for i in range(300)], "127.100.0.1", 8006, "address")
    assert planned[0] == ("127.100.0.1", 8006)
    assert planned[255] == ("127.100.1.0", 8006)
    assert planned[299] == ("127.100.1.44", 8006)
    assert plan_addresses(["a", "b"], None, 9000, "port") == [
        ("127.0.0.1", 9000),
        ("127.0.0.1", 9001),
    ]
