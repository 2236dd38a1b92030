"""The intended configuration of one switch: `switch_intent` (fleet.registry.switches.intent)
rendered with templates/switches/<platform>.j2. Deterministic: the same intent gives the same
text, byte for byte; ports are expanded here so the templates stay simple.

`fleet switch render` and the `fleet_switch_config` module both call `render`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

MASK = "********"
SECRET_KEYS = ("snmp_community",)


class RenderError(ValueError):
    """The intent or the template is unusable (names what)."""


def parse_range(text: str) -> tuple[int, int]:
    first, _, last = str(text).partition("-")
    return int(first), int(last or first)


def expand_ports(intent: dict[str, Any]) -> list[dict[str, Any]]:
    """Every port 1..port_count with its interface name and what its profile says (None for a
    port no range assigns)."""
    profiles = intent["profiles"]
    by_port: dict[int, str] = {}
    for item in intent["ports"]:
        first, last = parse_range(item["ports"])
        for port in range(first, last + 1):
            by_port[port] = item["profile"]
    ports = []
    for port in range(1, int(intent["port_count"]) + 1):
        name = by_port.get(port)
        entry: dict[str, Any] = {
            "port": port,
            "interface": intent["interface"].format(port=port),
            "profile": name,
            "mode": None,
            "untagged": None,
            "tagged": [],
            "description": "",
            "allowed": [],
        }
        if name is not None:
            if name not in profiles:
                raise RenderError(f"port {port}: unknown profile {name!r}")
            entry.update(profiles[name])
            entry["tagged"] = list(entry["tagged"])
            native = [entry["untagged"]] if entry["untagged"] else []
            entry["allowed"] = sorted({*native, *entry["tagged"]})
        ports.append(entry)
    return ports


def render(
    intent: dict[str, Any],
    template_dir: str | Path,
    secrets: dict[str, str] | None = None,
) -> str:
    """The intended configuration text. Missing secrets render as the mask (for review)."""
    import jinja2

    platform = intent.get("platform", "")
    secrets = {k: (secrets or {}).get(k) or MASK for k in SECRET_KEYS}
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template_dir)),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    try:
        template = env.get_template(f"{platform}.j2")
    except jinja2.TemplateNotFound as exc:
        raise RenderError(f"no template for platform {platform!r} in {template_dir}") from exc
    ports = expand_ports(intent)
    used = sorted({p["untagged"] for p in ports if p["untagged"]} |
                  {v for p in ports for v in p["tagged"]})  # fmt: skip
    try:
        text = template.render(**intent, expanded=ports, used_vlans=used, **secrets)
    except jinja2.UndefinedError as exc:
        raise RenderError(f"template {platform}.j2: {exc}") from exc
    return "\n".join(line.rstrip() for line in text.splitlines()) + "\n"
