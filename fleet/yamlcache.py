"""Large YAML files parsed once: their data kept as JSON under .fleet/cache/yaml, by content.

The OPSI catalogue lock (~800 products, ~300 KB) is read by every command that validates the
registry; libyaml takes ~0.1 s for it, JSON ~5 ms. The key is the file's SHA-256, so an edit,
a checkout or a merge is a miss, never a stale hit. Data JSON cannot carry unchanged (dates,
non-string keys) is never cached. The cache is best effort: a read or write error only means
parsing the YAML again. It keeps the KEEP most recently used entries: a new one removes
the least recently used beyond that (a hit refreshes its entry's mtime).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fleet.paths import Paths

MIN_BYTES = 64 * 1024  # smaller files parse faster than they hash and cache
KEEP = 8  # entries kept: a few branches' catalogue locks, each ~250 KB of JSON


def cache_dir() -> Path:
    return Paths.find().cache / "yaml"


def load(text: str, parse: Callable[[str], Any], where: Path | None = None) -> Any:
    """`parse(text)`, or the data a previous parse of the same text left in the cache."""
    if len(text) < MIN_BYTES:
        return parse(text)
    folder = where or cache_dir()
    entry = folder / (hashlib.sha256(text.encode("utf-8")).hexdigest() + ".json")
    try:
        data = json.loads(entry.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    else:
        with contextlib.suppress(OSError):  # a read-only cache still serves its entries
            os.utime(entry)  # recently used: the last to be pruned
        return data
    data = parse(text)  # a YAML error propagates: nothing is cached for it
    try:
        dumped = json.dumps(data, separators=(",", ":"))
        if json.loads(dumped) == data:
            folder.mkdir(parents=True, exist_ok=True)
            partial = entry.with_suffix(f".{os.getpid()}.tmp")
            partial.write_text(dumped, encoding="utf-8")
            os.replace(partial, entry)
            prune(folder)
    except (OSError, TypeError, ValueError):
        pass
    return data


def prune(folder: Path) -> None:
    """Remove all but the KEEP most recently used entries (best effort)."""
    entries = []
    for path in folder.glob("*.json"):
        try:
            entries.append((path.stat().st_mtime_ns, path))
        except OSError:
            continue
    for _, path in sorted(entries, reverse=True)[KEEP:]:
        path.unlink(missing_ok=True)
