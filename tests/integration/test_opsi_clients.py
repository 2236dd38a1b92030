"""A plain JSON-RPC client (requests, TLS verified against the lab CA) drives the opsiconfd
simulator through the real simulator server: log in with Basic auth, keep the session cookie,
upload a real .opsi file to the depot's repository by WebDAV PUT, install it with
depot_installPackage and read it back. Also: wrong credentials and a restart with state kept."""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path

import pytest
import requests

from fleet.lab.sim.kinds import load_factory
from fleet.lab.sim.server import BackgroundSim, SimConfig

CONTROL_TOML = """\
[Package]
version = "1"
depends = [{package = "7zip"}]

[Product]
type = "LocalbootProduct"
id = "fleet-demo"
name = "Fleet demo"
description = "Installed by the integration test"
version = "2.0"
priority = 0
licenseRequired = false
setupScript = "setup.opsiscript"
uninstallScript = "uninstall.opsiscript"

[[ProductProperty]]
type = "UnicodeProductProperty"
name = "edition"
description = "Edition"
values = ["college", "lycee"]
default = ["lycee"]
editable = false
multivalue = false
"""


def _tar(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def opsi_package() -> bytes:
    """The .opsi layout: an uncompressed tar holding OPSI.tar.gz and CLIENT_DATA.tar.gz."""
    opsi = gzip.compress(_tar({"OPSI/control.toml": CONTROL_TOML.encode()}))
    client = gzip.compress(_tar({"CLIENT_DATA/setup.opsiscript": b"[Actions]\n"}))
    return _tar({"OPSI.tar.gz": opsi, "CLIENT_DATA.tar.gz": client})


def _config(state_dir: Path) -> SimConfig:
    return SimConfig(
        kind="opsi",
        factory=load_factory("opsi"),
        state_dir=state_dir,
        names=["opsi-001", "opsi-002"],
        port=0,
    )


class Rpc:
    def __init__(self, dev: dict):
        self.url = dev["url"]
        self.http = requests.Session()
        # per request: a session-level verify loses to REQUESTS_CA_BUNDLE (a requests quirk)
        self.ca = dev["ca"]
        self.http.auth = (dev["username"], dev["password"])
        self.n = 0

    def __call__(self, method: str, *params):
        self.n += 1
        resp = self.http.post(
            f"{self.url}/rpc",
            json={"jsonrpc": "2.0", "id": self.n, "method": method, "params": list(params)},
            verify=self.ca,
            timeout=20,
        )
        resp.raise_for_status()
        body = resp.json()
        assert body["id"] == self.n and body["jsonrpc"] == "2.0"
        if "error" in body:
            raise RuntimeError(body["error"])
        return body["result"]


def test_install_a_package_on_a_depot_and_read_it_back(tmp_path):
    with BackgroundSim(_config(tmp_path / "state")) as sim:
        dev, other = sim.doc["devices"]
        rpc = Rpc(dev)
        assert rpc("accessControl_authenticated") is True
        assert "opsiconfd-session" in rpc.http.cookies  # later calls ride on the session cookie
        depot = rpc("host_getObjects", [], {"type": "OpsiConfigserver"})[0]["id"]
        assert depot == dev["depot_id"]
        assert len(rpc("productOnDepot_getIdents", "str", {"depotId": depot})) == 800

        put = rpc.http.put(
            f"{dev['url']}/repository/fleet-demo_2.0-1.opsi",
            data=opsi_package(),
            verify=rpc.ca,
            timeout=20,
        )
        assert put.status_code == 201
        assert rpc("depot_installPackage", "/var/lib/opsi/repository/fleet-demo_2.0-1.opsi") is None

        pod = rpc("productOnDepot_getObjects", [], {"productId": "fleet-demo", "depotId": depot})
        assert [(p["productVersion"], p["packageVersion"], p["locked"]) for p in pod] == [
            ("2.0", "1", False)
        ]
        product = rpc("product_getObjects", [], {"id": "fleet-demo"})[0]
        assert product["name"] == "Fleet demo" and product["type"] == "LocalbootProduct"
        prop = rpc("productProperty_getObjects", [], {"productId": "fleet-demo"})[0]
        assert (prop["propertyId"], prop["possibleValues"], prop["defaultValues"]) == (
            "edition",
            ["college", "lycee"],
            ["lycee"],
        )

        # the other device in the same process is untouched
        assert Rpc(other)("product_getObjects", [], {"id": "fleet-demo"}) == []

        bad = requests.post(
            f"{dev['url']}/rpc",
            json={"id": 1, "method": "backend_info", "params": []},
            auth=(dev["username"], "wrong"),
            verify=dev["ca"],
            timeout=20,
        )
        assert bad.status_code == 401
        assert bad.json() == {"id": None, "result": None, "error": "Authentication error"}

        broken = rpc.http.post(f"{dev['url']}/rpc", data=b"{not json", verify=rpc.ca, timeout=20)
        assert broken.status_code == 400 and broken.json()["id"] == 0

    # a restart of the simulator keeps the installed package
    with BackgroundSim(_config(tmp_path / "state")) as sim:
        rpc = Rpc(sim.doc["devices"][0])
        assert rpc("product_getIdents", "str", {"id": "fleet-demo"}) == ["fleet-demo;2.0;1"]


def test_tls_verification_is_on(tmp_path):
    with BackgroundSim(_config(tmp_path / "state")) as sim:
        dev = sim.doc["devices"][0]
        with pytest.raises(requests.exceptions.SSLError):
            requests.post(f"{dev['url']}/rpc", json={"id": 1, "method": "backend_info"}, timeout=20)
