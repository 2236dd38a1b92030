"""Which Debian archive the base image comes from: apt sources, FLEET_LAB_MIRROR, --mirror."""

from __future__ import annotations

from pathlib import Path

import pytest

from fleet.cli.main import main
from fleet.errors import BadInput
from fleet.lab import image, mirror
from fleet.lab.hosts import ContainerHosts
from fleet.lab.parts import LabContext

ARCHIVE = "http://mirror.example.org/debian"
SECURITY = "http://security.example.org/debian-security"
NO_ENV: dict[str, str] = {}


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_one_line_format_skips_comments_sources_and_partial_suites(tmp_path):
    sources = write(
        tmp_path / "sources.list",
        f"""\
# deb {ARCHIVE}-old bookworm main
deb-src {ARCHIVE}-src bookworm main
deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] {SECURITY} bookworm-security main
deb {ARCHIVE}-updates bookworm-updates main
deb http://backports.example.org/debian bookworm-backports main
deb [ arch=amd64 ]\t{ARCHIVE} bookworm main contrib  # the archive itself
deb {ARCHIVE}-second bookworm main
""",
    )
    found = mirror.resolve("bookworm", env=NO_ENV, paths=[sources])
    assert found == mirror.Mirror(ARCHIVE, f"{sources}:6")


def test_deb822_skips_disabled_stanzas_and_reads_multi_value_fields(tmp_path):
    sources = write(
        tmp_path / "sources.list.d" / "debian.sources",
        f"""\
# a disabled copy of the archive comes first
Types: deb
URIs: {ARCHIVE}-disabled
Suites: bookworm
Components: main
Enabled: no

# the archive: binaries and sources
Types: deb deb-src
URIs: {ARCHIVE}
# URIs: {ARCHIVE}-commented (comment lines may sit inside a stanza)
Suites: bookworm-updates bookworm
Components: main non-free-firmware
Signed-By:
 -----BEGIN PGP PUBLIC KEY BLOCK-----
 .
 mDMEY865UxYJKwYBBAHaRw8BAQdAd7Z0srwuhlB6JKFkcf4HU4SSS/xcRfwEQWzr
 -----END PGP PUBLIC KEY BLOCK-----

Types: deb
URIs: {SECURITY}
Suites: bookworm-security
Components: main
""",
    )
    entries = mirror.parse_sources([sources])
    assert [(e.type, e.uri, e.suite) for e in entries] == [
        ("deb", ARCHIVE, "bookworm-updates"),
        ("deb", ARCHIVE, "bookworm"),
        ("deb-src", ARCHIVE, "bookworm-updates"),
        ("deb-src", ARCHIVE, "bookworm"),
        ("deb", SECURITY, "bookworm-security"),
    ]
    assert mirror.resolve("bookworm", env=NO_ENV, paths=[sources]) == mirror.Mirror(
        ARCHIVE,
        f"{sources}:9",  # the stanza's first field, not the comment above it
    )


def test_first_file_in_apt_order_wins(tmp_path):
    apt = tmp_path / "apt"
    write(apt / "sources.list.d" / "zz-local.list", f"deb {ARCHIVE}-zz bookworm main\n")
    write(
        apt / "sources.list.d" / "aa-local.sources",
        f"Types: deb\nURIs: {ARCHIVE}-aa\nSuites: bookworm\nComponents: main\n",
    )
    write(apt / "sources.list.d" / "00-off.list.disabled", f"deb {ARCHIVE}-off bookworm main\n")
    files = mirror.apt_source_files(apt)
    assert [p.name for p in files] == ["sources.list", "aa-local.sources", "zz-local.list"]
    assert mirror.resolve("bookworm", env=NO_ENV, paths=files).url == f"{ARCHIVE}-aa"
    # sources.list (read first by apt) wins over sources.list.d
    write(apt / "sources.list", f"deb {ARCHIVE} bookworm main\n")
    assert mirror.resolve("bookworm", env=NO_ENV, paths=files).url == ARCHIVE


def test_entries_debootstrap_cannot_use_are_skipped(tmp_path):
    sources = write(
        tmp_path / "sources.list",
        f"""\
deb cdrom:[Debian GNU/Linux 12 _Bookworm_]/ bookworm main
deb mirror+file:/etc/apt/mirrors.txt bookworm main
deb {ARCHIVE}-firmware bookworm non-free-firmware
deb file:///srv/debian bookworm main
""",
    )
    assert mirror.resolve("bookworm", env=NO_ENV, paths=[sources]).url == "file:///srv/debian"


@pytest.mark.parametrize(
    "name, text",
    [
        ("sources.list", f"deb {SECURITY} bookworm-security main\n"),
        ("sources.list", f"# deb {ARCHIVE} bookworm main\ndeb-src {ARCHIVE} bookworm main\n"),
        (
            "debian.sources",
            f"Types: deb\nURIs: {ARCHIVE}\nSuites: bookworm\nComponents: main\nEnabled: no\n",
        ),
        ("sources.list", f"deb {ARCHIVE} trixie main\n"),
        ("sources.list", ""),
    ],
    ids=["security-only", "commented-and-deb-src", "disabled", "other-release", "empty"],
)
def test_no_archive_is_bad_input_saying_where_it_looked_and_what_to_set(tmp_path, name, text):
    sources = write(tmp_path / name, text)
    missing = tmp_path / "sources.list.d" / "gone.list"
    with pytest.raises(BadInput) as caught:
        mirror.resolve("bookworm", env=NO_ENV, paths=[sources, missing])
    message = caught.value.message
    assert caught.value.exit_code == 3
    assert f"{sources}, {missing} (missing)" in message
    assert "suite bookworm" in message
    assert "--mirror URL" in message and "FLEET_LAB_MIRROR=URL" in message


