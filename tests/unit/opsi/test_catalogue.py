"""The catalogue lock through the CLI on a copy of the lab registry: validate (dependency
graph, version conditions, `before` cycles, profile product ids, pins; exit 3 naming file,
product and reason, nothing written), `fleet validate` on an unknown profile product, update
from a directory of .opsi files (one product or all, change table, pinned versions held,
malformed packages refused), list and show."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from fleet.cli.main import main
from fleet.lab.sim.opsi import master
from fleet.opsi import lock as lockmod
from fleet.opsi import package

from .conftest import LAB


@pytest.fixture
def registry(tmp_path) -> Path:
    root = tmp_path / "lab"
    shutil.copytree(LAB, root, ignore=shutil.ignore_patterns("generated"))
    return root


def lock_data(root: Path) -> dict:
    return yaml.safe_load((root / lockmod.LOCK_FILE).read_text())


def save(root: Path, data: dict) -> None:
    (root / lockmod.LOCK_FILE).write_text(yaml.safe_dump(data))


def run(capsys, root: Path, *args: str) -> tuple[int, dict | list, str]:
    code = main(["--output", "json", "--registry", str(root), *args])
    out, err = capsys.readouterr()
    return code, json.loads(out) if out.strip() else {}, err


def test_the_lab_lock_is_valid(capsys, registry):
    code, doc, _ = run(capsys, registry, "opsi", "catalogue", "validate")
    assert code == 0 and doc["products"] == 800


def _break(registry: Path, how) -> tuple[int, str, str]:
    data = lock_data(registry)
    how(data)
    save(registry, data)
    before = (registry / lockmod.LOCK_FILE).read_bytes()
    code = main(["--registry", str(registry), "opsi", "catalogue", "validate"])
    assert (registry / lockmod.LOCK_FILE).read_bytes() == before  # nothing written
    return code, before.decode(), ""


@pytest.mark.parametrize(
    ("how", "message"),
    [
        (lambda d: d["products"]["firefox"]["dependencies"].append({"product": "no-such-thing", "action": "setup"}),
         "products.firefox.dependencies[1]: firefox depends on 'no-such-thing', which is not in the lock"),
        (lambda d: d["products"]["firefox"]["dependencies"][0].update(version=">= 99.0"),
         "products.firefox.dependencies[0]: firefox needs nodejs-lts >= 99.0, the lock has 43.3-4"),
        (lambda d: d["products"]["nodejs-lts"]["dependencies"].append({"product": "firefox", "action": "setup", "order": "before"}),
         "products.nodejs-lts.dependencies: cycle among `before` dependencies: nodejs-lts → firefox → nodejs-lts"),
        (lambda d: d["products"]["firefox"].update(sha256="abc"), "products.firefox.sha256: sha256 must be 64"),
        (lambda d: d["products"]["firefox"].update(version="2024"), "products.firefox.version: version '2024' is not"),
    ],
)  # fmt: skip
def test_a_broken_lock_is_refused_naming_file_product_and_reason(registry, capsys, how, message):
    code, _, _ = _break(registry, how)
    err = capsys.readouterr().err
    assert code == 3
    assert "lab/opsi/catalogue.lock.yml" in err and message in err


def test_a_profile_naming_an_unknown_product_fails_fleet_validate(registry, capsys):
    region = registry / "region.yml"
    region.write_text(region.read_text().replace("products: [firefox, libreoffice, bcdi-client]",
                                                 "products: [firefox, libreoffice, bcdi]"))  # fmt: skip
    assert main(["--registry", str(registry), "validate"]) == 3
    err = capsys.readouterr().err
    assert "lab/region.yml: opsi.profiles.cdi.products[2]: profile cdi names product 'bcdi'" in err
    assert main(["--registry", str(registry), "opsi", "catalogue", "validate"]) == 3
    assert "profile cdi names product 'bcdi'" in capsys.readouterr().err


def test_pins_are_checked(registry, capsys):
    (registry / lockmod.PINS_FILE).write_text(yaml.safe_dump({
        "sites": {"0450050K": {"exclude": ["scratch"], "pin": {"firefox": "2023.1-1"},
                               "properties": {"firefox": {"no-such-property": [True]}}},
                  "0999999Z": {"exclude": []}},
        "profiles": {"nope": {"exclude": ["vlc"]}},
    }))  # fmt: skip
    assert main(["--registry", str(registry), "opsi", "catalogue", "validate"]) == 3
    err = capsys.readouterr().err
    assert "sites.0450050K.exclude: product 'scratch' is not in the lock" in err
    assert "sites.0450050K.pin.firefox: firefox 2023.1-1 is neither the locked version" in err
    assert "firefox has no property 'no-such-property'" in err
    assert "sites.0999999Z: unknown site '0999999Z'" in err
    assert "profiles.nope: unknown profile 'nope'" in err


def _packages(tmp_path: Path, **extra: bytes) -> Path:
    out = tmp_path / "packages"
    out.mkdir()
    for name in master.file_names():
        (out / name).write_bytes(master.package_file(name))
    for name, data in extra.items():
        (out / name).write_bytes(data)
    return out


def _new_firefox(version: str = "2024.9", pkg: str = "1") -> bytes:
    product, deps, props = master._index()["firefox_2024.8-3.opsi"]
    product = {**product, "productVersion": version, "packageVersion": pkg}
    deps = [{**d, "productVersion": version, "packageVersion": pkg} for d in deps]
    return package.build(product, deps, props)


def test_update_one_product_from_a_directory(registry, capsys, tmp_path):
    new = _new_firefox()
    packages = _packages(tmp_path, **{"firefox_2024.9-1.opsi": new})
    (packages / "vlc_999.0-1.opsi").write_bytes(master.package_file("vlc_122.0-10.opsi"))
    code, doc, _ = run(
        capsys, registry, "opsi", "catalogue", "update", "firefox", "--from-dir", str(packages)
    )
    assert code == 0 and doc["written"] is True
    assert doc["changes"] == [
        {"product": "firefox", "change": "upgrade", "from": "2024.8-3", "to": "2024.9-1"}
    ]
    firefox = lock_data(registry)["products"]["firefox"]
    assert firefox["version"] == "2024.9-1" and firefox["sha256"] == package.sha256(new)
    assert lock_data(registry)["products"]["vlc"]["version"] == "122.0-10"  # only firefox
    code, doc, _ = run(
        capsys, registry, "opsi", "catalogue", "update", "firefox", "--from-dir", str(packages)
    )
    assert code == 0 and doc == {"changes": [], "written": False, "source": str(packages)}


def test_update_shows_the_change_table_and_dry_run_writes_nothing(registry, capsys, tmp_path):
    packages = _packages(tmp_path, **{"firefox_2024.9-1.opsi": _new_firefox()})
    (packages / "zotero_72.9-6.opsi").unlink()
    before = (registry / lockmod.LOCK_FILE).read_bytes()
    code = main(
        [
            "--registry",
            str(registry),
            "opsi",
            "catalogue",
            "update",
            "--from-dir",
            str(packages),
            "--dry-run",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    lines = {line.split()[0]: line.split()[1:] for line in out.splitlines()[2:] if line.strip()}
    assert lines == {
        "firefox": ["upgrade", "2024.8-3", "2024.9-1"],
        "zotero": ["removed", "72.9-6", "-"],
    }
    assert (registry / lockmod.LOCK_FILE).read_bytes() == before


def test_a_pinned_version_is_held_when_the_lock_moves_on(registry, capsys, tmp_path):
    (registry / lockmod.PINS_FILE).write_text(
        yaml.safe_dump({"sites": {"0450050K": {"pin": {"firefox": "2024.8-3"}}}})
    )
    packages = _packages(tmp_path, **{"firefox_2024.9-1.opsi": _new_firefox()})
    assert (
        main(
            [
                "--registry",
                str(registry),
                "opsi",
                "catalogue",
                "update",
                "firefox",
                "--from-dir",
                str(packages),
            ]
        )
        == 0
    )
    firefox = lock_data(registry)["products"]["firefox"]
    assert firefox["held"] == [{"version": "2024.8-3", "file": "firefox_2024.8-3.opsi",
                                "sha256": package.sha256(master.package_file("firefox_2024.8-3.opsi"))}]  # fmt: skip
    capsys.readouterr()
    assert main(["--registry", str(registry), "opsi", "catalogue", "validate"]) == 0
    catalogue, _ = lockmod.read(registry)
    products = {
        p["id"]: p for p in lockmod.site_products(catalogue, "0450050K", {"admin": ["firefox"]})
    }
    assert products["firefox"]["version"] == "2024.8-3"
    assert (
        lockmod.site_products(catalogue, "0180120H", {"admin": ["firefox"]})[-1]["version"]
        == "2024.9-1"
    )


def test_a_malformed_package_is_refused_and_nothing_written(registry, capsys, tmp_path):
    packages = _packages(tmp_path, **{"firefox_2024.9-1.opsi": b"garbage" * 100})
    before = (registry / lockmod.LOCK_FILE).read_bytes()
    assert (
        main(
            [
                "--registry",
                str(registry),
                "opsi",
                "catalogue",
                "update",
                "--from-dir",
                str(packages),
            ]
        )
        == 3
    )
    err = capsys.readouterr().err
    assert "firefox_2024.9-1.opsi: malformed .opsi package: the package is not a tar archive" in err
    assert (registry / lockmod.LOCK_FILE).read_bytes() == before


def test_an_update_that_would_break_the_graph_is_not_written(registry, capsys, tmp_path):
    product, _, props = master._index()["firefox_2024.8-3.opsi"]
    bad = package.build({**product, "productVersion": "2024.9", "packageVersion": "1"},
                        [{"requiredProductId": "not-in-catalogue", "productAction": "setup",
                          "requiredAction": "setup", "requirementType": "before"}], props)  # fmt: skip
    packages = _packages(tmp_path, **{"firefox_2024.9-1.opsi": bad})
    before = (registry / lockmod.LOCK_FILE).read_bytes()
    assert (
        main(
            [
                "--registry",
                str(registry),
                "opsi",
                "catalogue",
                "update",
                "firefox",
                "--from-dir",
                str(packages),
            ]
        )
        == 3
    )
    assert (
        "firefox depends on 'not-in-catalogue', which is not in the lock" in capsys.readouterr().err
    )
    assert (registry / lockmod.LOCK_FILE).read_bytes() == before


def test_list_and_show(registry, capsys):
    code, rows, _ = run(capsys, registry, "opsi", "catalogue", "list")
    assert code == 0 and len(rows) == 800
    assert next(r for r in rows if r["product"] == "firefox")["profiles"] == [
        "admin",
        "cdi",
        "pedago",
    ]
    code, doc, _ = run(capsys, registry, "opsi", "catalogue", "show", "nodejs-lts")
    assert code == 0 and "firefox" in doc["required_by"]
    code, doc, _ = run(capsys, registry, "opsi", "catalogue", "show", "nope")
    assert code == 3 and "no product 'nope'" in doc["message"]


def test_site_products_put_dependencies_first_and_apply_exclusions(lab_catalogue):
    pins = lockmod.Pins(profiles={"pedago": lockmod.Scope(exclude=["vlc"])},
                        sites={"0450050K": lockmod.Scope(exclude=["geogebra"],
                                                         properties={"firefox": {"desktop-link": [True]}})})  # fmt: skip
    catalogue = lockmod.Catalogue(lab_catalogue.lock, pins)
    products = lockmod.site_products(
        catalogue, "0450050K", {"pedago": ["firefox", "vlc", "geogebra", "7zip"]}
    )
    ids = [p["id"] for p in products]
    assert "vlc" not in ids and "geogebra" not in ids
    assert ids.index("nodejs-lts") < ids.index("firefox")
    assert next(p for p in products if p["id"] == "firefox")["properties"] == {
        "desktop-link": [True]
    }
