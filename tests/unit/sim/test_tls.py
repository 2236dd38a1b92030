"""The lab CA and device certificates: made once, reused, verified by real clients."""

from __future__ import annotations

import socket
import ssl
import stat
import threading

import httpx
import pytest
import requests
from cryptography import x509

from fleet.errors import BadInput
from fleet.lab.sim.tls import CertAuthority, client_context


def test_ca_is_created_once_and_reused(tmp_path):
    first = CertAuthority.ensure(tmp_path / "ca")
    again = CertAuthority.ensure(tmp_path / "ca")
    assert again.cert_path.read_bytes() == first.cert_path.read_bytes()
    assert stat.S_IMODE((tmp_path / "ca" / "ca.key").stat().st_mode) == 0o600
    basic = first.cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    assert basic.ca is True


def test_simulators_starting_together_share_one_ca(tmp_path):
    made: list[bytes] = []

    def ensure() -> None:
        made.append(CertAuthority.ensure(tmp_path / "shared").cert_path.read_bytes())

    threads = [threading.Thread(target=ensure) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(made) == 6 and len(set(made)) == 1


def test_server_certificate_names_the_address_and_is_reused_until_names_change(tmp_path):
    ca = CertAuthority.ensure(tmp_path / "ca")
    files = ca.issue(tmp_path / "tls", "pve-001", "127.100.0.1", ["pve-001"])
    cert = x509.load_pem_x509_certificate(files.cert.read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["127.100.0.1"]
    assert san.get_values_for_type(x509.DNSName) == ["pve-001"]
    assert stat.S_IMODE(files.key.stat().st_mode) == 0o600

    pem = files.cert.read_bytes()
    assert (
        ca.issue(tmp_path / "tls", "pve-001", "127.100.0.1", ["pve-001"]).cert.read_bytes() == pem
    )
    moved = ca.issue(tmp_path / "tls", "pve-001", "127.100.0.9", ["pve-001"])
    assert moved.cert.read_bytes() != pem


def test_certificate_from_another_ca_is_replaced(tmp_path):
    old_ca = CertAuthority.ensure(tmp_path / "old")
    old_ca.issue(tmp_path / "tls", "d", "127.100.0.1")
    new_ca = CertAuthority.ensure(tmp_path / "new")
    files = new_ca.issue(tmp_path / "tls", "d", "127.100.0.1")
    x509.load_pem_x509_certificate(files.cert.read_bytes()).verify_directly_issued_by(new_ca.cert)


def test_unreadable_ca_is_reported_with_its_files(tmp_path):
    (tmp_path / "ca").mkdir()
    (tmp_path / "ca" / "ca.pem").write_text("garbage")
    (tmp_path / "ca" / "ca.key").write_text("garbage")
    with pytest.raises(BadInput, match=r"ca\.pem .* not a usable lab CA"):
        CertAuthority.ensure(tmp_path / "ca")


def test_clients_verify_devices_against_the_lab_ca(start_sim):
    device = start_sim().doc["devices"][0]
    assert requests.get(device["url"] + "/", verify=device["ca"], timeout=10).status_code == 200
    ctx = client_context(device["ca"])
    assert httpx.get(device["url"] + "/", verify=ctx, timeout=10).status_code == 200


def test_clients_without_the_lab_ca_refuse_the_device(start_sim):
    device = start_sim().doc["devices"][0]
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(device["url"] + "/", timeout=10)  # system trust store only
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(device["url"] + "/", timeout=10)


def test_a_device_certificate_is_not_valid_for_another_address(start_sim):
    sim = start_sim(devices=2)
    first, second = sim.doc["devices"]
    ctx = client_context(first["ca"])
    # device 1's certificate presented for device 2's address: hostname check fails
    with (
        socket.create_connection((first["host"], first["port"]), timeout=10) as raw,
        pytest.raises(ssl.SSLCertVerificationError, match="IP address mismatch"),
    ):
        ctx.wrap_socket(raw, server_hostname=second["host"])
    with (
        socket.create_connection((first["host"], first["port"]), timeout=10) as raw,
        ctx.wrap_socket(raw, server_hostname=first["host"]) as tls,
    ):
        assert tls.version() in ("TLSv1.2", "TLSv1.3")


def test_dns_suffix_adds_a_certified_name(start_sim, tmp_path):
    sim = start_sim(state_dir=tmp_path / "s", dns_suffix="lab.example")
    files = tmp_path / "s" / "tls" / "echo-001.pem"
    san = x509.load_pem_x509_certificate(files.read_bytes()).extensions.get_extension_for_class(
        x509.SubjectAlternativeName
    )
    assert set(san.value.get_values_for_type(x509.DNSName)) == {"echo-001", "echo-001.lab.example"}
    assert sim.doc["devices"][0]["host"] == "127.100.0.1"
