"""The lab's host images, built here from Debian's archive (no registry pull).

The base image is a debootstrap'ed Debian bookworm (systemd as PID 1, sshd, python3) imported
into podman, fetched from the archive `fleet.lab.mirror` finds (option, FLEET_LAB_MIRROR or this
machine's apt sources); variants (e.g. one with Samba pre-installed) are `podman build` layers
FROM it.
Each image is tagged with the hash of its recipe, so an image is rebuilt only when its recipe
changes; `localhost/fleet-lab-<variant>:current` also points at the newest build so Molecule
scenarios can name a stable reference.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from fleet.errors import BadInput, FleetError
from fleet.lab import mirror as mirrors
from fleet.lab import podman
from fleet.lab.progress import Event, ProgressFn, emitter

REPOSITORY = "localhost/fleet-lab-"
# Benchmarks build cold images under another name so they never disturb the shared cache.
REPOSITORY_ENV = "FLEET_LAB_IMAGE_PREFIX"
SUITE = "bookworm"

# What every lab host has: what Ansible, sshd and systemd need, plus the packages of the base
# role so that Molecule converges offline.
BASE_PACKAGES = (
    "ca-certificates",
    "chrony",
    "dbus",
    "iproute2",
    "less",
    "openssh-server",
    "procps",
    "python3",
    "python3-apt",
    "rsyslog",
    "sudo",
    "systemd",
    "systemd-sysv",
    "tzdata",
)

# Files written into the root file system before it is imported.
BASE_FILES: dict[str, str] = {
    # Each container generates its own host key on first boot (the image ships none).
    "etc/systemd/system/ssh.service.d/fleet-lab-hostkey.conf": (
        "[Service]\n"
        "ExecStartPre=\n"
        "ExecStartPre=/bin/sh -c 'test -s /etc/ssh/ssh_host_ed25519_key"
        ' || ssh-keygen -q -t ed25519 -N "" -f /etc/ssh/ssh_host_ed25519_key\'\n'
        "ExecStartPre=/usr/sbin/sshd -t\n"
    ),
    "etc/ssh/sshd_config.d/05-fleet-lab.conf": (
        "# fleet lab image: one host key per container, made at first boot.\n"
        "HostKey /etc/ssh/ssh_host_ed25519_key\n"
        "UseDNS no\n"
    ),
}

# Run inside the root file system (chroot) after the files are written.
BASE_SCRIPT = """set -eu
rm -f /etc/ssh/ssh_host_*
: > /etc/machine-id
rm -f /var/lib/dbus/machine-id
# No getty on a container's console.
ln -sf /dev/null /etc/systemd/system/console-getty.service
ln -sf /dev/null /etc/systemd/system/getty@tty1.service
mkdir -p /root/.ssh && chmod 700 /root/.ssh
apt-get clean
rm -rf /var/cache/apt/*.bin /var/log/apt/* /var/log/dpkg.log
"""

SAMBA_CONTAINERFILE = """\
ENV DEBIAN_FRONTEND=noninteractive
# samba-ad-dc runs its own daemons: mask the file-server ones before the packages arrive
# (stopping winbind in a systemd container hangs 90 s).
RUN systemctl mask smbd.service nmbd.service winbind.service \\
 && apt-get update \\
 && apt-get install -y --no-install-recommends \\
      samba samba-ad-dc samba-ad-provision samba-dsdb-modules samba-vfs-modules \\
      krb5-user winbind libnss-winbind libpam-winbind ldb-tools python3-ldb python3-samba \\
      smbclient dnsutils acl attr \\
 && apt-get clean \\
 && rm -rf /var/log/apt/* /var/log/dpkg.log
"""


@dataclass(frozen=True)
class Recipe:
    """Everything that determines an image; its hash is the image tag."""

    variant: str
    parent: str | None = None  # variant this one is built FROM
    packages: tuple[str, ...] = ()
    files: dict[str, str] = field(default_factory=dict)
    script: str = ""
    containerfile: str = ""  # body after the FROM line, for variants

    def document(self) -> dict:
        doc = {
            "variant": self.variant,
            "parent": self.parent,
            "packages": sorted(self.packages),
            "files": dict(sorted(self.files.items())),
            "script": self.script,
            "containerfile": self.containerfile,
        }
        if self.parent is None:
            # The mirror is not part of the recipe: the same suite and packages from another
            # mirror are the same image (docs/decisions.md). It is recorded as a label instead.
            doc.update(suite=SUITE)
        return doc


RECIPES: dict[str, Recipe] = {
    "base": Recipe("base", packages=BASE_PACKAGES, files=BASE_FILES, script=BASE_SCRIPT),
    "samba": Recipe("samba", parent="base", containerfile=SAMBA_CONTAINERFILE),
}


def recipe(variant: str) -> Recipe:
    try:
        return RECIPES[variant]
    except KeyError:
        known = ", ".join(sorted(RECIPES))
        raise BadInput(f"unknown lab image variant {variant!r}; known: {known}") from None


def recipe_hash(variant: str) -> str:
    """Hash of the recipe and of its parents' recipes: a parent change rebuilds children."""
    r = recipe(variant)
    doc = r.document()
    if r.parent is not None:
        doc["parent_hash"] = recipe_hash(r.parent)
    blob = json.dumps(doc, sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:12]


def repository() -> str:
    return os.environ.get(REPOSITORY_ENV) or REPOSITORY


def image_ref(variant: str = "base") -> str:
    return f"{repository()}{variant}:{recipe_hash(variant)}"


def current_ref(variant: str = "base") -> str:
    """A stable name (for Molecule) that `ensure_image` points at the newest build."""
    return f"{repository()}{variant}:current"


def ensure_image(
    variant: str = "base", progress: ProgressFn | None = None, mirror: str | None = None
) -> str:
    """Build the image of `variant` unless it is cached; return its reference.

    `mirror` (else FLEET_LAB_MIRROR, else the apt sources) is the Debian archive a base build
    fetches from; it is looked up only when the base image has to be built."""
    say = emitter(progress)
    ref = image_ref(variant)
    r = recipe(variant)
    mirrors.explicit(mirror)  # a bad URL is bad input even when the image is cached
    if r.parent is not None:
        ensure_image(r.parent, progress, mirror)
    with _build_lock():
        if podman.image_exists(ref):
            say(Event(f"image:{variant}", f"cached {ref}"))
        else:
            say(Event(f"image:{variant}", f"building {ref}"))
            if r.parent is None:
                _build_base(r, ref, say, mirrors.resolve(SUITE, mirror))
            else:
                _build_variant(r, ref, image_ref(r.parent), say)
            say(Event(f"image:{variant}", f"built {ref}"))
        podman.run(["tag", ref, current_ref(variant)])
    return ref


def cached_images() -> list[dict]:
    """The lab images podman holds (any tag), newest first."""
    out = podman.run(["images", "--format", "json", "--filter", "label=io.fleet.lab.image"]).stdout
    return json.loads(out) if out.strip() else []


@contextmanager
def _build_lock() -> Iterator[None]:
    # Images live in podman's machine-wide store, so two projects (or a test and a Molecule run)
    # must not build the same image at once: one waits, then finds it cached.
    path = Path(tempfile.gettempdir()) / "fleet-lab-image.lock"
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _build_base(r: Recipe, ref: str, say: ProgressFn, mirror: mirrors.Mirror) -> None:
    debootstrap = shutil.which("debootstrap") or (
        "/usr/sbin/debootstrap" if Path("/usr/sbin/debootstrap").exists() else None
    )
    if debootstrap is None:
        raise FleetError(
            "debootstrap is not installed: run scripts/setup.sh (Debian: apt-get install debootstrap)"
        )
    if os.geteuid() != 0:
        raise FleetError(
            "building the lab base image needs root (debootstrap); run as root or use a prebuilt image"
        )
    stage = f"image:{r.variant}"
    say(Event(stage, f"debootstrap {SUITE} from {mirror.shown} ({mirror.origin})"))
    work = Path(tempfile.mkdtemp(prefix="fleet-lab-rootfs-", dir="/var/tmp"))
    rootfs = work / "rootfs"
    try:
        cmd = [
            debootstrap,
            "--variant=minbase",
            "--include=" + ",".join(sorted(r.packages)),
            SUITE,
            str(rootfs),
            mirror.url,
        ]
        for step, line in enumerate(_stream(cmd), start=1):
            if line.startswith(("I:", "W:", "E:")):
                say(Event(stage, line[2:].strip(), step=step))
        for rel, content in r.files.items():
            path = rootfs / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content)
        say(Event(stage, "configuring the root file system"))
        _check(["chroot", str(rootfs), "/bin/sh", "-c", r.script])
        say(Event(stage, f"importing into podman as {ref}"))
        _import(rootfs, ref, r, mirror.shown)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _import(rootfs: Path, ref: str, r: Recipe, mirror_url: str) -> None:
    tar = subprocess.Popen(
        ["tar", "--numeric-owner", "--xattrs", "-C", str(rootfs), "-c", "."],
        stdout=subprocess.PIPE,
    )
    try:
        proc = subprocess.run(
            [
                podman.executable(),
                "import",
                "--change",
                'CMD ["/sbin/init"]',
                "--change",
                "ENV container=podman",
                "--change",
                f"LABEL io.fleet.lab.image={r.variant}",
                "--change",
                f"LABEL io.fleet.lab.recipe={recipe_hash(r.variant)}",
                "--change",
                f"LABEL io.fleet.lab.mirror={mirror_url}",
                "-",
                ref,
            ],
            stdin=tar.stdout,
            capture_output=True,
            text=True,
            env=podman.env(),
            check=False,
        )
    finally:
        assert tar.stdout is not None
        tar.stdout.close()
        tar_rc = tar.wait()
    if tar_rc != 0 or proc.returncode != 0:
        raise podman.PodmanError(f"podman import of {ref} failed: {proc.stderr.strip()}")


def _build_variant(r: Recipe, ref: str, parent_ref: str, say: ProgressFn) -> None:
    stage = f"image:{r.variant}"
    containerfile = (
        f"FROM {parent_ref}\n"
        f"LABEL io.fleet.lab.image={r.variant} io.fleet.lab.recipe={recipe_hash(r.variant)}\n"
        + r.containerfile
    )
    with tempfile.TemporaryDirectory(prefix="fleet-lab-build-") as ctx:
        (Path(ctx) / "Containerfile").write_text(containerfile)
        lines = podman.stream(["build", "--pull=never", "--layers=false", "-t", ref, ctx])
        for step, line in enumerate(lines, start=1):
            if line.startswith(("STEP", "Setting up", "Unpacking", "Get:", "COMMIT")):
                say(Event(stage, line.strip(), step=step))


def _stream(cmd: list[str]) -> Iterator[str]:
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    tail: list[str] = []
    for line in proc.stdout:
        line = line.rstrip("\n")
        tail = (tail + [line])[-20:]
        yield line
    if proc.wait() != 0:
        raise FleetError(
            f"{Path(cmd[0]).name} failed (exit {proc.returncode}):\n" + "\n".join(tail)
        )


def _check(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise FleetError(
            f"{' '.join(cmd[:2])} failed (exit {proc.returncode}): {proc.stderr.strip()}"
        )
