"""What `fleet switch render` shows: one switch's intended configuration, from the registry
through the same inventory host var (`switch_intent`) and the same renderer the role uses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fleet.errors import BadInput
from fleet.switches.render import RenderError, render

TEMPLATE_DIR = "templates/switches"


def intent(registry_path: Path, uai: str, name: str) -> dict[str, Any]:
    """The `switch_intent` of switch `name` of site `uai` (BadInput naming what exists)."""
    from fleet import inventory
    from fleet.registry import load_registry

    registry = load_registry(registry_path)
    uai = uai.upper()
    if uai not in registry.sites:
        raise BadInput(f"unknown site {uai} in {registry_path}")
    site = registry.site(uai)
    names = [s.name for s in site.switches]
    if name not in names:
        raise BadInput(
            f"site {uai} has no switch {name!r} (its switches: {', '.join(names) or 'none'})"
        )
    inv = inventory.build(registry, [uai])
    return inv.hostvars[registry.fqdn(uai, name)]["switch_intent"]


def rendered(project_root: Path, registry_path: Path, uai: str, name: str) -> str:
    """The intended configuration text (the SNMP community masked: it lives in the vault)."""
    data = intent(registry_path, uai, name)
    try:
        return render(data, Path(project_root) / TEMPLATE_DIR)
    except RenderError as exc:
        raise BadInput(str(exc)) from exc