def test_precedence_option_then_environment_then_apt(tmp_path):
    sources = write(tmp_path / "sources.list", f"deb {ARCHIVE} bookworm main\n")
    env = {"FLEET_LAB_MIRROR": "http://env.example.org/debian"}
    option = "https://option.example.org/debian"
    assert mirror.resolve("bookworm", option, env, [sources]) == mirror.Mirror(option, "--mirror")
    assert mirror.resolve("bookworm", None, env, [sources]) == mirror.Mirror(
        env["FLEET_LAB_MIRROR"], "FLEET_LAB_MIRROR"
    )
    blank = {"FLEET_LAB_MIRROR": "  "}
    assert mirror.resolve("bookworm", None, blank, [sources]).url == ARCHIVE


@pytest.mark.parametrize(
    "url", ["mirror.example.org/debian", "ftp://mirror.example.org/debian", "http://", "file://"]
)
def test_a_url_debootstrap_cannot_use_is_bad_input(url):
    with pytest.raises(BadInput, match=r"--mirror: .* is not a Debian archive URL"):
        mirror.resolve("bookworm", url, NO_ENV, [])
    with pytest.raises(BadInput, match=r"FLEET_LAB_MIRROR: .* is not a Debian archive URL"):
        mirror.resolve("bookworm", None, {"FLEET_LAB_MIRROR": url}, [])


def test_a_password_in_the_url_is_not_shown():
    found = mirror.Mirror("https://fleet:s3cret@mirror.example.org/debian", "--mirror")
    assert found.shown == "https://fleet:***@mirror.example.org/debian"
    assert mirror.Mirror(ARCHIVE, "x").shown == ARCHIVE


def test_the_mirror_is_not_part_of_the_recipe_hash(monkeypatch):
    before = image.recipe_hash("base"), image.recipe_hash("samba")
    monkeypatch.setenv("FLEET_LAB_MIRROR", "http://elsewhere.example.org/debian")
    assert (image.recipe_hash("base"), image.recipe_hash("samba")) == before
    assert "example.org" not in str(image.RECIPES["base"].document())


@pytest.fixture
def no_podman(monkeypatch):
    """ensure_image without podman: `cached` says whether the image exists; builds recorded."""
    built: list[tuple[str, mirror.Mirror]] = []
    cached = {"value": False}
    monkeypatch.setattr(image.podman, "image_exists", lambda ref: cached["value"])
    monkeypatch.setattr(image.podman, "run", lambda args: None)
    monkeypatch.setattr(image, "_build_base", lambda r, ref, say, m: built.append((ref, m)))
    monkeypatch.delenv("FLEET_LAB_MIRROR", raising=False)
    return built, cached


def test_a_build_uses_the_option_and_a_cached_image_needs_no_apt_source(monkeypatch, no_podman):
    built, cached = no_podman
    image.ensure_image("base", mirror=ARCHIVE)
    assert built == [(image.image_ref("base"), mirror.Mirror(ARCHIVE, "--mirror"))]

    def no_apt_sources(*args, **kwargs):
        raise AssertionError("apt sources read for a cached image")

    monkeypatch.setattr(mirror, "parse_sources", no_apt_sources)
    cached["value"] = True
    assert image.ensure_image("base") == image.image_ref("base")
    assert len(built) == 1


def test_a_bad_option_fails_even_when_the_image_is_cached(no_podman):
    built, cached = no_podman
    cached["value"] = True
    with pytest.raises(BadInput, match="--mirror"):
        image.ensure_image("samba", mirror="ftp://mirror.example.org/debian")
    assert built == []


def test_cli_bad_mirror_exits_3(capsys, no_podman):
    assert main(["lab", "image", "--mirror", "mirror.example.org"]) == 3
    assert "--mirror: 'mirror.example.org' is not a Debian archive URL" in capsys.readouterr().err


def test_lab_up_hands_the_mirror_to_the_image_build(monkeypatch, tmp_path):
    import fleet.lab.control as components

    seen = {}

    def lab_up(ctx: LabContext):
        seen["options"] = ctx.options
        return []

    monkeypatch.setattr(components, "lab_up", lab_up)
    registry = Path(__file__).resolve().parents[3] / "inventories" / "lab"
    args = ["lab", "up", "--lab-registry", str(registry), "--mirror", ARCHIVE]
    assert main(args) == 0
    assert seen["options"] == {"mirror": ARCHIVE}

    class Stop(Exception):
        pass

    def ensure_image(variant, progress=None, mirror=None):
        seen["ensure_image"] = mirror
        raise Stop

    monkeypatch.setattr(image, "ensure_image", ensure_image)
    ctx = LabContext(
        project_root=tmp_path, inventory=lab_inventory(registry), options=seen["options"]
    )
    with pytest.raises(Stop):
        ContainerHosts().up(ctx)
    assert seen["ensure_image"] == ARCHIVE


def lab_inventory(registry: Path) -> dict:
    from fleet.inventory import build_inventory
    from fleet.registry import load_registry

    return build_inventory(load_registry(registry))
