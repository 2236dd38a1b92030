"""Bad AD settings in a site file: `fleet validate` refuses them with exit 3, naming the file,
the field and the rule (the real CLI on a copy of the lab registry)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[3]
FLEET = Path(sys.executable).with_name("fleet")
SITE = "sites/0450050K.yml"


def validate(tmp_path, old: str, new: str) -> subprocess.CompletedProcess:
    registry = tmp_path / "registry"
    shutil.copytree(PROJECT / "inventories/lab", registry)
    site = registry / SITE
    text = site.read_text(encoding="utf-8")
    assert old in text
    site.write_text(text.replace(old, new), encoding="utf-8")
    return subprocess.run(
        [str(FLEET), "--registry", str(registry), "validate"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )


@pytest.mark.parametrize(
    ("old", "new", "field", "message"),
    [
        (
            "realm: 0450050K.LAB.FLEET.TEST",
            "realm: 0450050K.OTHER.TEST",
            "samba_ad.realm",
            "does not match the site's DNS domain",
        ),
        (
            "netbios: LY0450050K",
            "netbios: LYCEEJEANZAYORLEANS",
            "samba_ad.netbios",
            "at most 15",
        ),
        (
            "netbios: LY0450050K",
            "netbios: CO0180120H",
            "samba_ad.netbios",
            "already used by site 0180120H",
        ),
        ("rooms: [A101, CDI]", 'rooms: [A101, "C,DI"]', "samba_ad.rooms[1]", ""),
        (
            "rooms: [A101, CDI]",
            'rooms: [A101, CDI]\n  extra_ous: ["Vie;Scolaire"]',
            "samba_ad.extra_ous[0]",
            "",
        ),
    ],
    ids=[
        "realm-mismatch",
        "netbios-too-long",
        "netbios-clash",
        "room-forbidden-char",
        "ou-forbidden-char",
    ],
)
def test_bad_ad_settings_exit_3_naming_file_and_field(tmp_path, old, new, field, message):
    done = validate(tmp_path, old, new)
    assert done.returncode == 3, done.stdout + done.stderr
    out = done.stdout + done.stderr
    line = next((ln for ln in out.splitlines() if f"{SITE}" in ln and field in ln), "")
    assert line, out
    assert message in line


def test_netbios_name_equal_to_the_dc_host_name_is_refused(tmp_path):
    done = validate(tmp_path, "netbios: LY0450050K", "netbios: DC1")
    assert done.returncode == 3, done.stdout + done.stderr
    out = done.stdout + done.stderr
    line = next((ln for ln in out.splitlines() if SITE in ln and "samba_ad.netbios" in ln), "")
    assert "clashes with the DC's host name" in line, out
