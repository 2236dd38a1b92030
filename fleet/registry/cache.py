"""A parse cache for registry files, keyed by path and content hash.

YAML parsing is most of the cost of loading 5,000 site files; a file that did not change is
not parsed again. Reading and hashing a file costs far less than parsing it, and unlike
mtimes (kernel timestamps are coarse) a hash never mistakes an edited file for an old one.
The cache lives in the project's cache directory (fleet.paths) and is only an
accelerator: if it is missing, corrupt or unwritable, files are simply parsed.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path
from typing import Any

from fleet.paths import Paths

VERSION = 2
# The cache holds pickled models: a change of their code (a new field) must miss, not unpickle
# an object of the old shape. The stamp covers the modules that define registry models.
MODEL_MODULES = ("models.py", "enums.py", "opnsense.py", "switches.py")


def _code_stamp() -> str:
    digest = hashlib.blake2b(digest_size=8)
    for name in MODEL_MODULES:
        try:
            digest.update(Path(__file__).with_name(name).read_bytes())
        except OSError:
            digest.update(name.encode())
    return f"{VERSION}-{digest.hexdigest()}"


class ParseCache:
    def __init__(self, root: Path):
        root = Path(root).resolve()
        key = hashlib.sha1(str(root).encode()).hexdigest()[:12]
        self.path = Paths.find(root).cache / f"registry-{key}.pickle"
        self.entries: dict[str, tuple[bytes, Any]] = {}
        self.dirty = False
        try:
            with open(self.path, "rb") as handle:
                version, entries = pickle.load(handle)
            if version == _code_stamp():
                self.entries = entries
        except Exception:  # noqa: BLE001 - any unreadable cache is just a miss
            self.entries = {}

    @staticmethod
    def _stamp(path: Path) -> bytes | None:
        try:
            return hashlib.blake2b(path.read_bytes(), digest_size=16).digest()
        except OSError:
            return None

    def get(self, path: Path, kind: str) -> Any | None:
        stamp = self._stamp(path)
        entry = self.entries.get(f"{kind}:{path}")
        if stamp is None or entry is None or entry[0] != stamp:
            return None
        return entry[1]

    def put(self, path: Path, kind: str, value: Any) -> None:
        stamp = self._stamp(path)
        if stamp is not None:
            self.entries[f"{kind}:{path}"] = (stamp, value)
            self.dirty = True

    def save(self) -> None:
        if not self.dirty:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
            with open(tmp, "wb") as handle:
                pickle.dump((_code_stamp(), self.entries), handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.path)
        except OSError:
            pass
