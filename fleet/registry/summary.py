"""Site summaries for `fleet sites list`, cached by the registry's content.

A listing needs a handful of fields per site, but loading the models costs pydantic's import and
class creation (about 150 ms of a 300 ms budget). The summaries are kept in
`.fleet/cache/sites-<key>.json` under a digest of every registry file, and written only after a
full load validated them: a listing never shows a registry that does not validate, and any edit
(even one byte) changes the digest and forces the full load.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from pathlib import Path
from typing import Any

from fleet import components
from fleet.fsutil import atomic_write
from fleet.paths import Paths

VERSION = 1


def site_summary(site) -> dict[str, Any]:
    return {
        "uai": site.uai,
        "name": site.name,
        "kind": site.kind.value,
        "department": site.department,
        "city": site.city,
        "owner": site.owner.value,
        "state": site.state.value,
        "pilot": site.pilot,
        "components": site.components(),
    }


def registry_digest(root: Path) -> str:
    """One hash over the names and bytes of every YAML file the registry loads."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"v{VERSION}".encode())
    # the rows list each site's components: a change of the table is a change of the rows
    digest.update(repr([(c.name, c.hosts) for c in components.table()]).encode())
    files = [root / "region.yml", root / "allocations.yml"]
    for folder in ("sites", "vault"):
        files += sorted((root / folder).glob("*.yml"))
    for path in files:
        digest.update(path.name.encode() + b"\0")
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"\1missing")
        digest.update(b"\0")
    return digest.hexdigest()


def _cache_file(root: Path) -> Path:
    key = hashlib.sha1(str(root).encode()).hexdigest()[:12]
    return Paths.find(root).cache / f"sites-{key}.json"


def site_rows(root: Path) -> list[dict[str, Any]]:
    """Every site's summary, from the cache when the registry is byte-identical to when it was
    last validated; otherwise a full load (raising ValidationFailed on any problem)."""
    root = Path(root).resolve()
    digest = registry_digest(root)
    cache = _cache_file(root)
    try:
        cached = json.loads(cache.read_text(encoding="utf-8"))
        if cached.get("digest") == digest:
            return cached["rows"]
    except (OSError, ValueError, KeyError, AttributeError):
        pass  # a missing or unreadable cache is a miss
    from fleet.registry import load_registry

    rows = [site_summary(s) for s in load_registry(root).sites.values()]
    # a read-only checkout cannot keep the cache: it is only an accelerator
    with contextlib.suppress(OSError):
        atomic_write(cache, json.dumps({"digest": digest, "rows": rows}, ensure_ascii=False))
    return rows
