"""The served JSON-RPC interface: method names and parameter lists exactly as the reference
(`shared/reference/opsi-api.json`, section "methods") documents them, shipped as
data/interface.json so the lab does not depend on the reference directory at run time.

Refresh with `python -m fleet.lab.sim.opsi.interface PATH/TO/opsi-api.json`; a unit test keeps
the shipped copy equal to the reference.
"""

from __future__ import annotations

import argparse
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

DATA_FILE = Path(__file__).parent / "data" / "interface.json"


def from_reference(reference: dict[str, Any]) -> dict[str, Any]:
    return {name: reference["methods"][name] for name in sorted(reference["methods"])}


@lru_cache(maxsize=1)
def load() -> dict[str, Any]:
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))


def describe(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    """One entry of backend_getInterface, in opsiconfd's shape: required params plain,
    optional ones prefixed `*`, the keyword filter `**filter`."""
    params, args, defaults, keywords = [], ["self"], [], None
    for p in spec["params"]:
        if p["name"].startswith("**"):
            keywords = p["name"][2:]
            params.append(p["name"])
            continue
        args.append(p["name"])
        if p.get("required"):
            params.append(p["name"])
        else:
            params.append("*" + p["name"])
            defaults.append(default_value(p.get("default")))
    return {
        "name": name,
        "params": params,
        "args": args,
        "varargs": None,
        "keywords": keywords,
        "defaults": defaults or None,
        "deprecated": bool(spec.get("deprecated", False)),
        "alternative_method": spec.get("alternative_method"),
        "doc": None,
        "annotations": {p["name"]: p.get("type") for p in spec["params"] if "type" in p},
    }


def default_value(text: Any) -> Any:
    """Reference defaults are Python literals as text ("None", "True", "'str'")."""
    if text in (None, "None"):
        return None
    if text in ("True", "False"):
        return text == "True"
    if isinstance(text, str) and len(text) >= 2 and text[0] == text[-1] == "'":
        return text[1:-1]
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Refresh the shipped opsi interface from the reference."
    )
    parser.add_argument("reference", type=Path)
    args = parser.parse_args(argv)
    data = from_reference(json.loads(args.reference.read_text(encoding="utf-8")))
    tmp = DATA_FILE.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    tmp.replace(DATA_FILE)
    print(f"{len(data)} methods")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
