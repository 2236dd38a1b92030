"""Building and reading .opsi files: deterministic bytes, a round trip through both readers
(fleet's and the simulator's), malformed packages refused with the reason."""

from __future__ import annotations

import gzip
import io
import tarfile

import pytest

from fleet.lab.sim.opsi import packages as sim_packages
from fleet.opsi import package

PRODUCT = {"id": "firefox", "type": "LocalbootProduct", "productVersion": "2024.9",
           "packageVersion": "1", "name": "Firefox", "description": "Web browser\nsecond line",
           "setupScript": "setup.opsiscript", "priority": 5}  # fmt: skip
DEPS = [{"requiredProductId": "nodejs-lts", "productAction": "setup", "requiredAction": "setup",
         "requirementType": "before", "requiredProductVersion": "43.3",
         "requiredPackageVersion": "4"}]  # fmt: skip
PROPS = [
    {"propertyId": "desktop-link", "type": "BoolProductProperty", "defaultValues": [False]},
    {"propertyId": "lang", "type": "UnicodeProductProperty", "possibleValues": ["fr", "en"],
     "defaultValues": ["fr"], "editable": False, "multiValue": False},
]  # fmt: skip


def test_build_is_deterministic_and_reads_back():
    data = package.build(PRODUCT, DEPS, PROPS)
    assert data == package.build(PRODUCT, DEPS, PROPS)
    entry = package.read(data)
    assert entry == {
        "id": "firefox",
        "type": "localboot",
        "version": "2024.9-1",
        "file": "firefox_2024.9-1.opsi",
        "sha256": package.sha256(data),
        "dependencies": [
            {
                "product": "nodejs-lts",
                "action": "setup",
                "required_action": "setup",
                "version": "= 43.3-4",
                "order": "before",
            }  # fmt: skip
        ],
        "properties": {"desktop-link": [False], "lang": ["fr"]},
    }
    other = package.build({**PRODUCT, "packageVersion": "2"}, DEPS, PROPS)
    assert package.sha256(other) != entry["sha256"]


def test_the_simulator_reads_the_same_package():
    sim = sim_packages.read_package(package.build(PRODUCT, DEPS, PROPS))
    assert (sim.product["id"], sim.product["productVersion"], sim.product["packageVersion"]) == (
        "firefox", "2024.9", "1",
    )  # fmt: skip
    assert sim.product["description"] == "Web browser\nsecond line"
    assert [d["requiredProductId"] for d in sim.dependencies] == ["nodejs-lts"]
    assert sim.dependencies[0]["requirementType"] == "before"
    assert {p["propertyId"]: p["defaultValues"] for p in sim.properties} == {
        "desktop-link": [False], "lang": ["fr"],
    }  # fmt: skip


def _tar(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, body in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    return buf.getvalue()


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"not an archive at all" * 30, "not a tar archive"),
        (_tar({"CLIENT_DATA.tar.gz": b""}), "no OPSI archive"),
        (_tar({"OPSI.tar.gz": gzip.compress(_tar({"OPSI/control": b"[Product]\nid: x\n"}))}),
         "no CLIENT_DATA"),
        (_tar({"OPSI.tar.gz": b"garbage", "CLIENT_DATA.tar.gz": b""}), "cannot be decompressed"),
        (_tar({"OPSI.tar.gz": gzip.compress(_tar({"OPSI/readme": b"x"})),
               "CLIENT_DATA.tar.gz": gzip.compress(_tar({}))}), "no control file"),
        (_tar({"OPSI.tar.gz": gzip.compress(_tar({"OPSI/control": b"[Package]\nversion: 1\n"})),
               "CLIENT_DATA.tar.gz": gzip.compress(_tar({}))}), "no \\[Product\\] section"),
    ],
)  # fmt: skip
def test_malformed_packages_are_refused_with_the_reason(data, reason):
    with pytest.raises(package.PackageError, match=reason):
        package.read(data)
