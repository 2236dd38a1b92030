"""The shipped catalogue: generated deterministically, ~800 realistic products with valid ids
and versions, dependencies that point to real products without cycles, sane properties."""

from __future__ import annotations

import json
import re

from fleet.lab.sim.opsi import catalogue


def test_shipped_file_is_what_the_generator_makes():
    shipped = catalogue.DATA_FILE.read_text(encoding="utf-8")
    assert shipped == catalogue.render(catalogue.generate())


def test_generation_is_deterministic_and_seeded():
    assert catalogue.generate(seed=1) == catalogue.generate(seed=1)
    assert catalogue.generate(seed=1) != catalogue.generate(seed=2)


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
    assert cat.stats()["products"] == 800
