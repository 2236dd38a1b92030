"""Fault injection: the --faults language, deterministic decisions, and what a client sees."""

from __future__ import annotations

import threading

import pytest
import requests

from fleet.lab.sim import faults
from fleet.lab.sim.faults import DeviceFaults, FaultSpecError

# ---- the spec language ------------------------------------------------------------------


def test_spec_with_several_rules_parses_into_rules():
    plan = faults.parse("dev=site2,pve-00*:error=503:rate=0.5 ; all:latency=200ms;dev=x:hang")
    first, second, third = plan.rules
    assert first.devices == ("site2", "pve-00*") and first.error == 503 and first.rate == 0.5
    assert first.targets("site2") and first.targets("pve-007") and not first.targets("opn-001")
    assert second.devices is None and second.latency == pytest.approx(0.2)
    assert third.hang == faults.DEFAULT_HANG
    assert faults.parse("dev=a:flap=2s/500ms").rules[0].flap == (2.0, 0.5)
    assert faults.parse("").rules == () and faults.parse(None).rules == ()


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("site2:error=503", "rule 1 'site2:error=503': a rule starts with 'all' or 'dev="),
        ("all:error=404", "error must be an integer from 500 to 599, got '404'"),
        ("all:error=abc", "error must be an integer from 500 to 599, got 'abc'"),
        ("all:latency=fast", "latency: 'fast' is not a duration"),
        ("all:rate=0", "rate must be a number in (0, 1], got '0'"),
        ("all:rate=1.5", "rate must be a number in (0, 1]"),
        ("all:every=0", "every must be an integer from 1"),
        ("all:colour=red", "unknown option 'colour'"),
        ("all:rate=0.5", "no effect"),
        ("all:down:error=500", "down/flap concern the whole device"),
        ("all:flap=2s", "flap=UP/DOWN"),
        ("all:error=500:drop", "error, hang and drop exclude each other"),
        ("all:error=500:error=502", "option 'error' given twice"),
        ("all:drop=yes", "'drop' takes no value"),
        ("all:error=500;dev=:drop", "rule 2 'dev=:drop': dev= needs at least one device name"),
    ],
)
def test_bad_spec_names_the_rule_and_the_option(spec, message):
    with pytest.raises(FaultSpecError) as caught:
        faults.parse(spec)
    assert message in caught.value.message
    assert caught.value.exit_code == 3


def test_rule_for_an_unknown_device_is_refused():
    plan = faults.parse("dev=pve-009:error=500")
    with pytest.raises(FaultSpecError, match="dev=pve-009 matches no device"):
        plan.check_devices(["pve-001", "pve-002"])
    faults.parse("dev=pve-00*:error=500").check_devices(["pve-001"])  # a glob that matches


# ---- deterministic decisions ----------------------------------------------------------------


def _outcomes(spec: str, seed: int, name: str = "d", count: int = 200, method="GET", path="/"):
    device = DeviceFaults.select(faults.parse(spec), name, seed, 0.0)
    return [device.decide(method, path).error for _ in range(count)]


def test_rate_is_reproducible_by_seed_and_roughly_the_rate():
    first = _outcomes("all:error=503:rate=0.3", seed=1)
    assert first == _outcomes("all:error=503:rate=0.3", seed=1)
    assert first != _outcomes("all:error=503:rate=0.3", seed=2)
    assert 30 <= first.count(503) <= 90  # 200 draws at 0.3; fixed by the seed
    assert set(first) == {None, 503}


def test_each_device_has_its_own_sequence():
    assert _outcomes("all:error=500:rate=0.5", 1, "a") != _outcomes(
        "all:error=500:rate=0.5", 1, "b"
    )


def test_every_and_after_count_matching_requests():
    assert _outcomes("all:error=502:every=3", 0, count=7) == [
        None,
        None,
        502,
        None,
        None,
        502,
        None,
    ]
    assert _outcomes("all:error=500:after=2", 0, count=4) == [None, None, 500, 500]


def test_method_and_path_select_requests():
    device = DeviceFaults.select(
        faults.parse("all:error=500:method=POST,PUT:path=/api2/json/nodes/*"), "d", 0, 0.0
    )
    assert device.decide("GET", "/api2/json/nodes/pve").error is None
    assert device.decide("POST", "/api2/json/version").error is None
    assert device.decide("post", "/api2/json/nodes/pve/qemu").error == 500


def test_latencies_add_up_and_first_terminal_effect_wins():
    device = DeviceFaults.select(
        faults.parse("all:latency=100ms;dev=d:latency=1s:error=503;all:drop"), "d", 0, 0.0
    )
    decision = device.decide("GET", "/")
    assert decision.latency == pytest.approx(1.1)
    assert decision.error == 503 and not decision.drop


def test_flap_schedule_alternates_from_the_start():
    device = DeviceFaults.select(faults.parse("all:flap=2s/1s"), "d", 0, 100.0)
    assert [device.is_up(100.0 + t) for t in (0, 1.9, 2.0, 2.9, 3.0, 5.5)] == [
        True,
        True,
        False,
        False,
        True,
        False,
    ]
    assert not DeviceFaults.select(faults.parse("all:down"), "d", 0, 0.0).is_up(0.0)


