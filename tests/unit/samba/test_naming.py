"""Realm, NetBIOS and OU naming rules shared by the registry validator and the modules."""

from __future__ import annotations

from pathlib import Path

from fleet.samba.naming import check_netbios, check_ou_name, check_realm, ou_paths, path_to_dn


def test_realm_must_match_site_dns_domain():
    assert check_realm("0450050K.LYCEES.EXAMPLE.ORG", "0450050k.lycees.example.org") == []
    assert check_realm("AD.0450050K.LYCEES.EXAMPLE.ORG", "0450050k.lycees.example.org") == []
    [message] = check_realm("0450051D.LYCEES.EXAMPLE.ORG", "0450050k.lycees.example.org")
    assert "does not match the site's DNS domain '0450050k.lycees.example.org'" in message


def test_realm_in_lower_case_or_single_label_is_refused():
    assert any(
        "capitals" in m
        for m in check_realm("0450050k.lycees.example.org", "0450050k.lycees.example.org")
    )
    assert any("DNS name" in m for m in check_realm("LYCEE", ""))


def test_netbios_length_characters_and_clashes():
    assert check_netbios("L0450050K") == []
    [too_long] = check_netbios("LYCEEJEANZAYORLEANS")
    assert "19 characters long; at most 15" in too_long
    assert any("capitals, digits" in m for m in check_netbios("LYCEE.ZAY"))
    [clash_host] = check_netbios("DC1", hostname="dc1.0450050k.example.org")
    assert "clashes with the DC's host name" in clash_host
    [clash_site] = check_netbios("L0450050K", taken={"L0450050K": "site 0180001T"})
    assert "already used by site 0180001T" in clash_site


def test_ou_names_with_forbidden_characters():
    assert check_ou_name("Eleves") == []
    assert check_ou_name("Salle B204") == []
    [message] = check_ou_name("Profs,Admin")
    assert "forbidden character(s) ','" in message
    assert (
        check_ou_name("a/b")
        and check_ou_name(" Eleves")
        and check_ou_name("")
        and check_ou_name("x" * 65)
    )


def test_tree_expands_classes_and_rooms_parents_first():
    tree = [
        {"name": "Eleves", "per": "classes"},
        "Enseignants",
        {"name": "Ordinateurs", "per": "rooms", "children": [{"name": "Portables"}]},
    ]
    paths, problems = ou_paths(tree, classes=["2NDE1", "TSTMG1"], rooms=["B204"])
    assert problems == []
    assert [p for p, _ in paths] == [
        "Eleves",
        "Eleves/2NDE1",
        "Eleves/TSTMG1",
        "Enseignants",
        "Ordinateurs",
        "Ordinateurs/B204",
        "Ordinateurs/Portables",
    ]


def test_tree_problems_name_the_entry():
    tree = [{"name": "Eleves", "per": "klasses"}, {"name": "Eleves"}, {"name": "A;B"}, {"nom": "X"}]
    _, problems = ou_paths(tree, classes=["2NDE1"])
    assert any(
        p.startswith("ou_tree[0].per: 'klasses' is not one of classes, rooms") for p in problems
    )
    assert any(p.startswith("ou_tree[1].name: OU 'Eleves' is listed twice") for p in problems)
    assert any(p.startswith("ou_tree[2].name:") and "';'" in p for p in problems)
    assert any(p.startswith("ou_tree[3]: unknown key(s) nom") for p in problems)


def test_class_with_forbidden_character_is_reported_under_the_expanded_entry():
    _, problems = ou_paths([{"name": "Eleves", "per": "classes"}], classes=["1G+2"])
    assert problems and problems[0].startswith("ou_tree[0].per=classes[0].name:")


def test_path_to_dn():
    assert path_to_dn("Eleves/2NDE1", "DC=a,DC=b") == "OU=2NDE1,OU=Eleves,DC=a,DC=b"


def test_flat_registry_lists_expand_per_class_and_room_by_name():
    # the generated inventory gives the region's flat list; Eleves/Ordinateurs get children
    paths, problems = ou_paths(
        ["Eleves", "Enseignants", "Ordinateurs"],
        classes=["1G1"],
        rooms=["CDI"],
        per={"Eleves": "classes", "Ordinateurs": "rooms"},
    )
    assert problems == []
    assert [p for p, _ in paths] == [
        "Eleves",
        "Eleves/1G1",
        "Enseignants",
        "Ordinateurs",
        "Ordinateurs/CDI",
    ]


def test_the_lab_registry_passes_the_dc_rules_and_a_clash_with_the_dc_name_is_caught():
    from fleet.registry import load_registry

    registry = load_registry(Path(__file__).resolve().parents[3] / "inventories/lab")
    for uai, site in registry.sites.items():
        ad = site.samba_ad
        if ad is None:
            continue
        tree = [*registry.region.samba.ou_tree[site.kind], *ad.extra_ous]
        domain = registry.domain(uai)
        assert check_realm(ad.realm, domain) == []
        assert check_netbios(ad.netbios, "dc1") == []
        assert ou_paths(tree, ad.classes, ad.rooms)[1] == []
        [clash] = check_netbios("DC1", f"dc1.{domain}")
        assert "clashes with the DC's host name" in clash
