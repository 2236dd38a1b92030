"""The handover report of a verification: JSON (the document) and HTML beside it (the page a
technician leaves with the school). Both come from `Verification.to_dict()` only, which holds
no secret (checks carry evidence text, the API checks never their credentials)."""

from __future__ import annotations

import json
from pathlib import Path

import jinja2

from fleet.fsutil import atomic_write
from fleet.verify.site import Verification

TEMPLATE = "handover.html.j2"


def default_path(state: Path, verification: Verification) -> Path:
    stamp = verification.started.replace(":", "").replace("-", "")[:15]
    return state / "reports" / f"handover-{verification.site}-{stamp}.html"


def render_html(data: dict) -> str:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("fleet.verify", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    return env.get_template(TEMPLATE).render(**data)


def write(verification: Verification, html_path: Path) -> dict[str, str]:
    """Write `<path>.html` and `<path>.json`; returns {"html": …, "json": …}."""
    html_path = Path(html_path)
    json_path = html_path.with_suffix(".json")
    verification.reports = {"html": str(html_path), "json": str(json_path)}
    data = verification.to_dict()
    atomic_write(json_path, json.dumps(data, indent=2, sort_keys=True) + "\n")
    atomic_write(html_path, render_html(data))
    return verification.reports
