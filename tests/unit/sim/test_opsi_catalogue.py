"""The shipped catalogue: generated deterministically by scripts/gen_opsi_catalogue.py, ~800
realistic products with valid ids and versions, dependencies that point to real products
without cycles, sane properties; the simulator only loads it."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from opsi_client import new_device, ok

from fleet.lab.sim.opsi import catalogue

SCRIPT = Path(__file__).parents[3] / "scripts" / "gen_opsi_catalogue.py"


@pytest.fixture(scope="module")
def gen():
    """The generator script as a module (it lives outside the package on purpose)."""
    spec = importlib.util.spec_from_file_location("gen_opsi_catalogue", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_shipped_file_is_what_the_generator_makes(gen):
    shipped = catalogue.DATA_FILE.read_text(encoding="utf-8")
    assert shipped == gen.render(gen.generate())


def test_generation_is_deterministic_and_seeded(gen):
    assert gen.generate(seed=1) == gen.generate(seed=1)
    assert gen.generate(seed=1) != gen.generate(seed=2)


def test_the_file_is_read_lazily_and_once():
    code = (
        "from fleet.lab.sim.opsi import catalogue, factory\n"
        "print(catalogue.load.cache_info().misses)\n"
        "factory('opsi-001', 0, None, 0)\n"
        "factory('opsi-002', 1, None, 0)\n"
        "info = catalogue.load.cache_info()\n"
        "print(info.misses, info.hits)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["0", "1", "1"]


def test_devices_serve_the_shipped_file_as_it_is(tmp_path, monkeypatch):
    data = json.loads(catalogue.DATA_FILE.read_text(encoding="utf-8"))
    sample = {**data, "products": data["products"][:3], "productDependencies": []}
    sample["productProperties"] = []
    path = tmp_path / "catalogue.json"
    path.write_text(json.dumps(sample), encoding="utf-8")
    monkeypatch.setattr(catalogue, "DATA_FILE", path)
    catalogue.load.cache_clear()
    try:
        served = ok(new_device(), "product_getIdents", "dict")
    finally:
        catalogue.load.cache_clear()
    assert sorted(p["id"] for p in served) == sorted(p["id"] for p in data["products"][:3])


def test_size_ids_and_versions():
    data = json.loads(catalogue.DATA_FILE.read_text(encoding="utf-8"))
    products = data["products"]
    ids = [p["id"] for p in products]
    assert len(ids) == 800 and len(set(ids)) == 800
    for name in (
        "firefox",
        "7zip",
        "libreoffice",
        "geogebra",
        "scratch-desktop",
        "pronote-client",
        "win11-x64",
    ):
        assert name in ids
    for p in products:
        assert re.match(r"^[a-z0-9][a-z0-9-_.]{0,127}$", p["id"]), p["id"]
        assert re.match(r"^[a-zA-Z0-9.]{1,32}$", p["productVersion"]) and re.match(
            r"^[a-zA-Z0-9.]{1,16}$", p["packageVersion"]
        )


def test_dependencies_point_to_catalogue_products_without_cycles():
    cat = catalogue.load()
    ids = {p["id"] for p in cat.products.values()}
    graph: dict[str, set[str]] = {}
    for dep in cat.dependencies.values():
        assert dep["requiredProductId"] in ids
        assert dep["requiredAction"] or dep["requiredInstallationStatus"]
        assert dep["requirementType"] in ("before", "after", None)
        graph.setdefault(dep["productId"], set()).add(dep["requiredProductId"])
    seen: dict[str, int] = {}

    def visit(node: str) -> None:
        assert seen.get(node) != 1, f"dependency cycle through {node}"
        if seen.get(node) == 2:
            return
        seen[node] = 1
        for nxt in graph.get(node, ()):
            visit(nxt)
        seen[node] = 2

    for node in graph:
        visit(node)
    assert len(cat.dependencies) > 300 and {
        d["requirementType"] for d in cat.dependencies.values()
    } == {"before", "after", None}


def test_properties_have_types_and_consistent_defaults():
    cat = catalogue.load()
    kinds = {p["type"] for p in cat.properties.values()}
    assert kinds == {"UnicodeProductProperty", "BoolProductProperty"}
    for prop in cat.properties.values():
        if prop["type"] == "BoolProductProperty":
            assert prop["possibleValues"] == [False, True] and len(prop["defaultValues"]) <= 1
        elif not prop["editable"]:
            assert set(prop["defaultValues"]) <= set(prop["possibleValues"]), prop
    assert len(cat.products) == 800
