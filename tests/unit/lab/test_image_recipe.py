"""Image recipes: the tag is the recipe's hash, so a changed recipe means a new image."""

from __future__ import annotations

import dataclasses

import pytest

from fleet.errors import BadInput
from fleet.lab import image


def test_tag_is_stable_and_short():
    assert image.recipe_hash("base") == image.recipe_hash("base")
    ref = image.image_ref("base")
    assert ref.startswith("localhost/fleet-lab-base:")
    assert len(ref.rsplit(":", 1)[1]) == 12


def test_a_recipe_change_changes_the_tag_of_the_image_and_its_children(monkeypatch):
    base_before, samba_before = image.recipe_hash("base"), image.recipe_hash("samba")
    changed = dataclasses.replace(
        image.RECIPES["base"], packages=(*image.BASE_PACKAGES, "vim-tiny")
    )
    monkeypatch.setitem(image.RECIPES, "base", changed)
    assert image.recipe_hash("base") != base_before
    assert image.recipe_hash("samba") != samba_before  # built FROM base: rebuilt too


def test_variants_differ():
    assert image.image_ref("base") != image.image_ref("samba")
    assert image.current_ref("samba") == "localhost/fleet-lab-samba:current"


def test_prefix_override_for_benchmarks(monkeypatch):
    monkeypatch.setenv(image.REPOSITORY_ENV, "localhost/fleet-bench-")
    assert image.image_ref("base").startswith("localhost/fleet-bench-base:")


def test_unknown_variant_is_bad_input():
    with pytest.raises(BadInput, match="unknown lab image variant 'nope'.*base, samba"):
        image.ensure_image("nope")


def test_base_recipe_has_what_ansible_and_sshd_need():
    packages = set(image.BASE_PACKAGES)
    assert {"python3", "python3-apt", "openssh-server", "systemd-sysv", "sudo"} <= packages
    # no host key baked into the image: each container makes its own
    assert "rm -f /etc/ssh/ssh_host_*" in image.BASE_SCRIPT


def test_samba_variant_masks_file_server_daemons_before_installing():
    body = image.SAMBA_CONTAINERFILE
    assert body.index("systemctl mask smbd.service nmbd.service winbind.service") < body.index(
        "apt-get install"
    )
    for package in ("samba-ad-dc", "samba-ad-provision", "krb5-user", "winbind", "ldb-tools"):
        assert package in body
