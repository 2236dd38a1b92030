"""A parse cache for registry files, keyed by path and content hash.

YAML parsing is most of the cost of loading 5,000 site files; a file that did not change is
not parsed again. Reading and hashing a file costs far less than parsing it, and unlike
mtimes (kernel timestamps are coarse) a hash never mistakes an edited file for an old one.
The cache lives in the project's cache directory (fleet.paths) and is only an
accelerator: if it is missing, corrupt or unwritable, files are simply parsed.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import os
import pickle
import sys
import types
from pathlib import Path
from typing import Any

from fleet.paths import Paths

VERSION = 3
PARSER = "fleet.registry.load"  # reads and validates what the cache keeps (parse_model)


class _Recorder(pickle.Pickler):
    """Pickles as usual and notes the module of every class it meets (pickle asks
    reducer_override about each object but plain containers, strings and numbers)."""

    def __init__(self, handle: io.BytesIO):
        super().__init__(handle, protocol=pickle.HIGHEST_PROTOCOL)
        self.modules: set[str] = set()

    def reducer_override(self, obj: Any) -> Any:
        self.modules.add(obj.__module__ if isinstance(obj, type) else type(obj).__module__)
        return NotImplemented


def _source_digest(module: str) -> str | None:
    """A digest of a fleet module's source file (None if it cannot be found)."""
    try:
        spec = importlib.util.find_spec(module)
        if spec is None or not spec.origin:
            return None
        return hashlib.blake2b(Path(spec.origin).read_bytes(), digest_size=8).hexdigest()
    except (ImportError, OSError, ValueError):
        return None


def _fleet_closure(modules: set[str]) -> set[str]:
    """The fleet modules among `modules` and every fleet module they use, transitively (a
    validator's rule can live in another module: fleet.opnsense.kinds, fleet.registry.uai)."""
    found: set[str] = set()
    todo = [m for m in modules if m.startswith("fleet.")]
    while todo:
        name = todo.pop()
        if name in found:
            continue
        found.add(name)
        module = sys.modules.get(name)
        if module is None:  # not imported: nothing was made with it
            continue
        for value in vars(module).values():
            if isinstance(value, types.ModuleType):
                used = value.__name__
            else:
                used = getattr(value, "__module__", None)
            if isinstance(used, str) and used.startswith("fleet.") and used not in found:
                todo.append(used)
    return found


def _code_stamp(modules: set[str]) -> dict[str, str | None]:
    """What the cached parses depend on: pydantic's version (it defines how a model pickles)
    and the source of every fleet module they were made with (a new field or a changed rule
    must miss, never serve an object of the old shape or an old verdict)."""
    from pydantic.version import VERSION as pydantic_version

    stamp: dict[str, str | None] = {"pydantic": pydantic_version}
    for module in sorted(modules):
        if module.startswith("fleet."):
            stamp[module] = _source_digest(module)
    return stamp


class ParseCache:
    def __init__(self, root: Path):
        root = Path(root).resolve()
        key = hashlib.sha1(str(root).encode()).hexdigest()[:12]
        self.path = Paths.find(root).cache / f"registry-{key}.pickle"
        self.entries: dict[str, tuple[bytes, Any]] = {}
        self.dirty = False
        try:
            with open(self.path, "rb") as handle:
                # the header first: the objects are only unpickled if their code is unchanged
                version, stamp = pickle.load(handle)
                if version == VERSION and stamp == _code_stamp(set(stamp)):
                    self.entries = pickle.load(handle)
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
            body = io.BytesIO()
            recorder = _Recorder(body)
            recorder.dump(self.entries)
            # the classes pickled, and the code that parsed and validated them
            modules = _fleet_closure(recorder.modules | {PARSER})
            header = pickle.dumps((VERSION, _code_stamp(modules)), pickle.HIGHEST_PROTOCOL)
            tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
            with open(tmp, "wb") as handle:
                handle.write(header)
                handle.write(body.getbuffer())
            os.replace(tmp, self.path)
        except OSError:
            pass