# ---- what clients see ----------------------------------------------------------------------


def _get(device: dict, path: str = "/", timeout: float | tuple = 10, session=None):
    return (session or requests).get(device["url"] + path, verify=device["ca"], timeout=timeout)


def test_injected_error_uses_the_devices_own_body_and_spares_the_others(start_sim):
    sim = start_sim(devices=2, faults="dev=echo-002:error=502")
    good, bad = sim.doc["devices"]
    answer = _get(bad)
    assert answer.status_code == 502
    assert answer.json() == {"error": {"code": 502, "device": "echo-002"}}
    assert _get(good).status_code == 200


def test_injected_error_changes_no_state(start_sim, tmp_path):
    sim = start_sim(state_dir=tmp_path / "s", faults="all:error=503:method=POST")
    device = sim.doc["devices"][0]
    answer = requests.post(device["url"] + "/items", data="x", verify=device["ca"], timeout=10)
    assert answer.status_code == 503
    assert _get(device, "/items").json() == {"items": []}


def test_latency_beyond_the_client_timeout_times_out_and_within_it_answers(start_sim):
    device = start_sim(faults="all:latency=3s").doc["devices"][0]
    with pytest.raises(requests.exceptions.ReadTimeout):
        _get(device, timeout=(10, 0.3))  # (connect, read): only the read may time out
    assert _get(device, timeout=30).status_code == 200


def test_hanging_device_never_answers_and_never_blocks_the_others(start_sim):
    sim = start_sim(devices=3, faults="dev=echo-001:hang")
    hung, *others = sim.doc["devices"]
    outcome: list[BaseException] = []

    def call_hung() -> None:
        try:
            _get(hung, timeout=(10, 2))
        except requests.exceptions.RequestException as exc:
            outcome.append(exc)

    waiting = [threading.Thread(target=call_hung) for _ in range(4)]
    for thread in waiting:
        thread.start()
    for device in others:  # answered while four requests hang on the same process
        assert _get(device, timeout=10).json()["device"] == device["name"]
    for thread in waiting:
        thread.join()
    assert len(outcome) == 4
    assert all(isinstance(exc, requests.exceptions.ReadTimeout) for exc in outcome)


def test_drop_closes_the_connection_without_an_answer(start_sim):
    device = start_sim(faults="all:drop").doc["devices"][0]
    with pytest.raises(requests.exceptions.ConnectionError, match="without response|reset|aborted"):
        _get(device)


def test_down_device_refuses_connections_and_cuts_open_ones(start_sim):
    sim = start_sim(devices=2)
    victim, other = sim.doc["devices"]
    with requests.Session() as session:
        assert _get(victim, session=session).status_code == 200  # keep-alive connection open
        sim.set_faults("dev=echo-001:down")
        with pytest.raises(requests.exceptions.ConnectionError):
            _get(victim, session=session)
    with pytest.raises(requests.exceptions.ConnectionError, match="Connection refused"):
        _get(victim)
    assert _get(other).status_code == 200
    sim.set_faults("")  # back up, on the same address and port
    assert _get(victim).json()["device"] == "echo-001"


def test_device_down_from_the_start_keeps_a_url_and_comes_up_later(start_sim):
    sim = start_sim(devices=2, faults="dev=echo-002:down")
    device = sim.doc["devices"][1]
    assert device["port"] > 0
    with pytest.raises(requests.exceptions.ConnectionError, match="Connection refused"):
        _get(device)
    sim.set_faults("")
    assert _get(device).status_code == 200


def test_flapping_by_request_count_alternates_answers_and_resets(start_sim):
    device = start_sim(faults="all:drop:every=2").doc["devices"][0]
    seen = []
    for _ in range(4):
        try:
            seen.append(_get(device).status_code)
        except requests.exceptions.ConnectionError:
            seen.append("reset")
    assert seen == [200, "reset", 200, "reset"]


def test_flapping_on_a_schedule_is_sometimes_refused_sometimes_up(start_sim):
    device = start_sim(faults="all:flap=200ms/200ms").doc["devices"][0]
    seen: set[str] = set()
    for _ in range(400):  # bounded: stops as soon as both states were observed
        try:
            _get(device, timeout=5)
            seen.add("up")
        except requests.exceptions.ConnectionError:
            seen.add("refused")
        if seen == {"up", "refused"}:
            break
        threading.Event().wait(0.02)
    assert seen == {"up", "refused"}


def test_runtime_change_with_a_bad_spec_keeps_the_old_faults(start_sim):
    sim = start_sim(faults="all:error=500")
    with pytest.raises(FaultSpecError):
        sim.set_faults("all:error=999")
    with pytest.raises(FaultSpecError, match="matches no device"):
        sim.set_faults("dev=nobody:drop")
    assert _get(sim.doc["devices"][0]).status_code == 500
