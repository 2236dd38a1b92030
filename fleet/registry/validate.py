"""Cross-file checks: what one file's model cannot see on its own.

Each check returns Problems naming the file, the field and what would be valid.
"""

from __future__ import annotations

from collections import defaultdict

from fleet.errors import Problem
from fleet.registry import addressing, opnsense, proxmox, switches
from fleet.registry.models import Region, Site
from fleet.registry.uai import UaiError, check_uai
from fleet.samba import naming


def check_region(region: Region, shown: str) -> list[Problem]:
    """The VLAN catalogue must fit the site block, be aligned and not overlap."""
    problems: list[Problem] = []
    plan = region.addressing
    site_size = 2 ** (32 - plan.site_prefix)
    seen_ids: dict[int, str] = {}
    seen_names: set[str] = set()
    spans: list[tuple[int, int, str]] = []
    for i, vlan in enumerate(plan.vlans):
        where = f"addressing.vlans[{i}]"
        if vlan.name in seen_names:
            problems.append(
                Problem(shown, f"{where}.name", f"VLAN name {vlan.name!r} is listed twice")
            )
        seen_names.add(vlan.name)
        if vlan.id in seen_ids:
            problems.append(
                Problem(
                    shown,
                    f"{where}.id",
                    f"VLAN id {vlan.id} is already used by {seen_ids[vlan.id]!r}",
                )
            )
        seen_ids[vlan.id] = vlan.name
        size = 2 ** (32 - vlan.prefix)
        if vlan.prefix < plan.site_prefix or vlan.offset + size > site_size:
            problems.append(
                Problem(
                    shown,
                    f"{where}",
                    f"VLAN {vlan.name} (offset {vlan.offset}, /{vlan.prefix}) does not fit in a "
                    f"/{plan.site_prefix} site block ({site_size} addresses): subnet outside the site block",
                )
            )
        elif vlan.offset % size:
            problems.append(
                Problem(
                    shown,
                    f"{where}.offset",
                    f"offset {vlan.offset} is not aligned to /{vlan.prefix}; use a multiple of {size}",
                )
            )
        spans.append((vlan.offset, vlan.offset + size, vlan.name))
    spans.sort()
    for (_, end_a, name_a), (start_b, _, name_b) in zip(spans, spans[1:], strict=False):
        if start_b < end_a:
            problems.append(
                Problem(shown, "addressing.vlans", f"VLAN {name_b} overlaps VLAN {name_a}")
            )
    problems += opnsense.check_region(region, shown)
    problems += switches.check_region(region, shown)
    for kind_name, tree in region.samba.ou_tree.items():
        if len(set(tree)) != len(tree):
            problems.append(
                Problem(shown, f"samba.ou_tree.{kind_name.value}", "an OU is listed twice")
            )
    return problems


