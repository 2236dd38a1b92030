"""Which Debian archive the lab's base image is debootstrap'ed from.

No mirror is written into fleet: the URL comes from, in this order, the `--mirror` option,
the FLEET_LAB_MIRROR environment variable, or this machine's own apt sources (the first `deb`
entry serving the lab's suite, e.g. `bookworm`, with component `main` — not `-security`,
`-updates` or backports, which only hold part of a release).

apt's two formats are read: one-line `sources.list` files (`deb [options] URI SUITE COMPONENTS…`)
and deb822 `.sources` files (`Types:`/`URIs:`/`Suites:`/`Components:` stanzas, `Enabled: no`
to switch one off). Parsing takes the paths, so it is tested on sample files.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from fleet.errors import BadInput

ENV = "FLEET_LAB_MIRROR"
APT_DIR = Path("/etc/apt")
# URI schemes debootstrap can fetch from (apt's cdrom:, mirror+…, tor+… it cannot)
SCHEMES = ("http", "https", "file")
# apt's spellings of "no" for a deb822 boolean
FALSE = frozenset({"no", "false", "off", "0", "without", "disable"})


@dataclass(frozen=True)
class AptSource:
    """One (type, URI, suite) combination of an apt source entry."""

    type: str  # deb | deb-src
    uri: str
    suite: str
    components: tuple[str, ...]
    origin: str  # "FILE:LINE", for messages


@dataclass(frozen=True)
class Mirror:
    url: str
    origin: str  # where it came from: --mirror, FLEET_LAB_MIRROR, or FILE:LINE

    @property
    def shown(self) -> str:
        """The URL without a password, for progress lines and image labels."""
        parts = urlsplit(self.url)
        if parts.password is None:
            return self.url
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
        return parts._replace(netloc=netloc).geturl()


def apt_source_files(apt_dir: Path = APT_DIR) -> list[Path]:
    """The files apt reads, in apt's order: sources.list, then sources.list.d by name."""
    parts = apt_dir / "sources.list.d"
    listed = (
        [p for p in parts.glob("*") if p.suffix in (".list", ".sources")] if parts.is_dir() else []
    )
    return [apt_dir / "sources.list", *sorted(listed, key=lambda p: p.name)]


def parse_sources(paths: Iterable[Path]) -> list[AptSource]:
    """Every entry of the given apt source files, in order; missing files are skipped."""
    entries: list[AptSource] = []
    for path in paths:
        try:
            text = Path(path).read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            continue
        parse = _deb822 if Path(path).suffix == ".sources" else _one_line
        entries.extend(parse(text, str(path)))
    return entries


def _one_line(text: str, name: str) -> Iterator[AptSource]:
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        kind, _, rest = line.replace("\t", " ").partition(" ")
        rest = rest.strip()
        if rest.startswith("["):  # [arch=amd64 signed-by=…], spaces allowed inside
            _, _, rest = rest.partition("]")
        fields = rest.split()
        if kind not in ("deb", "deb-src") or len(fields) < 2:
            continue
        uri, suite, *components = fields
        yield AptSource(kind, uri, suite, tuple(components), f"{name}:{number}")


def _deb822(text: str, name: str) -> Iterator[AptSource]:
    for start, stanza in _stanzas(text):
        if stanza.get("enabled", "yes").strip().lower() in FALSE:
            continue
        components = tuple(stanza.get("components", "").split())
        for kind in stanza.get("types", "").split():
            for uri in stanza.get("uris", "").split():
                for suite in stanza.get("suites", "").split():
                    yield AptSource(kind, uri, suite, components, f"{name}:{start}")


def _stanzas(text: str) -> Iterator[tuple[int, dict[str, str]]]:
    """deb822 paragraphs as (first line number, {lower-case field: value})."""
    fields: dict[str, str] = {}
    start = 0
    current = None
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("#"):
            continue
        if not line.strip():
            if fields:
                yield start, fields
            fields, current = {}, None
            continue
        if line[0] in " \t":  # continuation of the field above (e.g. an inline Signed-By key)
            if current is not None:
                fields[current] += "\n" + line.strip()
            continue
        key, sep, value = line.partition(":")
        if not sep:
            continue
        if not fields:
            start = number
        current = key.strip().lower()
        fields[current] = value.strip()
    if fields:
        yield start, fields


def archive_source(entries: Iterable[AptSource], suite: str) -> AptSource | None:
    """The first binary source serving the release `suite` itself from its main component."""
    for entry in entries:
        if (
            entry.type == "deb"
            and entry.suite == suite
            and "main" in entry.components
            and urlsplit(entry.uri).scheme in SCHEMES
        ):
            return entry
    return None


def check_url(url: str, origin: str) -> str:
    """`url` if debootstrap can use it as a mirror, else BadInput naming where it came from."""
    parts = urlsplit(url)
    usable = (
        parts.scheme in ("http", "https") and parts.netloc or parts.scheme == "file" and parts.path
    )
    if not usable:
        raise BadInput(
            f"{origin}: {url!r} is not a Debian archive URL debootstrap can use "
            "(http://HOST/PATH, https://HOST/PATH or file:///PATH)"
        )
    return url


def explicit(option: str | None = None, env: Mapping[str, str] | None = None) -> Mirror | None:
    """The mirror the user named (option, then FLEET_LAB_MIRROR), checked; None if neither."""
    if option:
        return Mirror(check_url(option, "--mirror"), "--mirror")
    value = (os.environ if env is None else env).get(ENV, "").strip()
    if value:
        return Mirror(check_url(value, ENV), ENV)
    return None


def resolve(
    suite: str,
    option: str | None = None,
    env: Mapping[str, str] | None = None,
    paths: Iterable[Path] | None = None,
) -> Mirror:
    """The archive to debootstrap `suite` from: option > FLEET_LAB_MIRROR > apt sources."""
    named = explicit(option, env)
    if named is not None:
        return named
    files = apt_source_files() if paths is None else list(paths)
    entry = archive_source(parse_sources(files), suite)
    if entry is None:
        looked = [f"{p}{'' if Path(p).exists() else ' (missing)'}" for p in files]
        if paths is None:
            looked.append(f"{APT_DIR}/sources.list.d/*.list, *.sources")
        raise BadInput(
            f"no Debian archive for {suite} in this machine's apt sources: no enabled `deb` "
            f"entry of suite {suite} with component main in {', '.join(looked) or 'no file'}; "
            f"name the archive with `--mirror URL` or {ENV}=URL (e.g. a local mirror)"
        )
    return Mirror(entry.uri, entry.origin)