def check_site(region: Region, site: Site, shown: str, stem: str) -> list[Problem]:
    """One site against the region: references, addresses, capacity, naming."""
    problems: list[Problem] = []

    def add(field_name: str, message: str) -> None:
        problems.append(Problem(shown, field_name, message))

    if stem != site.uai:
        add(
            "uai",
            f"{site.uai} does not match the file name {stem}.yml; name the file {site.uai}.yml",
        )
    try:
        check_uai(site.uai, region.departments)
    except UaiError as exc:
        add("uai", str(exc))
    if site.department not in region.departments:
        valid = ", ".join(str(d) for d in region.departments)
        add("department", f"{site.department} is not a department of this region (valid: {valid})")

    vlans = {vlan.name: vlan for vlan in region.addressing.vlans}
    templates = region.guest_templates
    names: dict[str, str] = {}
    addresses: dict[tuple[str, int], str] = {}

    def claim_name(name: str, field_name: str) -> None:
        if name in names:
            add(field_name, f"host name {name!r} is already used by {names[name]}")
        else:
            names[name] = field_name

    def claim_address(vlan: str, host: int, field_name: str) -> None:
        if vlan not in vlans:
            return
        size = 2 ** (32 - vlans[vlan].prefix)
        if not 0 < host < size - 1:
            add(
                f"{field_name}.host",
                f"host number {host} is outside VLAN {vlan} (valid: 1..{size - 2})",
            )
            return
        if (vlan, host) in addresses:
            add(
                f"{field_name}.host",
                f"address {vlan}#{host} is already used by {addresses[(vlan, host)]}",
            )
        else:
            addresses[(vlan, host)] = field_name

    if site.firewall is not None:
        claim_name(site.firewall.name, "firewall.name")
        claim_address("mgmt", site.firewall.host, "firewall")

    nodes = {}
    if site.proxmox is not None:
        for i, node in enumerate(site.proxmox.nodes):
            claim_name(node.name, f"proxmox.nodes[{i}].name")
            claim_address("mgmt", node.host, f"proxmox.nodes[{i}]")
            nodes[node.name] = node

    load: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    used_templates: set[str] = set()
    for i, guest in enumerate(site.guests):
        where = f"guests[{i}]"
        claim_name(guest.name, f"{where}.name")
        template = templates.get(guest.template)
        if template is None:
            valid = ", ".join(sorted(templates))
            add(f"{where}.template", f"unknown guest template {guest.template!r} (valid: {valid})")
            continue
        used_templates.add(guest.template)
        vlan = guest.vlan or template.vlan
        if vlan not in vlans:
            add(f"{where}.vlan", f"unknown VLAN {vlan!r} (valid: {', '.join(vlans)})")
        claim_address(vlan, guest.host, where)
        if guest.node not in nodes:
            valid = ", ".join(nodes) or "none: add proxmox.nodes"
            add(f"{where}.node", f"unknown Proxmox node {guest.node!r} (valid: {valid})")
            continue
        totals = load[guest.node]
        totals[0] += template.cores
        totals[1] += template.memory_gb
        totals[2] += sum(proxmox.guest_disks(template, guest))

    for node_name, (cores, memory, disk) in sorted(load.items()):
        node = nodes[node_name]
        i = list(nodes).index(node_name)
        where = f"proxmox.nodes[{i}]"
        max_cores = node.cores * region.proxmox.cpu_overcommit
        usable_memory = node.memory_gb - region.proxmox.memory_reserve_gb
        if memory > usable_memory:
            add(
                f"{where}.memory_gb",
                f"guests on {node_name} need {memory:g} GB of memory; the node offers {usable_memory} GB "
                f"({node.memory_gb} GB less the {region.proxmox.memory_reserve_gb} GB reserve): guests exceed node capacity",
            )
        if disk > node.storage_gb:
            add(
                f"{where}.storage_gb",
                f"guests on {node_name} need {disk:g} GB of disk; the node has {node.storage_gb} GB: "
                "guests exceed node capacity",
            )
        if cores > max_cores:
            add(
                f"{where}.cores",
                f"guests on {node_name} need {cores:g} vCPUs; the node allows {max_cores:g} "
                f"({node.cores} cores × overcommit {region.proxmox.cpu_overcommit:g}): guests exceed node capacity",
            )

    for i, switch in enumerate(site.switches):
        claim_name(switch.name, f"switches[{i}].name")
        claim_address("mgmt", switch.host, f"switches[{i}]")

    domain = f"{site.uai.lower()}.{region.dns_suffix}"
    if site.samba_ad is not None:
        # the DC-side rules, shared with the role's own check (fleet/samba/naming.py)
        for message in naming.check_realm(site.samba_ad.realm, domain):
            add("samba_ad.realm", message)
        if site.kind not in region.samba.ou_tree:
            add("kind", f"region.yml has no samba.ou_tree for kind {site.kind.value}")
        if "ad_dc" not in used_templates:
            add("guests", "samba_ad is set but no guest uses the ad_dc template")
        # The model has checked length and characters; the DC-side rules add the host-name clash
        # (Samba refuses to provision a domain named like its DC).
        for guest in site.guests:
            if guest.template == "ad_dc":
                for message in naming.check_netbios(site.samba_ad.netbios, guest.name):
                    add("samba_ad.netbios", message)
    elif "ad_dc" in used_templates:
        add("samba_ad", "a guest uses the ad_dc template but the site has no samba_ad section")

    problems += opnsense.check_site(region, site, shown)
    problems += switches.check_site(region, site, shown)
    if site.opsi is not None:
        for i, profile in enumerate(site.opsi.profiles):
            if profile not in region.opsi.profiles:
                valid = ", ".join(sorted(region.opsi.profiles))
                add(f"opsi.profiles[{i}]", f"unknown OPSI profile {profile!r} (valid: {valid})")
        if "opsi_depot" not in used_templates:
            add("guests", "opsi is set but no guest uses the opsi_depot template")
    elif "opsi_depot" in used_templates:
        add("opsi", "a guest uses the opsi_depot template but the site has no opsi section")
    return problems


def check_fleet(
    region: Region,
    sites: dict[str, Site],
    shown: dict[str, str],
    allocations: dict[str, int],
    allocations_shown: str,
) -> tuple[list[Problem], list[str]]:
    """Checks across sites: unique realms/NetBIOS names, allocations complete and disjoint."""
    problems: list[Problem] = []
    warnings: list[str] = []
    realms: dict[str, str] = {}
    netbios: dict[str, str] = {}
    for uai, site in sites.items():
        if site.samba_ad is None:
            continue
        realm, nb = site.samba_ad.realm.upper(), site.samba_ad.netbios.upper()
        if realm in realms:
            problems.append(
                Problem(
                    shown[uai],
                    "samba_ad.realm",
                    f"realm {realm} is already used by site {realms[realm]}",
                )
            )
        realms.setdefault(realm, uai)
        if nb in netbios:
            problems.append(
                Problem(
                    shown[uai],
                    "samba_ad.netbios",
                    f"NetBIOS name {nb} is already used by site {netbios[nb]}; NetBIOS names are unique across the region",
                )
            )
        netbios.setdefault(nb, uai)

    plan = region.addressing
    capacity = addressing.site_capacity(plan.supernet, plan.site_prefix)
    by_index: dict[int, str] = {}
    for uai, index in sorted(allocations.items(), key=lambda item: item[1]):
        if index >= capacity:
            problems.append(
                Problem(
                    allocations_shown,
                    f"sites.{uai}",
                    f"index {index} puts the site outside the supernet {plan.supernet} "
                    f"(valid: 0..{capacity - 1})",
                )
            )
        elif index in by_index:
            block = addressing.site_block(plan.supernet, plan.site_prefix, index)
            problems.append(
                Problem(
                    allocations_shown,
                    f"sites.{uai}",
                    f"index {index} ({block}) is already allocated to {by_index[index]}: "
                    "conflicting allocation, overlapping subnets",
                )
            )
        else:
            by_index[index] = uai
        if uai not in sites:
            warnings.append(
                f"{allocations_shown}: sites.{uai}: allocation of a site with no site file; "
                f"index {index} stays reserved"
            )
    for uai in sites:
        if uai not in allocations:
            problems.append(
                Problem(
                    allocations_shown,
                    f"sites.{uai}",
                    f"site {uai} has no allocation; create sites with `fleet site new` "
                    f"(the lowest free index is {addressing.lowest_free(allocations, capacity) if len(allocations) < capacity else 'none'})",
                )
            )
    return problems, warnings
